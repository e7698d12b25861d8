// Connected apps, by API: the third-party apps the caller has allowed (grants), and removing one,
// which stops its refresh tokens at once. The same list is on /account.
import * as z from 'zod'
import { requireAuth } from '../auth/require-auth'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import { NO_STORE } from '../http/headers'
import { BEARER_ERRORS, bearerSecurity, jsonContent, problems } from '../http/openapi'
import { ConnectedAppSchema, GrantIdParam } from '../schemas'
import { grantService } from './services'

const list = createRoute({
  method: 'get',
  path: '/users/me/grants',
  operationId: 'listGrants',
  summary: 'The third-party apps the caller has allowed, most recently used first',
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  responses: {
    200: jsonContent(z.array(ConnectedAppSchema), 'Connected apps'),
    ...problems(BEARER_ERRORS),
  },
})

const remove = createRoute({
  method: 'delete',
  path: '/users/me/grants/{id}',
  operationId: 'deleteGrant',
  summary: 'Remove a connected app: its refresh tokens stop now; its access tokens run out',
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  request: { params: GrantIdParam },
  responses: {
    204: { description: 'Removed' },
    ...problems(BEARER_ERRORS, ['validation_failed', 'payload_too_large', 'grant_not_found']),
  },
})

const iso = (ms: number) => new Date(ms).toISOString()

export const grantRoutes = documentedRoutes()
  .openapi(list, async (c) => {
    const apps = await grantService(c).list(c.get('user')!.id)
    const body = apps.map((app) => ({
      ...app,
      createdAt: iso(app.createdAt),
      lastUsedAt: iso(app.lastUsedAt),
    }))
    return c.json(body, 200, NO_STORE)
  })
  .openapi(remove, async (c) => {
    await grantService(c).remove(c.get('user')!.id, c.req.valid('param').id)
    return c.body(null, 204)
  })
