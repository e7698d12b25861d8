// The CSRF defence for cookie mode. A browser attaches the refresh cookie to any request to this
// host, so a request the cookie authenticates must prove where it came from: an Origin header
// naming this service or an origin in ALLOWED_ORIGINS. hono/csrf is not enough: it checks form
// content types only, and a cross-site fetch or a same-site sibling origin gets past it.
import type { Context } from 'hono'
import { type AppEnv, isTrustedOrigin } from '../env'
import { ApiError } from '../errors'
import { log } from '../log'

const refused = (reason: string, c: Context<AppEnv>) => {
  log.warn('csrf_rejected', { requestId: c.get('requestId'), reason })
  return new ApiError('csrf_rejected', 'This request must come from an allowed origin')
}

/**
 * Throws 403 csrf_rejected unless the request comes from this service's origin or one listed
 * in ALLOWED_ORIGINS. A missing Origin is refused: every browser sends one on POST and DELETE,
 * so only a non-browser client (which should send its token in the body) lacks it.
 * Sec-Fetch-Site, where sent, must be same-origin or same-site: "none" (typed or bookmarked)
 * never carries a cookie request, and a cross-site request cannot use a SameSite=Lax cookie at
 * all (a browser neither sends it nor keeps one set), so a cross-site cookie sign-in would only
 * leave an unusable session behind.
 */
export function checkCookieOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header('origin')
  if (!origin) throw refused('no_origin', c)
  if (!isTrustedOrigin(c, origin)) throw refused('origin_not_allowed', c)
  const site = c.req.header('sec-fetch-site')
  if (site === 'none' || site === 'cross-site') throw refused(`fetch_site_${site}`, c)
}
