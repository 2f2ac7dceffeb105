import { describe, expect, it } from 'vitest'
import { fieldError, formErrors, type UserError } from './errors'

const errors: UserError[] = [
  { code: 'INVALID_INPUT', message: '此项不能为空', field: ['input', 'reason'] },
  { code: 'FORBIDDEN', message: '无权操作', field: null },
  { code: 'VERSION_CONFLICT', message: '已被他人更新', field: ['input', 'expectedVersion'] },
]

describe('field errors', () => {
  it('finds the error of a field by the last step of its path', () => {
    expect(fieldError(errors, 'reason')).toBe('此项不能为空')
    expect(fieldError(errors, 'input')).toBe('')
    expect(fieldError(errors, 'note')).toBe('')
  })

  it('puts above the form what names none of its fields', () => {
    expect(formErrors(errors, ['reason'])).toEqual(['无权操作', '已被他人更新'])
    expect(formErrors([], ['reason'])).toEqual([])
  })
})
