// UserInfo (OpenID Connect Core §5.3): the claims an OpenID grant's access token releases, GET or
// POST, with the token in the Authorization header or (POST) the form (RFC 6750 §2.1, §2.2).
// Any origin may call it: the token is the only credential, never a cookie.
import * as z from 'zod'
import type { Context } from 'hono'
import { cors } from 'hono/cors'
import type { AppEnv } from '../env'
import { bearerToken } from '../auth/require-auth'
import { ApiError } from '../errors'
import { NO_STORE } from '../http/headers'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import { BEARER_ERRORS, bearerSecurity, jsonContent, problems } from '../http/openapi'
import { UserInfoSchema } from '../schemas'
import { userInfoService } from './services'

const ERRORS = [
  ...BEARER_ERRORS,
  'validation_failed',
  'bad_request',
  'payload_too_large',
  'insufficient_scope',
  'invalid_request',
  'authorization_server_unavailable',
] as const

const responses = {
  200: jsonContent(UserInfoSchema, "The user's claims, as the token's scopes release them"),
  ...problems([...ERRORS]),
}

const getUserInfo = createRoute({
  method: 'get',
  path: '/userinfo',
  operationId: 'getUserInfo',
  summary: 'OpenID Connect UserInfo: the claims an OpenID access token releases',
  tags: ['oauth'],
  security: bearerSecurity,
  responses,
})

const postUserInfo = createRoute({
  method: 'post',
  path: '/userinfo',
  operationId: 'postUserInfo',
  summary: 'OpenID Connect UserInfo by POST: the token in the header or the form (RFC 6750 §2.2)',
  tags: ['oauth'],
  security: bearerSecurity,
  request: {
    body: {
      required: false,
      content: {
        'application/x-www-form-urlencoded': {
          schema: z.object({ access_token: z.string().max(8192).optional() }),
        },
      },
    },
  },
  responses,
})

/** The one token the request carries: in the header, or in a POST's form, never both. */
function tokenOf(c: Context<AppEnv>, fromForm: string | undefined): string {
  const header = c.req.header('authorization')
  if (header !== undefined && fromForm !== undefined) {
    throw new ApiError('invalid_request', 'Send the access token one way, not two')
  }
  return fromForm ?? bearerToken(header)
}

const anyOrigin = cors({
  origin: '*',
  allowMethods: ['GET', 'POST'],
  allowHeaders: ['Authorization', 'Content-Type'],
  exposeHeaders: ['WWW-Authenticate'],
  maxAge: 600,
})

export const userInfoRoutes = documentedRoutes()
userInfoRoutes.use('/userinfo', anyOrigin)
userInfoRoutes
  .openapi(getUserInfo, async (c) => {
    const claims = await userInfoService(c).claims(tokenOf(c, undefined))
    return c.json(claims, 200, NO_STORE)
  })
  .openapi(postUserInfo, async (c) => {
    const form = c.req.header('content-type')?.startsWith('application/x-www-form-urlencoded')
      ? (c.req.valid('form') as { access_token?: string })
      : {}
    const claims = await userInfoService(c).claims(tokenOf(c, form.access_token))
    return c.json(claims, 200, NO_STORE)
  })
