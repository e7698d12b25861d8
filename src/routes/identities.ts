// Other providers, by API: which are configured (for an app's own sign-in buttons), a native
// app's sign-in with the ID token it already holds, and the caller's connected identities, which
// it may disconnect. The browser's sign-in and connecting are pages/federation.ts's.
import * as z from 'zod'
import { requireAuth } from '../auth/require-auth'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import { NO_STORE } from '../http/headers'
import {
  BEARER_ERRORS,
  BODY_ERRORS,
  CONFIG_ERRORS,
  STORAGE_ERRORS,
  bearerSecurity,
  jsonContent,
  jsonRequest,
  problems,
} from '../http/openapi'
import { checkCookieOrigin } from '../http/csrf'
import { checkRateLimit, clientIp } from '../http/rate-limit'
import { jsonOnly } from '../http/validate'
import { IdTokenSignInBody, IdentitySchema, ProviderIdParam, ProviderSchema } from '../schemas'
import { clientOf, federationService } from './services'
import { signedIn, tokensOrCookie } from './sign-in'

const providers = createRoute({
  method: 'get',
  path: '/providers',
  operationId: 'listProviders',
  summary: 'The providers people can sign in with here (their buttons start at GET /signin/{id})',
  tags: ['identities'],
  responses: {
    200: jsonContent(z.array(ProviderSchema), 'Configured, usable providers'),
    ...problems(CONFIG_ERRORS),
  },
})

const idTokenSignIn = createRoute({
  method: 'post',
  path: '/login/{provider}/id-token',
  operationId: 'loginWithIdToken',
  summary:
    "Native apps: sign in with the ID token the platform's own sign-in gave (the same answer as /login; amr fed)",
  tags: ['auth'],
  middleware: [jsonOnly] as const,
  request: { params: ProviderIdParam, body: jsonRequest(IdTokenSignInBody) },
  responses: {
    200: tokensOrCookie('Signed in'),
    ...problems(
      BODY_ERRORS,
      [
        'federated_sign_in_failed',
        'mfa_required',
        'provider_not_found',
        'provider_unavailable',
        'csrf_rejected',
        'rate_limited',
      ],
      CONFIG_ERRORS,
      STORAGE_ERRORS,
    ),
  },
})

const list = createRoute({
  method: 'get',
  path: '/users/me/identities',
  operationId: 'listIdentities',
  summary: "The caller's identities at other providers, oldest first",
  tags: ['identities'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  responses: {
    200: jsonContent(z.array(IdentitySchema), 'Identities'),
    ...problems(BEARER_ERRORS),
  },
})

const remove = createRoute({
  method: 'delete',
  path: '/users/me/identities/{provider}',
  operationId: 'deleteIdentity',
  summary:
    'Disconnect the identity at a provider (refused when it is the only way left to sign in)',
  tags: ['identities'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  request: { params: ProviderIdParam },
  responses: {
    204: { description: 'Disconnected' },
    ...problems(BEARER_ERRORS, ['validation_failed', 'identity_not_found', 'last_sign_in_method']),
  },
})

export const identityRoutes = documentedRoutes()
  .openapi(providers, (c) => {
    const usable = federationService(c).available()
    return c.json(
      usable.map((p) => ({ id: p.id, name: p.name, type: p.type })),
      200,
    )
  })
  .openapi(idTokenSignIn, async (c) => {
    const { mode, ...token } = c.req.valid('json')
    if (mode === 'cookie') checkCookieOrigin(c)
    await checkRateLimit(c, 'LOGIN_LIMITER', `${clientIp(c)}:federation`)
    const { provider } = c.req.valid('param')
    const tokens = await federationService(c).signInWithIdToken(provider, token, clientOf(c))
    return signedIn(c, mode, tokens)
  })
  .openapi(list, async (c) => {
    return c.json(await federationService(c).list(c.get('user')!), 200, NO_STORE)
  })
  .openapi(remove, async (c) => {
    await federationService(c).unlink(c.get('user')!, c.req.valid('param').provider)
    return c.body(null, 204)
  })
