// Builds the services a request needs from the worker's bindings.
import type { Context } from 'hono'
import { ensureSigningKeys } from '../auth/access-tokens'
import { type AppEnv, loadConfig } from '../env'
import { AuthService } from '../services/auth'
import { loginFailureStore } from '../store/login-failures'
import { sessionStore } from '../store/sessions'
import { userStore } from '../store/users'

export const authService = (c: Context<AppEnv>): AuthService =>
  new AuthService({
    users: userStore(c.env.DB),
    sessions: sessionStore(c.env.REFRESH_TOKENS),
    loginFailures: loginFailureStore(c.env.REFRESH_TOKENS),
    config: async () => {
      const cfg = loadConfig(c.env, new URL(c.req.url).origin)
      await ensureSigningKeys(cfg)
      return cfg
    },
    requestId: c.get('requestId'),
  })
