// Reads a language's catalog from the static assets (public/_catalogs/<lang>.json, written by
// scripts/assets.mjs) and installs it in this isolate (i18n/catalogs.ts), once per isolate and
// language: before a hosted page, a translated problem or a mail needs its words. The files are
// this deployment's own, read through the ASSETS binding as /openapi.json is (test/layers.test.ts
// allows it); the worker answers their public paths itself, with a 404 (wrangler.toml).
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { log } from '../log'
import { installCatalog, isInstalled } from '../i18n/catalogs'
import { DEFAULT_LANGUAGE, type Language } from '../i18n/languages'
import { requestLanguage } from './language'

/** Where a language's data sits among the static assets. */
export const catalogPath = (lang: Language) => `/_catalogs/${lang}.json`

/**
 * Makes `lang`'s messages ready, and says which language the words will be in: `lang`, or English
 * when its file cannot be read or is not a whole catalog (logged). Never throws. Each request
 * reads for itself (no request awaits another's read, which that request's end could leave
 * unsettled); two at an isolate's start may both read, and install the same words.
 */
export async function loadLanguage(assets: Fetcher, lang: Language): Promise<Language> {
  // English is code (i18n/catalogs.ts).
  if (lang === 'en' || isInstalled(lang)) return lang
  try {
    const res = await assets.fetch(new URL(catalogPath(lang), 'https://assets.invalid'))
    if (!res.ok) throw new Error(`status ${res.status}`)
    installCatalog(lang, await res.json())
    return lang
  } catch (err) {
    log.error('catalog_unavailable', {
      lang,
      error: err instanceof Error ? err.message : 'unknown',
    })
    return DEFAULT_LANGUAGE
  }
}

/** The request's language (http/language.ts), its words ready; English if they cannot be. */
export const readyLanguage = (c: Context<AppEnv>): Promise<Language> =>
  loadLanguage(c.env.ASSETS, requestLanguage(c))

/** The language a request's words are in: its own once installed (readyLanguage), else English. */
export function wordedLanguage(c: Context<AppEnv>): Language {
  const lang = requestLanguage(c)
  return isInstalled(lang) ? lang : DEFAULT_LANGUAGE
}
