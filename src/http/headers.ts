// Response headers more than one route sends.

/** Responses that carry tokens or personal data must not be cached anywhere. */
export const NO_STORE = { 'Cache-Control': 'no-store' } as const

/** RFC 6749 §5.1: token responses also carry Pragma for HTTP/1.0 caches. */
export const OAUTH_NO_STORE = { ...NO_STORE, Pragma: 'no-cache' } as const
