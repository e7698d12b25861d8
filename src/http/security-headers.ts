// The security headers on every answer, API and pages alike: hono/secure-headers' defaults with
// Referrer-Policy same-origin, written out once so a request sets them in one pass (hono's
// middleware rebuilt nothing per request either, but read the response's headers once per header
// and removed an X-Powered-By nothing here sets).
//
// same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` on a page's own
// form posts (the hosted pages), which the origin check must refuse.
export const SECURITY_HEADERS: readonly (readonly [name: string, value: string])[] = [
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'same-origin'],
  // 180 days, as hono sets it; not preload, which would be a promise about every subdomain.
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  // 0: the old XSS auditors are off (they could be abused to blank parts of a page).
  ['X-XSS-Protection', '0'],
]

/** Sets every security header on `headers`, replacing what a handler may have put there. */
export function setSecurityHeaders(headers: Headers): void {
  for (const [name, value] of SECURITY_HEADERS) headers.set(name, value)
}
