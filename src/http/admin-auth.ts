// Who may call /admin: a server's API key with the scope the route needs, or a signed-in user with
// the admin role whose sign-in was fresh and used a second factor. Sets c.get('admin').
// (Interface fixed; the implementation arrives with the API keys work.)
import { createMiddleware } from 'hono/factory'
import type { AdminScope, AppEnv } from '../env'
import { ApiError } from '../errors'

export const requireAdmin = (scope: AdminScope) =>
  createMiddleware<AppEnv>(async () => {
    throw new ApiError('insufficient_scope', `This needs the ${scope} scope`)
  })
