// OAuth 2.0 wire formats over the same flows as /token and /logout: the refresh_token grant
// (RFC 6749 §6) and token revocation (RFC 7009). Login stays at POST /login: RFC 9700 §2.4 rules
// out the password grant.
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError } from '../errors'
import { OAUTH_NO_STORE } from '../http/headers'
import {
  OAuthErrorSchema,
  createRoute,
  documentedRoutes,
  formRequest,
  jsonContent,
} from '../http/openapi'
import { clientIp, rateLimit } from '../http/rate-limit'
import { OAuthRevokeForm, OAuthTokenForm, OAuthTokenResponse } from '../http/schemas'
import { authService } from './services'

/** Errors on these routes are `{error, error_description}`, as OAuth clients expect. */
const oauthErrors = createMiddleware<AppEnv>(async (c, next) => {
  c.set('errorFormat', 'oauth')
  await next()
})

// RFC 6749 §3.2: a parameter sent without a value is treated as omitted.
function required(value: string | undefined, name: string): string {
  if (!value) throw new ApiError(400, 'invalid_request', `${name} is required`)
  return value
}

/** Public clients only (`token_endpoint_auth_methods_supported: ["none"]`). */
function refuseClientSecrets(clientSecret: string | undefined, authorization: string | undefined) {
  if (clientSecret || authorization) {
    throw new ApiError(
      401,
      'invalid_client',
      'Client authentication is not supported; send client_id alone or nothing',
    )
  }
}

const oauthFailures = (described: Record<number, string>) =>
  Object.fromEntries(
    Object.entries(described).map(([status, text]) => [
      status,
      jsonContent(OAuthErrorSchema, text),
    ]),
  )

const token = createRoute({
  method: 'post',
  path: '/oauth/token',
  summary: 'OAuth 2.0 token endpoint: the refresh_token grant only',
  tags: ['oauth'],
  middleware: [oauthErrors, rateLimit('TOKEN_LIMITER', clientIp)] as const,
  request: { body: formRequest(OAuthTokenForm) },
  responses: {
    200: jsonContent(OAuthTokenResponse, 'A new access token and the rotated refresh token'),
    ...oauthFailures({
      400: 'invalid_request, invalid_grant or unsupported_grant_type',
      401: 'invalid_client: client authentication was sent',
      429: 'temporarily_unavailable: rate limited',
    }),
  },
})

const revoke = createRoute({
  method: 'post',
  path: '/oauth/revoke',
  summary: 'OAuth 2.0 token revocation (RFC 7009): ends the session of either token',
  tags: ['oauth'],
  middleware: [oauthErrors, rateLimit('TOKEN_LIMITER', clientIp)] as const,
  request: { body: formRequest(OAuthRevokeForm) },
  responses: {
    200: { description: 'Revoked, or the token was already invalid' },
    ...oauthFailures({
      400: 'invalid_request: no token',
      401: 'invalid_client: client authentication was sent',
    }),
  },
})

export const oauthRoutes = documentedRoutes()
  .openapi(token, async (c) => {
    const params = c.req.valid('form')
    refuseClientSecrets(params.client_secret, c.req.header('authorization'))
    const grantType = required(params.grant_type, 'grant_type')
    if (grantType !== 'refresh_token') {
      throw new ApiError(
        400,
        'unsupported_grant_type',
        'Only the refresh_token grant is supported; sign in with POST /login',
      )
    }
    const tokens = await authService(c).refresh(required(params.refresh_token, 'refresh_token'))
    const body = {
      access_token: tokens.accessToken,
      token_type: tokens.tokenType,
      expires_in: tokens.expiresIn,
      refresh_token: tokens.refreshToken,
    }
    return c.json(body, 200, OAUTH_NO_STORE)
  })
  .openapi(revoke, async (c) => {
    const params = c.req.valid('form')
    refuseClientSecrets(params.client_secret, c.req.header('authorization'))
    // token_type_hint may be anything (RFC 7009 §2.1); the token's shape says what it is.
    await authService(c).revoke(required(params.token, 'token'))
    return c.body(null, 200, OAUTH_NO_STORE)
  })
