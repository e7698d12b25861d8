// The seed's auth routes, plus /register: validate, call the service, shape the response.
import { type Context, Hono } from 'hono'
import type { AppEnv } from '../env'
import { authService } from '../http/services'
import { Credentials, RefreshTokenBody } from '../http/schemas'
import { clientIp, rateLimit } from '../http/rate-limit'
import { jsonBody } from '../http/validate'

const noStore = { 'Cache-Control': 'no-store' }

/** Login is limited per client and username, so one address cannot spray many accounts fast. */
const loginKey = (c: Context<AppEnv, string, { out: { json: { username: string } } }>) =>
  `${clientIp(c)}:${c.req.valid('json').username.toLowerCase()}`

export const authRoutes = new Hono<AppEnv>()
  .post('/register', rateLimit('REGISTER_LIMITER', clientIp), jsonBody(Credentials), async (c) => {
    const user = await authService(c).register(c.req.valid('json'))
    return c.json(user, 201)
  })
  .post('/login', jsonBody(Credentials), rateLimit('LOGIN_LIMITER', loginKey), async (c) => {
    const tokens = await authService(c).login(c.req.valid('json'))
    return c.json(tokens, 200, noStore)
  })
  .post('/token', rateLimit('TOKEN_LIMITER', clientIp), jsonBody(RefreshTokenBody), async (c) => {
    const tokens = await authService(c).refresh(c.req.valid('json').token)
    return c.json(tokens, 200, noStore)
  })
  .on(['DELETE', 'POST'], '/logout', jsonBody(RefreshTokenBody), async (c) => {
    await authService(c).logout(c.req.valid('json').token)
    return c.body(null, 204)
  })
