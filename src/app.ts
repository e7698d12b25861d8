// The Hono app: middleware order, routes, and the one error renderer.
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { requestId } from 'hono/request-id'
import { secureHeaders } from 'hono/secure-headers'
import type { AppEnv } from './env'
import { corsForAllowedOrigins } from './http/cors'
import { ApiError, notFound, onError } from './http/errors'
import { requestLog } from './http/log'
import { authRoutes } from './routes/auth'
import { oauthRoutes } from './routes/oauth'
import { userRoutes } from './routes/users'
import { wellKnownRoutes } from './routes/well-known'

/** Every body the API accepts is a small JSON object. */
export const MAX_BODY_BYTES = 16 * 1024

export const app = new Hono<AppEnv>()
  .use(requestId())
  .use(requestLog)
  .use(secureHeaders())
  .use(corsForAllowedOrigins)
  .use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(
          413,
          'payload_too_large',
          `The body must be at most ${MAX_BODY_BYTES} bytes`,
        )
      },
    }),
  )
  .get('/health', (c) => c.json({ status: 'ok' }))
  .route('/', authRoutes)
  .route('/', userRoutes)
  .route('/', oauthRoutes)
  .route('/', wellKnownRoutes)
  .onError(onError)
  .notFound(notFound)
