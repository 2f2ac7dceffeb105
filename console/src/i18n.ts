import { createI18n } from 'vue-i18n'
import { messages, type Locale } from './messages'

const KEY = 'neighbor-console.locale'
const saved = localStorage.getItem(KEY)
const initial: Locale = saved === 'en' ? 'en' : 'zh-CN'

export const i18n = createI18n({ legacy: false, locale: initial, fallbackLocale: 'zh-CN', messages })

export function currentLocale(): Locale {
  return i18n.global.locale.value === 'en' ? 'en' : 'zh-CN'
}

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  localStorage.setItem(KEY, locale)
  document.documentElement.lang = locale
}
