// OAuth 2.0 wire formats over the same flows as /token and /logout: the refresh_token grant
// (RFC 6749 §6) and token revocation (RFC 7009). Login stays at POST /login: RFC 9700 §2.4 rules
// out the password grant.
import { type ErrorCode, ApiError } from '../errors'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import { OAUTH_NO_STORE } from '../http/headers'
import {
  CONFIG_ERRORS,
  STORAGE_ERRORS,
  formRequest,
  jsonContent,
  oauthProblems,
} from '../http/openapi'
import { clientIp, rateLimit } from '../http/rate-limit'
import { OAuthRevokeForm, OAuthTokenForm, OAuthTokenResponse } from '../schemas'
import { authService } from './services'

// RFC 6749 §3.2: a parameter sent without a value is treated as omitted.
function required(value: string | undefined, name: string): string {
  if (!value) throw new ApiError('invalid_request', `${name} is required`)
  return value
}

/** Public clients only (`token_endpoint_auth_methods_supported: ["none"]`). */
function refuseClientSecrets(clientSecret: string | undefined, authorization: string | undefined) {
  if (clientSecret || authorization) {
    throw new ApiError(
      'invalid_client',
      'Client authentication is not supported; send client_id alone or nothing',
    )
  }
}

/** What both routes may answer about the form and the client. */
const FORM_ERRORS: ErrorCode[] = [
  'validation_failed',
  'bad_request',
  'payload_too_large',
  'invalid_request',
  'invalid_client',
  'rate_limited',
  ...CONFIG_ERRORS,
  ...STORAGE_ERRORS,
]

const token = createRoute({
  method: 'post',
  path: '/oauth/token',
  operationId: 'oauthToken',
  summary: 'OAuth 2.0 token endpoint: the refresh_token grant only',
  tags: ['oauth'],
  middleware: [rateLimit('TOKEN_LIMITER', clientIp)] as const,
  request: { body: formRequest(OAuthTokenForm) },
  responses: {
    200: jsonContent(OAuthTokenResponse, 'A new access token and the rotated refresh token'),
    ...oauthProblems(FORM_ERRORS, [
      'unsupported_grant_type',
      'invalid_refresh_token',
      'refresh_token_reused',
    ]),
  },
})

const revoke = createRoute({
  method: 'post',
  path: '/oauth/revoke',
  operationId: 'oauthRevoke',
  summary: 'OAuth 2.0 token revocation (RFC 7009): ends the session of either token',
  tags: ['oauth'],
  middleware: [rateLimit('TOKEN_LIMITER', clientIp)] as const,
  request: { body: formRequest(OAuthRevokeForm) },
  responses: {
    200: { description: 'Revoked, or the token was already invalid' },
    ...oauthProblems(FORM_ERRORS),
  },
})

export const oauthRoutes = documentedRoutes()
  .openapi(token, async (c) => {
    const params = c.req.valid('form')
    refuseClientSecrets(params.client_secret, c.req.header('authorization'))
    const grantType = required(params.grant_type, 'grant_type')
    if (grantType !== 'refresh_token') {
      throw new ApiError(
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
