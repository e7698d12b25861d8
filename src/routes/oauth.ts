// The token and revocation endpoints. For the user's own apps: the refresh_token grant (RFC 6749
// §6) and revocation (RFC 7009) over the same flows as /token and /logout; login stays at POST
// /login (RFC 9700 §2.4 rules out the password grant). For third-party apps (the authorization
// server): the authorization_code grant with PKCE, and refresh and revocation of their grant
// tokens (`app.`-prefixed), each after the client authenticates as it registered.
import { isGrantToken } from '../auth/refresh-tokens'
import { type ErrorCode, ApiError } from '../errors'
import { clientCredentials } from '../http/client-auth'
import { claimedClientId } from '../services/oauth-server/clients'
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
import { authService, authorizationServer, clientOf, clientService, tokenService } from './services'

// RFC 6749 §3.2: a parameter sent without a value is treated as omitted.
function required(value: string | undefined, name: string): string {
  if (!value) throw new ApiError('invalid_request', `${name} is required`)
  return value
}

/** The user's own apps are public clients: they send client_id alone or nothing. */
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
  'authorization_server_unavailable',
  ...CONFIG_ERRORS,
  ...STORAGE_ERRORS,
]

const token = createRoute({
  method: 'post',
  path: '/oauth/token',
  operationId: 'oauthToken',
  summary:
    "OAuth 2.1 token endpoint: authorization_code (PKCE) for third-party apps, refresh_token for theirs and the user's own",
  tags: ['oauth'],
  middleware: [rateLimit('TOKEN_LIMITER', clientIp)] as const,
  request: { body: formRequest(OAuthTokenForm) },
  responses: {
    200: jsonContent(OAuthTokenResponse, 'A new access token and the rotated refresh token'),
    ...oauthProblems(FORM_ERRORS, [
      'unsupported_grant_type',
      'invalid_refresh_token',
      'refresh_token_reused',
      'invalid_grant',
      'invalid_scope',
      'invalid_target',
      'unauthorized_client',
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

/** A third-party client, authenticated as it registered (the authorization server must be on). */
async function authenticatedClient(
  c: Parameters<typeof clientCredentials>[0],
  form: Parameters<typeof clientCredentials>[1],
) {
  authorizationServer(c)
  return clientService(c).authenticate(clientCredentials(c, form))
}

export const oauthRoutes = documentedRoutes()
  .openapi(token, async (c) => {
    const params = c.req.valid('form')
    const grantType = required(params.grant_type, 'grant_type')
    if (grantType === 'authorization_code') {
      const client = await authenticatedClient(c, params)
      const tokens = await tokenService(c).exchangeCode(client, params, clientOf(c))
      clientService(c).used(client)
      return c.json(tokens, 200, OAUTH_NO_STORE)
    }
    if (grantType !== 'refresh_token') {
      throw new ApiError(
        'unsupported_grant_type',
        'Only the authorization_code and refresh_token grants are supported; there is no password grant',
      )
    }
    const refreshToken = required(params.refresh_token, 'refresh_token')
    if (isGrantToken(refreshToken)) {
      authorizationServer(c)
      const credentials = clientCredentials(c, params)
      const tokens = await tokenService(c).refresh(
        () => clientService(c).authenticate(credentials),
        claimedClientId(credentials),
        refreshToken,
        params,
      )
      return c.json(tokens, 200, OAUTH_NO_STORE)
    }
    refuseClientSecrets(params.client_secret, c.req.header('authorization'))
    const tokens = await authService(c).refresh(refreshToken)
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
    const token = required(params.token, 'token')
    // token_type_hint may be anything (RFC 7009 §2.1); the token's shape says what it is.
    const authenticates = Boolean(
      params.client_secret || params.client_assertion || c.req.header('authorization'),
    )
    if (isGrantToken(token) || authenticates) {
      const client = await authenticatedClient(c, params)
      // An app's access token is not revoked: it lives minutes, and resources check it offline.
      if (isGrantToken(token)) await tokenService(c).revoke(client, token)
      return c.body(null, 200, OAUTH_NO_STORE)
    }
    refuseClientSecrets(params.client_secret, c.req.header('authorization'))
    await authService(c).revoke(token)
    return c.body(null, 200, OAUTH_NO_STORE)
  })
