// The services wired to store doubles, for service-level and model-based tests.
import { vi } from 'vitest'
import { decodeJwt } from 'jose'
import type { Config } from '../../src/env'
import { ApiError } from '../../src/errors'
import { AccountService } from '../../src/services/account'
import { type AuthDeps, AuthService } from '../../src/services/auth'
import { SessionService } from '../../src/services/sessions'
import { loginFailureStore } from '../../src/store/login-failures'
import { sessionStore } from '../../src/store/sessions'
import { logOnly } from '../../src/services/events'
import { PASSWORD, unitConfig } from '../helpers'
import { memoryD1 } from './d1'
import { type KvLike, MemoryKV } from './kv'

/** HS256 keeps signing cheap; the rules under test do not depend on the algorithm. */
export const serviceConfig = (overrides: Partial<Config> = {}): Config =>
  unitConfig({ alg: 'HS256', secret: 'h'.repeat(64) }, { rateLimits: false, ...overrides })

export function servicesOn<K extends KvLike>(
  kv: K,
  cfg: Config = serviceConfig(),
  d1: ReturnType<typeof memoryD1> = memoryD1(),
) {
  const deferred: Promise<unknown>[] = []
  const waited: number[] = []
  const deps: AuthDeps = {
    users: d1.users,
    index: d1.index,
    sessions: sessionStore(kv as unknown as KVNamespace),
    loginFailures: loginFailureStore(kv as unknown as KVNamespace),
    defer: (task) => void deferred.push(task),
    events: logOnly(),
    // Time passes on the (faked) clock instead: tests never sleep.
    wait: async (ms) => {
      waited.push(ms)
      if (vi.isFakeTimers()) vi.setSystemTime(Date.now() + ms)
    },
    config: async () => cfg,
    noticeBrand: () => ({ service: 'auth.example' }),
    // Mail here is English (no request language): nothing to read.
    loadLanguage: async () => 'en',
    // Second factors are tested against real D1 (test/routes/totp.test.ts), not here.
    totp: unsupported('totp'),
    ceremonies: unsupported('ceremonies'),
    passkeys: unsupported('passkeys'),
    identities: unsupported('identities'),
    // No emails here: a password change revokes reset links, of which there are none.
    emailTokens: {
      ...unsupported<AuthDeps['emailTokens']>('emailTokens'),
      revoke: async () => [] as never,
    },
    emailQuota: unsupported('emailQuota'),
    mailer: () => unsupported('mailer'),
    mfaKeys: () => Promise.reject(new Error('no MFA key in the service doubles')),
    network: '192.0.2.0/24',
  }
  return {
    kv,
    d1,
    cfg,
    auth: new AuthService(deps),
    account: new AccountService(deps),
    sessions: new SessionService(deps),
    /** Every wait a service asked for, in ms. */
    waited,
    /** Waits for the work each request left to run after its response. */
    settle: () => Promise.all(deferred.splice(0)),
    /** A registered user with one session. */
    async signedIn(username = `u${crypto.randomUUID().slice(0, 8)}`) {
      const user = await this.auth.register({ username, password: PASSWORD })
      const tokens = await this.auth.login({ username, password: PASSWORD }, NO_CLIENT)
      return { user, tokens }
    },
  }
}

/** A store these doubles do not model: any call fails the test. */
function unsupported<T>(name: string): T {
  return new Proxy({} as object, {
    get: (_, method) => () => Promise.reject(new Error(`${name}.${String(method)} has no double`)),
  }) as T
}

export const NO_CLIENT = { userAgent: null, country: null, city: null }

export const memoryServices = (cfg?: Config) => servicesOn(new MemoryKV(), cfg)

/** The service's error code for a call, or 'ok': what a route would turn into its status. */
export async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work
    return 'ok'
  } catch (err) {
    if (err instanceof ApiError) return err.code
    throw err
  }
}

/** The session an access token belongs to (its `sid` claim). */
export const sessionIdOf = (accessToken: string): string =>
  (decodeJwt(accessToken) as { sid: string }).sid
