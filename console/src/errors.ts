// A mutation's `errors`, placed on a form: next to the field they name, or above the form.

export interface UserError {
  code: string
  message: string
  field?: readonly string[] | null // the path into the arguments, e.g. ["input", "title"]
}

function names(error: UserError, field: string): boolean {
  return error.field?.[error.field.length - 1] === field
}

/** The message of the error about a form's field (the last step of its path), if any. */
export function fieldError(errors: readonly UserError[], field: string): string {
  return errors.find((e) => names(e, field))?.message ?? ''
}

/** The errors that name no field of the form: shown above it. */
export function formErrors(errors: readonly UserError[], fields: readonly string[]): string[] {
  return errors.filter((e) => !fields.some((f) => names(e, f))).map((e) => e.message)
}
