// Bearer middleware: turns `Authorization: Bearer <access token>` into `c.get('user')`, or a 401.
import { createMiddleware } from 'hono/factory'
import { type AppEnv, requestConfig } from '../env'
import { ApiError } from '../errors'
import { verifyAccessToken } from './access-tokens'

// RFC 6750 §2.1: the scheme is case-insensitive, the credentials are one token68.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('authorization')
  if (!header) {
    throw new ApiError('invalid_token', 'An access token is required', { challenge: 'bare' })
  }
  const cfg = requestConfig(c)
  const match = BEARER.exec(header)
  if (!match?.[1]) {
    throw new ApiError('invalid_token', 'The Authorization header must be Bearer <token>')
  }
  c.set('user', await verifyAccessToken(match[1], cfg))
  await next()
})
