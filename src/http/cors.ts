// CORS only for the origins in ALLOWED_ORIGINS, with credentials (the refresh cookie); with none
// listed, no CORS headers at all. Never `*`: every origin that may read a token is named.
import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { type AppEnv, isTrustedOrigin, settings } from '../env'
import { log } from '../log'

/** Origins already warned about in this isolate; bounded, as Origin is the client's to choose. */
const warned = new Set<string>()
const MAX_WARNED = 20

/**
 * A browser calling from an origin that is not listed sees only "Failed to fetch", so the log
 * says why, once per origin per isolate.
 */
function warnNotAllowed(origin: string, requestId: string | undefined) {
  if (warned.has(origin) || warned.size >= MAX_WARNED) return
  warned.add(origin)
  log.warn('origin_not_allowed', {
    requestId,
    origin: origin.slice(0, 100),
    hint: 'Browsers on this origin cannot call the API. If it is yours, add it to ALLOWED_ORIGINS (wrangler.toml [vars], or npm run dev -- --var ALLOWED_ORIGINS:http://localhost:5173)',
  })
}

/** A route as Hono's route table lists it (`app.routes`). */
type Route = { method: string }

/**
 * The methods a browser may be granted: every one the app serves, read from its route table, so
 * a new PATCH or PUT route is reachable from a listed origin without a second list to keep.
 * `ALL` is middleware, not a route; OPTIONS is the preflight itself.
 */
export function methodsOf(routes: readonly Route[]): string[] {
  const methods = routes
    .map((route) => route.method)
    .filter((method) => /^[A-Z]+$/.test(method) && method !== 'ALL' && method !== 'OPTIONS')
  return [...new Set(methods)].sort()
}

/**
 * Only a request with an Origin (a browser's) needs ALLOWED_ORIGINS read, so an invalid value
 * fails those alone, closed (500 server_misconfigured naming the variable in the log), and
 * health checks and server-to-server calls keep working. An origin that is not listed gets no
 * CORS header at all (its preflight is not answered), so nothing is granted to it.
 *
 * `routes` is read at the first browser request, once every route is mounted.
 */
export const corsForAllowedOrigins = (
  routes: () => readonly Route[],
): MiddlewareHandler<AppEnv> => {
  let methods: string[] | undefined
  return async (c, next) => {
    const origin = c.req.header('origin')
    if (origin === undefined) {
      await next()
      // The answer to a browser differs (CORS headers), so a shared cache must key on Origin.
      if (settings(c.env).corsConfigured) c.header('Vary', 'Origin', { append: true })
      return
    }
    const origins = settings(c.env).allowedOrigins
    if (!isTrustedOrigin(c, origin)) warnNotAllowed(origin, c.get('requestId'))
    if (origins.length === 0) return next()
    if (!origins.includes(origin)) {
      await next()
      c.header('Vary', 'Origin', { append: true })
      return
    }
    methods ??= methodsOf(routes())
    return cors({
      origin: (asked) => (origins.includes(asked) ? asked : null),
      credentials: true,
      allowMethods: methods,
      allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
      exposeHeaders: ['Retry-After', 'WWW-Authenticate', 'X-Request-Id'],
      maxAge: 600,
    })(c, next)
  }
}
