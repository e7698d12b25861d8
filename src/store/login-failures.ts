// Failed-login counters in KV, for the login backoff: one run per (username, network) and one per
// username from every network together. Only this file touches them; services/login-backoff.ts
// decides what they mean.
import { KV_MIN_EXPIRATION_TTL_SECONDS } from '../env'
import { now } from '../clock'
import { guarded } from './errors'
import { kvKeys } from './keys'

/** One network's run of failures for a username. Times are epoch ms. */
export type NetworkFailures = {
  count: number
  /** Until when this network's attempts are refused (the time of the last failure when none). */
  lockedUntil: number
  lastFailureAt: number
}

/** The username's failures from every network together, counted in a window from `since`. */
export type UsernameFailures = {
  count: number
  since: number
  /** Until when everyone's attempts are refused; 0 until the run reaches its ceiling. */
  lockedUntil: number
  /** When a password reset forgot every run: network runs from before it count as none. */
  clearedAt?: number
}

/** What one attempt reads: its network's run and its username's, either absent. */
export type LoginFailureRuns = {
  network: NetworkFailures | null
  username: UsernameFailures | null
}

/** A network's run is forgotten this long after its last failure's lock ends. */
export const FAILURE_MEMORY_SECONDS = 15 * 60

/**
 * A username's run counts failures in a fixed window from its first, so that no pace one network
 * can keep stretches one window over its failures (see login-backoff.ts for the numbers). An hour:
 * also longer than any network run can outlive a reset's mark (its memory plus the longest lock,
 * 30 minutes), so the mark lives while anything it hides does.
 */
export const USERNAME_WINDOW_SECONDS = 60 * 60

/** KV's TTL floor applies even to records whose own times have already made them useless. */
const ttlUntil = (keepUntil: number): number =>
  Math.max(KV_MIN_EXPIRATION_TTL_SECONDS, Math.ceil((keepUntil - now()) / 1000))

const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0

/** A record of another shape (an older release's, or damaged) counts as none. */
function networkRun(value: unknown): NetworkFailures | null {
  const r = value as Partial<NetworkFailures> | null
  return r && isTime(r.count) && isTime(r.lockedUntil) && isTime(r.lastFailureAt)
    ? { count: r.count, lockedUntil: r.lockedUntil, lastFailureAt: r.lastFailureAt }
    : null
}

function usernameRun(value: unknown): UsernameFailures | null {
  const r = value as Partial<UsernameFailures> | null
  if (!r || !isTime(r.count) || !isTime(r.since) || !isTime(r.lockedUntil)) return null
  const run: UsernameFailures = { count: r.count, since: r.since, lockedUntil: r.lockedUntil }
  if (isTime(r.clearedAt)) run.clearedAt = r.clearedAt
  return run
}

export type LoginFailureStore = ReturnType<typeof loginFailureStore>

export function loginFailureStore(kv: KVNamespace) {
  const put = (operation: string, key: string, value: unknown, keepUntil: number) =>
    guarded('kv', operation, () =>
      kv.put(key, JSON.stringify(value), { expirationTtl: ttlUntil(keepUntil) }),
    )

  return {
    /** Both runs of an attempt in one bulk get: one round trip and one subrequest. */
    read: (username: string, network: string): Promise<LoginFailureRuns> =>
      guarded('kv', 'get login failures', async () => {
        const keys = [
          kvKeys.networkLoginFailures(username, network),
          kvKeys.loginFailures(username),
        ]
        const values = await kv.get<unknown>(keys, 'json')
        return {
          network: networkRun(values.get(keys[0]!) ?? null),
          username: usernameRun(values.get(keys[1]!) ?? null),
        }
      }),

    putNetwork: (username: string, network: string, run: NetworkFailures, keepUntil: number) =>
      put('put login failures', kvKeys.networkLoginFailures(username, network), run, keepUntil),

    putUsername: (username: string, run: UsernameFailures, keepUntil: number) =>
      put('put login failures', kvKeys.loginFailures(username), run, keepUntil),

    /** Ends one network's run (a sign-in from it succeeded). */
    clearNetwork: (username: string, network: string) =>
      guarded('kv', 'delete login failures', () =>
        kv.delete(kvKeys.networkLoginFailures(username, network)),
      ),

    /**
     * Forgets every run of the username, on every network, in one write (a password reset: no
     * guess at the old password matters any more). The username's run starts again at 0, marked
     * `clearedAt`; network runs from before the mark count as none, so no key need be listed.
     */
    clear: (username: string) => {
      const at = now()
      const run: UsernameFailures = { count: 0, since: at, lockedUntil: 0, clearedAt: at }
      return put(
        'clear login failures',
        kvKeys.loginFailures(username),
        run,
        at + USERNAME_WINDOW_SECONDS * 1000,
      )
    },
  }
}
