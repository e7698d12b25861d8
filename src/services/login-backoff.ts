// Per-username login backoff: after LOGIN_MAX_FAILURES consecutive failures, each further one
// locks the name for twice as long as the last (1 s, 2 s, 4 s … up to 15 minutes). Failures are
// counted per username whether or not the account exists, so the backoff reveals nothing.
// Knows nothing of Hono or bindings; off with RATE_LIMITS=off.
import type { Config } from '../env'
import { now } from '../clock'
import type { LoginFailureStore, LoginFailures } from '../store/login-failures'

/** The longest a username is locked after repeated failed logins. */
const MAX_LOGIN_LOCK_SECONDS = 15 * 60

export type LoginBackoff = ReturnType<typeof loginBackoff>

export function loginBackoff(store: LoginFailureStore, cfg: Config) {
  return {
    /** The username's run of failures so far: null when there is none, or limits are off. */
    read: (username: string): Promise<LoginFailures | null> =>
      cfg.rateLimits ? store.get(username) : Promise.resolve(null),

    /** Whole seconds the username is still locked for (0: not locked). */
    lockedFor: (failures: LoginFailures | null): number =>
      failures ? Math.max(0, Math.ceil((failures.lockedUntil - now()) / 1000)) : 0,

    /** One more failure after `previous`; from the threshold on, it also locks the name. */
    async fail(username: string, previous: LoginFailures | null): Promise<void> {
      if (!cfg.rateLimits) return
      const count = (previous?.count ?? 0) + 1
      const over = count - cfg.loginMaxFailures
      const lockSeconds = over >= 0 ? Math.min(2 ** over, MAX_LOGIN_LOCK_SECONDS) : 0
      await store.put(username, { count, lockedUntil: now() + lockSeconds * 1000 }, lockSeconds)
    },

    /** A successful login ends the run. */
    async succeed(username: string, previous: LoginFailures | null): Promise<void> {
      if (previous) await store.clear(username)
    },
  }
}
