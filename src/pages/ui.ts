// What every hosted page is rendered with: the request's language and its messages, and the
// product's brand. Made once per request (remembered per context) and passed to every view, so a
// view stays a plain function of what it is given.
import type { Context, MiddlewareHandler } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import type { Brand } from '../brand'
import { type AppEnv, serviceName, settings } from '../env'
import { type Messages, messagesFor } from '../i18n/catalogs'
import { date, dateTime } from '../i18n/dates'
import { LANGUAGE_COOKIE, type Language, isLanguage } from '../i18n/languages'
import { requestLanguage } from '../http/language'

export type Ui = {
  lang: Language
  t: Messages
  brand: Brand & { name: string }
  /** Where each language link goes: this page in that language. */
  languageLink: (lang: Language) => string
  /** A date and time, and a date, as this language writes them (UTC). */
  dateTime: (at: string | number | Date) => string
  date: (at: string | number | Date) => string
}

const YEAR_SECONDS = 365 * 24 * 3600

const remembered = new WeakSet<Context>()

/**
 * Remembers a `?lang=` pick in a cookie for the pages that follow. Only a listed language is
 * stored; SameSite=Lax and HttpOnly, as nothing but this service reads it.
 */
export const rememberLanguage: MiddlewareHandler<AppEnv> = async (c, next) => {
  // A path may match two of the pages' patterns (/signin and /signin/*): once is enough.
  if (remembered.has(c)) return next()
  remembered.add(c)
  const picked = c.req.query('lang')
  if (isLanguage(picked) && getCookie(c, LANGUAGE_COOKIE) !== picked) {
    setCookie(c, LANGUAGE_COOKIE, picked, {
      path: '/',
      maxAge: YEAR_SECONDS,
      sameSite: 'Lax',
      httpOnly: true,
      secure: new URL(c.req.url).protocol === 'https:',
    })
  }
  await next()
  c.header('Content-Language', requestLanguage(c))
  c.header('Vary', 'Accept-Language, Cookie', { append: true })
}

/**
 * The query parameters a page is rendered from, which its language links keep; the rest of a
 * query (a `request` object, a secret a client put in the URL, text to reflect) is never echoed.
 */
const PAGE_PARAMS: [prefix: string, params: string[]][] = [
  [
    '/authorize',
    [
      'client_id',
      'redirect_uri',
      'response_type',
      'response_mode',
      'scope',
      'state',
      'code_challenge',
      'code_challenge_method',
      'resource',
      'nonce',
      'prompt',
      'max_age',
      'login_hint',
      'id_token_hint',
    ],
  ],
  ['/end-session', ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state']],
  ['/verify-email', ['token']],
  ['/reset-password', ['token']],
  ['', ['return_to']],
]

/** Longer values are dropped from the links: the page itself refuses or cuts them. */
const MAX_PARAM_LENGTH = 2048

/**
 * This page in another language. A form post's answer links to the page its form lives on (the
 * account page for the account's forms), as the post's own path may have no page to show.
 */
function languageLinkOf(c: Context<AppEnv>): (lang: Language) => string {
  const url = new URL(c.req.url)
  if (c.req.method !== 'GET') {
    const page = url.pathname.startsWith('/account/') ? '/account' : url.pathname
    return (lang) => `${page}?lang=${lang}`
  }
  const keep = PAGE_PARAMS.find(([prefix]) => url.pathname.startsWith(prefix))![1]
  const kept = new URLSearchParams()
  for (const [name, value] of url.searchParams) {
    if (keep.includes(name) && value.length <= MAX_PARAM_LENGTH) kept.append(name, value)
  }
  return (lang) => {
    kept.set('lang', lang)
    return `${url.pathname}?${kept}`
  }
}

const made = new WeakMap<Context, Ui>()

/** A Ui in `lang`: for a request (uiOf), or for a view rendered on its own (tests). */
export function uiFor(
  lang: Language,
  brand: Ui['brand'] = { name: 'edge-auth', logo: null, accent: null, stylesheet: null },
  languageLink: Ui['languageLink'] = (to) => `?lang=${to}`,
): Ui {
  return {
    lang,
    t: messagesFor(lang),
    brand,
    languageLink,
    dateTime: (at) => dateTime(lang, at),
    date: (at) => date(lang, at),
  }
}

/** The request's Ui, made on first use. */
export function uiOf(c: Context<AppEnv>): Ui {
  const found = made.get(c)
  if (found) return found
  const ui = uiFor(
    requestLanguage(c),
    { ...settings(c.env).brand, name: serviceName(c) },
    languageLinkOf(c),
  )
  made.set(c, ui)
  return ui
}
