// The language a request asks for. A hosted page reads `?lang=`, then the `lang` cookie (the
// pages' remembered pick), then Accept-Language; the API reads Accept-Language alone (an API
// client says its language the HTTP way; a query or a cookie set by the pages is not its say).
// src/i18n/languages.ts chooses among ours. Mail a request causes to an account with no
// language stored may be written in it (services/notices.ts mailLanguage).
import type { Context } from 'hono'
import { getCookie } from 'hono/cookie'
import type { AppEnv } from '../env'
import { LANGUAGE_COOKIE, type Language, chooseLanguage } from '../i18n/languages'

/** Requests to the hosted pages (marked by their middleware, src/pages/ui.ts). */
const pageRequests = new WeakSet<Context>()

/** Marks `c` as a request to a hosted page: false when it was marked already. */
export function markPageRequest(c: Context): boolean {
  if (pageRequests.has(c)) return false
  pageRequests.add(c)
  return true
}

export const requestLanguage = (c: Context<AppEnv>): Language =>
  pageRequests.has(c)
    ? chooseLanguage({
        query: c.req.query('lang'),
        cookie: getCookie(c, LANGUAGE_COOKIE),
        acceptLanguage: c.req.header('accept-language'),
      })
    : chooseLanguage({ acceptLanguage: c.req.header('accept-language') })
