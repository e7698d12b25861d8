// Bearer middleware: turns `Authorization: Bearer <access token>` into `c.get('user')`, or a 401.
import { createMiddleware } from 'hono/factory'
import { type AppEnv, requestConfig } from '../env'
import { ApiError } from '../errors'
import { verifyAccessToken } from './access-tokens'

// RFC 6750 §2.1: the scheme is case-insensitive, the credentials are one token68.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/** The token of an `Authorization: Bearer` header; invalid_token (a bare challenge if none). */
export function bearerToken(header: string | undefined): string {
  if (!header) {
    throw new ApiError('invalid_token', 'An access token is required', { challenge: 'bare' })
  }
  const match = BEARER.exec(header)
  if (!match?.[1]) {
    throw new ApiError('invalid_token', 'The Authorization header must be Bearer <token>')
  }
  return match[1]
}

export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearerToken(c.req.header('authorization'))
  c.set('user', await verifyAccessToken(token, requestConfig(c)))
  await next()
})
