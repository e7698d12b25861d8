// CORS only for the origins in ALLOWED_ORIGINS; with none listed, no CORS headers at all.
import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { type AppEnv, settings } from '../env'

/**
 * Only a request with an Origin (a browser's) needs ALLOWED_ORIGINS read, so an invalid value
 * fails those alone, closed (500 server_misconfigured naming the variable in the log), and
 * health checks and server-to-server calls keep working.
 */
export const corsForAllowedOrigins: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.header('origin') === undefined) {
    await next()
    // The answer to a browser differs (CORS headers), so a shared cache must key on Origin.
    if (settings(c.env).corsConfigured) c.header('Vary', 'Origin', { append: true })
    return
  }
  const origins = settings(c.env).allowedOrigins
  if (origins.length === 0) return next()
  return cors({
    origin: (origin) => (origins.includes(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type'],
    exposeHeaders: ['Retry-After', 'WWW-Authenticate', 'X-Request-Id'],
    maxAge: 600,
  })(c, next)
}
