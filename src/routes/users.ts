// The seed's GET /users: the caller's own record, in an array as the seed returned it.
import * as z from 'zod'
import { requireAuth } from '../auth/require-auth'
import { NO_STORE } from '../http/headers'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import { BEARER_ERRORS, bearerSecurity, jsonContent, problems } from '../http/openapi'
import { PublicUserSchema } from '../schemas'
import { accountService } from './services'

const listUsers = createRoute({
  method: 'get',
  path: '/users',
  operationId: 'listUsers',
  summary: "The caller's own record, in an array as the seed returned it",
  tags: ['users'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  responses: {
    200: jsonContent(z.array(PublicUserSchema), 'The caller'),
    ...problems(BEARER_ERRORS),
  },
})

export const userRoutes = documentedRoutes().openapi(listUsers, async (c) => {
  const user = await accountService(c).whoami(c.get('user')!)
  return c.json([user], 200, NO_STORE)
})
