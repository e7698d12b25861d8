// Every language's messages, by language. English is code, always here; French and Spanish are
// data (catalog-data.ts) that an isolate installs the first time it needs them (the static
// assets' reader, http/catalog-assets.ts, before a page, a problem or a mail is worded), with
// their few messages that are code from <lang>/code.ts.
import { log } from '../log'
import { type CatalogCode, fromData } from './catalog-data'
import { en, type Messages } from './en'
import * as esCode from './es/code'
import * as frCode from './fr/code'
import { DEFAULT_LANGUAGE, type Language } from './languages'

export type { Messages } from './en'

/** The languages shipped as data: every one but English. */
export type DataLanguage = Exclude<Language, 'en'>

/** The languages shipped as data, and the messages each keeps as code. */
export const CATALOG_CODE: Record<DataLanguage, CatalogCode> = {
  fr: frCode,
  es: esCode,
}

const installed = new Map<Language, Messages>([[DEFAULT_LANGUAGE, en]])

export const isInstalled = (lang: Language): boolean => installed.has(lang)

/** Installs `lang` from its data; throws, installing nothing, when the data is not a whole catalog. */
export function installCatalog(lang: DataLanguage, data: unknown): void {
  installed.set(lang, fromData(data, CATALOG_CODE[lang], en))
}

/**
 * `lang`'s messages. A language not installed (its file could not be read) is worded in English
 * rather than failing the page or the mail; the loader has logged why.
 */
export function messagesFor(lang: Language): Messages {
  const found = installed.get(lang)
  if (found) return found
  log.warn('catalog_not_installed', { lang })
  return en
}
