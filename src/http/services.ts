// Builds the services a request needs from the worker's bindings.
import type { Context } from 'hono'
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
    config: () => loadConfig(c.env),
    requestId: c.get('requestId'),
  })
