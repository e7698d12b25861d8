// The languages the hosted pages and emails speak, and how one is chosen for a request: the
// `?lang=` a visitor picked, else the cookie that remembers that pick, else the browser's
// Accept-Language, else English. Only a listed language is ever used, so no request can name a
// catalog, a direction or a date format that is not here.
export const LANGUAGES = ['en', 'fr', 'es'] as const

export type Language = (typeof LANGUAGES)[number]

export const DEFAULT_LANGUAGE: Language = 'en'

/** Each language by its own name, as the language links show it. */
export const LANGUAGE_NAMES: Record<Language, string> = {
  en: 'English',
  fr: 'Français',
  es: 'Español',
}

/**
 * The cookie that remembers a visitor's pick: not a secret (HttpOnly all the same), but
 * `__Host-` so a sibling subdomain cannot set it for this host.
 */
export const LANGUAGE_COOKIE = '__Host-lang'

export const isLanguage = (value: unknown): value is Language =>
  typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value)

/** A tag's primary language, lower-cased ("fr-CA" → "fr"), if it is one of ours. */
const primary = (tag: string): Language | null => {
  const lang = tag.trim().split('-')[0]!.toLowerCase()
  return isLanguage(lang) ? lang : null
}

/**
 * The best of ours for an Accept-Language header (RFC 9110 §12.5.4): by quality, then by order;
 * `q=0` refuses a language, `*` takes the default. At most 32 entries are read, each short, so a
 * long header costs nothing.
 */
export function fromAcceptLanguage(header: string | undefined): Language | null {
  if (!header) return null
  let best: { lang: Language; q: number } | null = null
  for (const entry of header.slice(0, 1024).split(',').slice(0, 32)) {
    const [tag = '', ...params] = entry.split(';')
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const q = qParam === undefined ? 1 : Number(qParam.slice(2))
    if (!Number.isFinite(q) || q <= 0 || q > 1) continue
    const lang = tag.trim() === '*' ? DEFAULT_LANGUAGE : primary(tag)
    if (lang !== null && (best === null || q > best.q)) best = { lang, q }
  }
  return best?.lang ?? null
}

/** The language for a request: the query's pick, the remembered one, the browser's, or English. */
export function chooseLanguage(request: {
  query?: string | undefined
  cookie?: string | undefined
  acceptLanguage?: string | undefined
}): Language {
  if (isLanguage(request.query)) return request.query
  if (isLanguage(request.cookie)) return request.cookie
  return fromAcceptLanguage(request.acceptLanguage) ?? DEFAULT_LANGUAGE
}
