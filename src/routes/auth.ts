// The seed's auth routes, plus /register: validate, call the service, shape the response.
import type { RouteHandler } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { NO_STORE } from '../http/headers'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import {
  BODY_ERRORS,
  CONFIG_ERRORS,
  STORAGE_ERRORS,
  jsonContent,
  jsonRequest,
  problems,
} from '../http/openapi'
import { checkLoginLimit, clientIp, rateLimit } from '../http/rate-limit'
import {
  Credentials,
  LogoutQuery,
  PublicUserSchema,
  RefreshTokenBody,
  TokenPairSchema,
} from '../schemas'
import { authService, clientOf } from './services'
import { jsonOnly } from '../http/validate'

const register = createRoute({
  method: 'post',
  path: '/register',
  operationId: 'register',
  summary: 'Create an account',
  tags: ['auth'],
  middleware: [rateLimit('REGISTER_LIMITER', clientIp), jsonOnly] as const,
  request: { body: jsonRequest(Credentials) },
  responses: {
    201: jsonContent(PublicUserSchema, 'The new account'),
    ...problems(BODY_ERRORS, ['username_taken', 'rate_limited'], STORAGE_ERRORS),
  },
})

const login = createRoute({
  method: 'post',
  path: '/login',
  operationId: 'login',
  summary: 'Sign in: a short-lived access token and a refresh token',
  tags: ['auth'],
  middleware: [jsonOnly] as const,
  request: { body: jsonRequest(Credentials) },
  responses: {
    200: jsonContent(TokenPairSchema, 'Signed in'),
    ...problems(
      BODY_ERRORS,
      ['invalid_credentials', 'rate_limited'],
      CONFIG_ERRORS,
      STORAGE_ERRORS,
    ),
  },
})

const refresh = createRoute({
  method: 'post',
  path: '/token',
  operationId: 'refreshToken',
  summary: "Exchange a refresh token for a new pair (the seed's shape)",
  tags: ['auth'],
  middleware: [rateLimit('TOKEN_LIMITER', clientIp), jsonOnly] as const,
  request: { body: jsonRequest(RefreshTokenBody) },
  responses: {
    200: jsonContent(TokenPairSchema, 'A new access token and the rotated refresh token'),
    ...problems(
      BODY_ERRORS,
      ['invalid_refresh_token', 'refresh_token_reused', 'rate_limited'],
      CONFIG_ERRORS,
      STORAGE_ERRORS,
    ),
  },
})

const logout = (method: 'delete' | 'post') =>
  createRoute({
    method,
    path: '/logout',
    operationId: method === 'delete' ? 'logout' : 'logoutPost',
    summary:
      "End the session of a refresh token, or all of its user's (idempotent; says nothing of whether it existed)",
    tags: ['auth'],
    middleware: [jsonOnly] as const,
    request: { query: LogoutQuery, body: jsonRequest(RefreshTokenBody) },
    responses: {
      204: { description: 'Signed out' },
      ...problems(BODY_ERRORS, CONFIG_ERRORS, STORAGE_ERRORS),
    },
  })

/** DELETE /logout is the seed's; POST /logout is the same for clients that cannot send DELETE. */
const endSession: RouteHandler<ReturnType<typeof logout>, AppEnv> = async (c) => {
  await authService(c).logout(c.req.valid('json').token, c.req.valid('query').scope)
  return c.body(null, 204)
}

export const authRoutes = documentedRoutes()
  .openapi(register, async (c) => {
    const user = await authService(c).register(c.req.valid('json'))
    return c.json(user, 201)
  })
  .openapi(login, async (c) => {
    const credentials = c.req.valid('json')
    await checkLoginLimit(c, credentials.username)
    const tokens = await authService(c).login(credentials, clientOf(c))
    return c.json(tokens, 200, NO_STORE)
  })
  .openapi(refresh, async (c) => {
    const tokens = await authService(c).refresh(c.req.valid('json').token)
    return c.json(tokens, 200, NO_STORE)
  })
  .openapi(logout('delete'), endSession)
  .openapi(logout('post'), endSession)
