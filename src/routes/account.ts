// The signed-in user's own account: who am I, sessions, password change, account deletion.
import * as z from 'zod'
import { requireAuth } from '../auth/require-auth'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import {
  BEARER_ERRORS,
  BODY_ERRORS,
  bearerSecurity,
  jsonContent,
  jsonRequest,
  problems,
} from '../http/openapi'
import { NO_STORE } from '../http/headers'
import { checkLoginLimit } from '../http/rate-limit'
import {
  ChangePasswordBody,
  DeleteAccountBody,
  PublicUserSchema,
  SessionIdParam,
  SessionSchema,
} from '../schemas'
import { accountService } from './services'
import { jsonOnly } from '../http/validate'

const me = createRoute({
  method: 'get',
  path: '/users/me',
  operationId: 'getCurrentUser',
  summary: 'The caller',
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  responses: { 200: jsonContent(PublicUserSchema, 'The caller'), ...problems(BEARER_ERRORS) },
})

const changePassword = createRoute({
  method: 'post',
  path: '/users/me/password',
  operationId: 'changePassword',
  summary: 'Change the password; every other session ends, this one stays signed in',
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth, jsonOnly] as const,
  request: { body: jsonRequest(ChangePasswordBody) },
  responses: {
    204: { description: 'Changed' },
    ...problems(BEARER_ERRORS, BODY_ERRORS, [
      'invalid_credentials',
      'password_changed_concurrently',
      'rate_limited',
    ]),
  },
})

const deleteAccount = createRoute({
  method: 'delete',
  path: '/users/me',
  operationId: 'deleteAccount',
  summary: 'Delete the account and every session; the username can be registered again',
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth, jsonOnly] as const,
  request: { body: jsonRequest(DeleteAccountBody) },
  responses: {
    204: {
      description: 'Deleted (also for an account already deleted: a retry completes the end)',
    },
    ...problems(BEARER_ERRORS, BODY_ERRORS, ['invalid_credentials', 'rate_limited']),
  },
})

const listSessions = createRoute({
  method: 'get',
  path: '/sessions',
  operationId: 'listSessions',
  summary: "The caller's active sessions (one per login), most recently used first",
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  responses: {
    200: jsonContent(z.array(SessionSchema), 'Active sessions'),
    ...problems(BEARER_ERRORS),
  },
})

const endSession = createRoute({
  method: 'delete',
  path: '/sessions/{id}',
  operationId: 'endSession',
  summary: "End one of the caller's sessions",
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  request: { params: SessionIdParam },
  responses: {
    204: { description: 'Ended' },
    // A DELETE may carry a body, which the size limit refuses like any other.
    ...problems(BEARER_ERRORS, ['validation_failed', 'payload_too_large', 'session_not_found']),
  },
})

export const accountRoutes = documentedRoutes()
  .openapi(me, async (c) => {
    const user = await accountService(c).whoami(c.get('user')!)
    return c.json(user, 200, NO_STORE)
  })
  .openapi(changePassword, async (c) => {
    const caller = c.get('user')!
    // Guessing the current password is a login attempt by another route: same budget.
    await checkLoginLimit(c, caller.username)
    await accountService(c).changePassword(caller, c.req.valid('json'))
    return c.body(null, 204)
  })
  .openapi(deleteAccount, async (c) => {
    const caller = c.get('user')!
    await checkLoginLimit(c, caller.username)
    await accountService(c).deleteAccount(caller, c.req.valid('json').password)
    return c.body(null, 204)
  })
  .openapi(listSessions, async (c) => {
    const sessions = await accountService(c).listSessions(c.get('user')!)
    return c.json(sessions, 200, NO_STORE)
  })
  .openapi(endSession, async (c) => {
    await accountService(c).endSession(c.get('user')!, c.req.valid('param').id)
    return c.body(null, 204)
  })
