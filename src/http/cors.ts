// CORS only for the origins in ALLOWED_ORIGINS; with none listed, no CORS headers at all.
import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { type AppEnv, allowedOrigins } from '../env'

export const corsForAllowedOrigins: MiddlewareHandler<AppEnv> = async (c, next) => {
  const origins = allowedOrigins(c.env)
  if (origins.length === 0) return next()
  return cors({
    origin: (origin) => (origins.includes(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type'],
    exposeHeaders: ['Retry-After', 'WWW-Authenticate', 'X-Request-Id'],
    maxAge: 600,
  })(c, next)
}
