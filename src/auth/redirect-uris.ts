// Where a client may receive authorization codes: the rules for a redirect URI it registers, and
// the one comparison a request's redirect_uri must pass (RFC 9700 §4.1.3: exact string match;
// RFC 8252 §7.3: a loopback redirect on any port, since a native app's port is not fixed).
import { isLoopbackHost } from '../outbound/fetch'

/** Longer URIs are refused at registration; no real client needs more. */
export const REDIRECT_URI_MAX_LENGTH = 2000

/** Schemes that run or read something in the browser instead of reaching an app. */
const FORBIDDEN_SCHEMES = new Set([
  'javascript:',
  'data:',
  'vbscript:',
  'file:',
  'blob:',
  'about:',
  'filesystem:',
  'view-source:',
  'ws:',
  'wss:',
  'ftp:',
  'mailto:',
  // Browser-internal: an Android intent or an extension page is no app's redirect.
  'intent:',
  'chrome-extension:',
  'moz-extension:',
  'safari-web-extension:',
  'chrome:',
  'edge:',
])

/** Control characters, spaces and backslashes: spellings parsers and browsers read differently. */
const SUSPECT = /[\s\\\u0000-\u001f\u007f]/

export type RedirectKind = 'web' | 'loopback' | 'native'

/**
 * Why a redirect URI cannot be registered, or its kind: `web` (https), `loopback` (http on
 * 127.0.0.1, [::1] or localhost) or `native` (a private-use scheme such as com.example.app:/cb).
 */
export function checkRedirectUri(raw: string): { kind: RedirectKind } | { refused: string } {
  if (raw.length === 0 || raw.length > REDIRECT_URI_MAX_LENGTH || SUSPECT.test(raw)) {
    return { refused: 'is empty, too long or holds spaces, control characters or backslashes' }
  }
  if (raw.includes('#')) return { refused: 'must not have a fragment' }
  if (!URL.canParse(raw)) return { refused: 'is not an absolute URI' }
  const url = new URL(raw)
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return { refused: `must not use ${url.protocol}` }
  if (url.username !== '' || url.password !== '') return { refused: 'must not hold userinfo' }
  // A host shown on the consent page and named in its CSP: letters, digits, dots and hyphens
  // (an IDN arrives as punycode), nothing a header could read as a separator.
  if (url.protocol === 'https:') {
    return /^[a-z0-9.-]+$/.test(url.hostname)
      ? { kind: 'web' }
      : { refused: 'must name its host with letters, digits, dots and hyphens' }
  }
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname)
      ? { kind: 'loopback' }
      : { refused: 'must use https (http only on a loopback host)' }
  }
  // A private-use scheme (RFC 8252 §7.1): it names an app, not a host on the web.
  return { kind: 'native' }
}

/** The URI with its port removed, for loopback comparison only. */
function withoutPort(url: URL): string {
  const copy = new URL(url.href)
  copy.port = ''
  return copy.href
}

/**
 * Whether a request's redirect_uri is one of the registered ones: the same string; or, for a
 * registered loopback URI, the same string but for the port. No prefix, case or path
 * normalisation: what the client registered is what it gets.
 */
export function matchRedirectUri(requested: string, registered: readonly string[]): boolean {
  if (registered.includes(requested)) return true
  const asked = checkRedirectUri(requested)
  if (!('kind' in asked) || asked.kind !== 'loopback') return false
  const url = new URL(requested)
  const key = withoutPort(url)
  return registered.some((uri) => {
    if (!URL.canParse(uri)) return false
    const candidate = new URL(uri)
    return (
      candidate.protocol === 'http:' &&
      candidate.hostname === url.hostname &&
      // Only the port may differ: the rest of the string as registered, before any parsing.
      withoutPort(candidate) === key &&
      uri.replace(/:\d+(?=\/|$|\?)/, '') === requested.replace(/:\d+(?=\/|$|\?)/, '')
    )
  })
}

/** What a consent page shows of a redirect: its host, or the scheme of a native app. */
export function redirectTarget(uri: string): { kind: RedirectKind; shown: string; origin: string } {
  const url = new URL(uri)
  const checked = checkRedirectUri(uri)
  const kind = 'kind' in checked ? checked.kind : 'web'
  // url.host is punycode: an IDN look-alike shows as xn--… rather than as the name it imitates.
  if (kind === 'native') return { kind, shown: url.protocol, origin: url.protocol }
  return { kind, shown: url.host, origin: url.origin }
}
