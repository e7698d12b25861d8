// The seed's GET /users: the caller's own record, in an array as the seed returned it.
import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { requireAuth } from '../auth/require-auth'
import { authService } from '../http/services'

export const userRoutes = new Hono<AppEnv>().get('/users', requireAuth, async (c) => {
  const user = await authService(c).whoami(c.get('user')!)
  return c.json([user], 200, { 'Cache-Control': 'no-store' })
})
