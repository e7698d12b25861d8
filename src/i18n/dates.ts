// Dates and times as each language writes them. In UTC, named as such: the server does not know
// the reader's time zone, and a time that looks local but is not misleads more than "UTC" does.
import type { Language } from './languages'

const formats = new Map<string, Intl.DateTimeFormat>()

/**
 * The locale each language's dates follow. English as en-GB: a 24-hour clock and the month by
 * name, which no reader takes for another date ("6 Dec 2026, 17:06", never "12/6").
 */
const LOCALES: Record<Language, string> = { en: 'en-GB', fr: 'fr', es: 'es' }

function format(lang: Language, withTime: boolean): Intl.DateTimeFormat {
  const key = `${lang}:${withTime}`
  let found = formats.get(key)
  if (!found) {
    found = new Intl.DateTimeFormat(LOCALES[lang], {
      dateStyle: 'medium',
      ...(withTime ? { timeStyle: 'short' } : {}),
      timeZone: 'UTC',
    })
    formats.set(key, found)
  }
  return found
}

const toDate = (at: string | number | Date) => (at instanceof Date ? at : new Date(at))

/** "6 Dec 2026, 17:06 UTC", "6 déc. 2026, 17:06 UTC", "6 dic 2026, 17:06 UTC". */
export const dateTime = (lang: Language, at: string | number | Date): string =>
  `${format(lang, true).format(toDate(at))} UTC`

/** "6 Dec 2026", "6 déc. 2026", "6 dic 2026". */
export const date = (lang: Language, at: string | number | Date): string =>
  format(lang, false).format(toDate(at))
