// The seed's auth routes, plus /register: validate, call the service, shape the response.
import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { authService } from '../http/services'
import { Credentials, RefreshTokenBody } from '../http/schemas'
import { jsonBody } from '../http/validate'

const noStore = { 'Cache-Control': 'no-store' }

export const authRoutes = new Hono<AppEnv>()
  .post('/register', jsonBody(Credentials), async (c) => {
    const user = await authService(c).register(c.req.valid('json'))
    return c.json(user, 201)
  })
  .post('/login', jsonBody(Credentials), async (c) => {
    const tokens = await authService(c).login(c.req.valid('json'))
    return c.json(tokens, 200, noStore)
  })
  .post('/token', jsonBody(RefreshTokenBody), async (c) => {
    const tokens = await authService(c).refresh(c.req.valid('json').token)
    return c.json(tokens, 200, noStore)
  })
  .on(['DELETE', 'POST'], '/logout', jsonBody(RefreshTokenBody), async (c) => {
    await authService(c).logout(c.req.valid('json').token)
    return c.body(null, 204)
  })
