import { currentLocale } from './i18n'

export function when(iso: string | null | undefined): string {
  if (!iso) return '—'
  return new Date(iso).toLocaleString(currentLocale(), { dateStyle: 'short', timeStyle: 'short' })
}
