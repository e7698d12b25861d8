// OAuth 2.0 wire formats over the same flows as /token and /logout: the refresh_token grant
// (RFC 6749 §6) and token revocation (RFC 7009). Login stays at POST /login: RFC 9700 §2.4 rules
// out the password grant.
import { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError } from '../http/errors'
import { clientIp, rateLimit } from '../http/rate-limit'
import { authService } from '../http/services'
import { formParams } from '../http/validate'

/** Errors on these routes are `{error, error_description}`, as OAuth clients expect. */
const oauthErrors = createMiddleware<AppEnv>(async (c, next) => {
  c.set('errorFormat', 'oauth')
  await next()
})

/** Opaque refresh tokens and JWTs are both well under this; longer values are refused unread. */
const TOKEN_PARAM_MAX_LENGTH = 8 * 1024

function required(params: Map<string, string>, name: string): string {
  const value = params.get(name)
  if (value === undefined) throw new ApiError(400, 'invalid_request', `${name} is required`)
  if (value.length > TOKEN_PARAM_MAX_LENGTH) {
    throw new ApiError(400, 'invalid_request', `${name} is too long`)
  }
  return value
}

/** Public clients only (`token_endpoint_auth_methods_supported: ["none"]`). */
function refuseClientSecrets(params: Map<string, string>, authorization: string | undefined) {
  if (params.has('client_secret') || authorization) {
    throw new ApiError(
      401,
      'invalid_client',
      'Client authentication is not supported; send client_id alone or nothing',
    )
  }
}

export const oauthRoutes = new Hono<AppEnv>()
  .use('/oauth/*', oauthErrors)
  .post('/oauth/token', rateLimit('TOKEN_LIMITER', clientIp), async (c) => {
    const params = await formParams(c)
    refuseClientSecrets(params, c.req.header('authorization'))
    const grantType = required(params, 'grant_type')
    if (grantType !== 'refresh_token') {
      throw new ApiError(
        400,
        'unsupported_grant_type',
        'Only the refresh_token grant is supported; sign in with POST /login',
      )
    }
    const tokens = await authService(c).refresh(required(params, 'refresh_token'))
    return c.json(
      {
        access_token: tokens.accessToken,
        token_type: tokens.tokenType,
        expires_in: tokens.expiresIn,
        refresh_token: tokens.refreshToken,
      },
      200,
      { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    )
  })
  .post('/oauth/revoke', rateLimit('TOKEN_LIMITER', clientIp), async (c) => {
    const params = await formParams(c)
    refuseClientSecrets(params, c.req.header('authorization'))
    // token_type_hint may be anything (RFC 7009 §2.1); the token's shape says what it is.
    await authService(c).revoke(required(params, 'token'))
    return c.body(null, 200, { 'Cache-Control': 'no-store' })
  })
