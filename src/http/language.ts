// The language a request asks for: `?lang=`, the `lang` cookie (the pages' remembered pick),
// then Accept-Language (src/i18n/languages.ts chooses). The pages speak it; mail it causes to an
// account with no language stored is written in it.
import type { Context } from 'hono'
import { getCookie } from 'hono/cookie'
import type { AppEnv } from '../env'
import { LANGUAGE_COOKIE, type Language, chooseLanguage } from '../i18n/languages'

export const requestLanguage = (c: Context<AppEnv>): Language =>
  chooseLanguage({
    query: c.req.query('lang'),
    cookie: getCookie(c, LANGUAGE_COOKIE),
    acceptLanguage: c.req.header('accept-language'),
  })
