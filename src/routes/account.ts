// The signed-in user's own account: who am I, sessions, password change, account deletion.
import * as z from 'zod'
import { requireAuth } from '../auth/require-auth'
import {
  BEARER_PROBLEMS,
  BODY_PROBLEMS,
  bearerSecurity,
  createRoute,
  documentedRoutes,
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
} from '../http/schemas'
import { accountService } from './services'
import { jsonOnly } from '../http/validate'

const me = createRoute({
  method: 'get',
  path: '/users/me',
  summary: 'The caller',
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  responses: { 200: jsonContent(PublicUserSchema, 'The caller'), ...problems(BEARER_PROBLEMS) },
})

const changePassword = createRoute({
  method: 'post',
  path: '/users/me/password',
  summary: 'Change the password; every other session ends, this one stays signed in',
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth, jsonOnly] as const,
  request: { body: jsonRequest(ChangePasswordBody) },
  responses: {
    204: { description: 'Changed' },
    ...problems({
      ...BODY_PROBLEMS,
      401: 'invalid_token; or invalid_credentials: currentPassword is wrong, nothing changed',
      429: 'rate_limited (shares the login limit)',
    }),
  },
})

const deleteAccount = createRoute({
  method: 'delete',
  path: '/users/me',
  summary: 'Delete the account and every session; the username can be registered again',
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth, jsonOnly] as const,
  request: { body: jsonRequest(DeleteAccountBody) },
  responses: {
    204: {
      description: 'Deleted (also for an account already deleted: a retry completes the end)',
    },
    ...problems({
      ...BODY_PROBLEMS,
      401: 'invalid_token; or invalid_credentials: the password is wrong, nothing changed',
      429: 'rate_limited (shares the login limit)',
    }),
  },
})

const listSessions = createRoute({
  method: 'get',
  path: '/sessions',
  summary: "The caller's active sessions (one per login), most recently used first",
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  responses: {
    200: jsonContent(z.array(SessionSchema), 'Active sessions'),
    ...problems(BEARER_PROBLEMS),
  },
})

const endSession = createRoute({
  method: 'delete',
  path: '/sessions/{id}',
  summary: "End one of the caller's sessions",
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  request: { params: SessionIdParam },
  responses: {
    204: { description: 'Ended' },
    ...problems({ ...BEARER_PROBLEMS, 404: "session_not_found: not one of the caller's sessions" }),
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
