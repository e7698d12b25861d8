// Where a hosted page may send the browser afterwards (`return_to`): a path on this service, or a
// URL on an origin in ALLOWED_ORIGINS. Anything else, however it is spelled, goes to the fallback.

/** Backslashes (which browsers read as slashes) and control characters (which they drop). */
const SUSPECT = /[\\\u0000-\u001f\u007f]/

const MAX_LENGTH = 2048

/**
 * The place to redirect to, normalised: never the raw input, so no spelling the parser and a
 * browser read differently (`//evil`, `https:evil`, `/\evil`, userinfo) can leave the allowed set.
 */
export function safeReturnTo(
  raw: string | undefined,
  own: string,
  allowed: readonly string[],
  fallback: string,
): string {
  if (!raw || raw.length > MAX_LENGTH || SUSPECT.test(raw)) return fallback
  let url: URL
  try {
    url = new URL(raw, own)
  } catch {
    return fallback
  }
  if (url.username || url.password) return fallback
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return fallback
  // On this service: a path, so the Location cannot name another host. A path that normalises
  // to `//host` (from `/.//host`, `/..//host`, `/%2e//host`) would, so it goes to the fallback.
  if (url.origin === own) {
    return url.pathname.startsWith('//') ? fallback : url.pathname + url.search + url.hash
  }
  return allowed.includes(url.origin) ? url.href : fallback
}
