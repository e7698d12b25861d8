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
import { readyLanguage, wordedLanguage } from '../http/catalog-assets'
import { markPageRequest } from '../http/language'

export type Ui = {
  lang: Language
  t: Messages
  brand: Brand & { name: string }
  /** Where each language link goes: this page in that language, or null for no link. */
  languageLink: (lang: Language) => string | null
  /** A date and time, and a date, as this language writes them (UTC). */
  dateTime: (at: string | number | Date) => string
  date: (at: string | number | Date) => string
}

const YEAR_SECONDS = 365 * 24 * 3600

/**
 * Remembers a `?lang=` pick in a cookie for the pages that follow, and makes the page's words
 * ready. Only a listed language is stored; SameSite=Lax and HttpOnly, as nothing but this
 * service reads it.
 */
export const rememberLanguage: MiddlewareHandler<AppEnv> = async (c, next) => {
  // A path may match two of the pages' patterns (/signin and /signin/*): once is enough.
  if (!markPageRequest(c)) return next()
  const picked = c.req.query('lang')
  if (isLanguage(picked) && getCookie(c, LANGUAGE_COOKIE) !== picked) {
    setCookie(c, LANGUAGE_COOKIE, picked, {
      path: '/',
      maxAge: YEAR_SECONDS,
      sameSite: 'Lax',
      httpOnly: true,
      // __Host- needs Secure; browsers take it over http://localhost too (npm run dev).
      secure: true,
    })
  }
  await readyLanguage(c)
  await next()
  // A problem answered here (the error renderer) has said its own language already.
  // The language the page was worded in, not whatever another request has installed since.
  if (!c.res.headers.has('Content-Language')) {
    c.header('Content-Language', made.get(c)?.lang ?? wordedLanguage(c))
  }
  const vary = c.res.headers.get('Vary') ?? ''
  for (const header of ['Accept-Language', 'Cookie']) {
    if (!vary.toLowerCase().includes(header.toLowerCase()))
      c.header('Vary', header, { append: true })
  }
}

/**
 * The pages a language link may lead to, by path: each with the query parameters it is rendered
 * from, which the link keeps. The rest of a query (a `request` object, a secret a client put in
 * the URL, a hint, text to reflect) is never echoed, and a page that cannot be had again by a GET
 * (a provider's callback, a consent page resumed from a cookie, a form's answer with no page of
 * its own) gets no links: the language then changes on the next page, by the cookie.
 */
const PAGES: Record<string, string[]> = {
  '/signin': ['return_to'],
  '/signup': ['return_to'],
  '/email-code': ['return_to'],
  '/forgot-password': [],
  '/account': [],
  '/verify-email': ['token'],
  '/reset-password': ['token'],
  '/authorize': [
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
  ],
  '/end-session': ['client_id', 'post_logout_redirect_uri', 'state'],
}

/** A form's answer links to the page the form lives on, when it has one to go back to. */
const FORM_PAGES: Record<string, string> = {
  '/signin': '/signin',
  '/signin/mfa': '/signin',
  '/signup': '/signup',
  '/email-code': '/email-code',
  '/email-code/verify': '/email-code',
  '/forgot-password': '/forgot-password',
}

/** Longer values are dropped from the links: the page itself refuses or cuts them. */
const MAX_PARAM_LENGTH = 2048

/** This page in each language, or null where a link could not bring the page back. */
function languageLinkOf(c: Context<AppEnv>): Ui['languageLink'] {
  const url = new URL(c.req.url)
  if (c.req.method !== 'GET') {
    const page = url.pathname.startsWith('/account/') ? '/account' : FORM_PAGES[url.pathname]
    return page === undefined ? () => null : (lang) => `${page}?lang=${lang}`
  }
  if (!Object.hasOwn(PAGES, url.pathname)) return () => null
  const keep = PAGES[url.pathname]!
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
    wordedLanguage(c),
    { ...settings(c.env).brand, name: serviceName(c) },
    languageLinkOf(c),
  )
  made.set(c, ui)
  return ui
}
