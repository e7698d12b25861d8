// The signed-in user's own security events: GET /users/me/activity.
import { requireAuth } from '../auth/require-auth'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import { readyLanguage } from '../http/catalog-assets'
import { BEARER_ERRORS, bearerSecurity, jsonContent, problems } from '../http/openapi'
import { NO_STORE } from '../http/headers'
import { ActivityPageSchema, PageQuery } from '../schemas'
import { activityService } from './services'

const listActivity = createRoute({
  method: 'get',
  path: '/users/me/activity',
  operationId: 'listActivity',
  summary:
    "The caller's security events, newest first: sign-ins (and failed attempts), password and two-factor changes, sign-outs, an administrator's actions",
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  request: { query: PageQuery },
  responses: {
    200: jsonContent(ActivityPageSchema, 'A page of events'),
    ...problems(BEARER_ERRORS, ['validation_failed', 'invalid_cursor']),
  },
})

export const activityRoutes = documentedRoutes().openapi(listActivity, async (c) => {
  const { limit, cursor } = c.req.valid('query')
  // Only ever the token's own user: no parameter names whose events these are.
  const lang = await readyLanguage(c)
  const page = await activityService(c).list(c.get('user')!, { limit, cursor }, lang)
  return c.json(page, 200, NO_STORE)
})
