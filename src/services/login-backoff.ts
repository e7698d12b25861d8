// Login backoff, in two runs, so that a stranger's failures cannot lock the owner out:
// - per (username, network): after LOGIN_MAX_FAILURES failures from one /24 or /48, each further
//   one locks that network out of that name for twice as long as the last (1 s, 2 s, 4 s … up to
//   15 minutes). Other networks are not affected, the owner's included.
// - per username, from every network together: a ceiling no single network can reach in its
//   window, however it paces its guesses; past it, the same doubling locks the name for everyone
//   (a distributed attack, the only thing that gets there).
// Failures are counted whether or not the account exists, so the backoff reveals nothing.
// Knows nothing of Hono or bindings; off with RATE_LIMITS=off.
import type { Config } from '../env'
import { now } from '../clock'
import {
  FAILURE_MEMORY_SECONDS,
  type LoginFailureRuns,
  type LoginFailureStore,
  type NetworkFailures,
  USERNAME_WINDOW_SECONDS,
  type UsernameFailures,
} from '../store/login-failures'

/** The longest either run locks for at a time: the most a stranger can cost the owner per lock. */
export const MAX_LOGIN_LOCK_SECONDS = 15 * 60

/**
 * How often one network's run can be forgotten in a username window (after FAILURE_MEMORY_SECONDS
 * of quiet), each time earning a fresh LOGIN_MAX_FAILURES: 4 in an hour.
 */
const FRESH_RUNS_PER_WINDOW = Math.ceil(USERNAME_WINDOW_SECONDS / FAILURE_MEMORY_SECONDS)

/**
 * The most failures one network fits into its locks (1 s, 2 s … 15 min) in a username window
 * besides those fresh runs, at its best pace. Found by searching every pacing
 * (test/services/login-backoff.test.ts), for every LOGIN_MAX_FAILURES from 1 to 100.
 */
const LOCKED_FAILURES_PER_WINDOW = 28

/** The most failed logins one network can make for one username in a username window: 48 at 5. */
export const mostFromOneNetwork = (maxFailures: number): number =>
  FRESH_RUNS_PER_WINDOW * maxFailures + LOCKED_FAILURES_PER_WINDOW

/**
 * The username's ceiling: twice what one network can do at its fastest (96 an hour at the default
 * 5), so one stranger, or the owner's own typing, never locks the name for everyone; it takes
 * several networks guessing at once. Past it, each failure locks the name for everyone.
 */
export const usernameMaxFailures = (maxFailures: number): number =>
  2 * mostFromOneNetwork(maxFailures)

/** Seconds the run's latest failure locks for: 0 below `threshold`, then 1, 2, 4 … capped. */
const lockSeconds = (count: number, threshold: number): number =>
  count < threshold ? 0 : Math.min(2 ** (count - threshold), MAX_LOGIN_LOCK_SECONDS)

const secondsLeft = (until: number, at: number): number =>
  Math.max(0, Math.ceil((until - at) / 1000))

/** When a username run is over: its window's end, or a quarter hour after its last lock. */
const usernameRunEnds = (run: UsernameFailures): number =>
  Math.max(
    run.since + USERNAME_WINDOW_SECONDS * 1000,
    run.lockedUntil > 0 ? run.lockedUntil + FAILURE_MEMORY_SECONDS * 1000 : 0,
  )

const networkRunEnds = (run: NetworkFailures): number =>
  run.lockedUntil + FAILURE_MEMORY_SECONDS * 1000

const NO_RUNS: LoginFailureRuns = { network: null, username: null }

export type LoginBackoff = ReturnType<typeof loginBackoff>
export type { LoginFailureRuns }

/** Which run a refusal comes from: only this network's, or the username's for everyone. */
export type LockScope = 'network' | 'username'

/** The backoff for attempts from `network` (the request's /24 or /48, client-network.ts). */
export function loginBackoff(store: LoginFailureStore, cfg: Config, network: string) {
  const usernameThreshold = usernameMaxFailures(cfg.loginMaxFailures)

  return {
    /** The runs that count for this name from this network: none when limits are off. */
    async read(username: string): Promise<LoginFailureRuns> {
      if (!cfg.rateLimits) return NO_RUNS
      const runs = await store.read(username, network)
      const at = now()
      // The record's own times decide, not KV's TTL (which has a floor, and lags elsewhere).
      const named = runs.username && at < usernameRunEnds(runs.username) ? runs.username : null
      const mark = named?.clearedAt
      const own =
        runs.network &&
        at < networkRunEnds(runs.network) &&
        !(mark !== undefined && runs.network.lastFailureAt <= mark)
          ? runs.network
          : null
      return { network: own, username: named }
    },

    /** Whole seconds this network is still refused for this name (0: not locked). */
    lockedFor: (runs: LoginFailureRuns): number => {
      const at = now()
      return Math.max(
        secondsLeft(runs.network?.lockedUntil ?? 0, at),
        secondsLeft(runs.username?.lockedUntil ?? 0, at),
      )
    },

    /** The run behind the longer lock, for the log: `username` means everyone is refused. */
    lockedBy: (runs: LoginFailureRuns): LockScope | null => {
      const at = now()
      const named = secondsLeft(runs.username?.lockedUntil ?? 0, at)
      const own = secondsLeft(runs.network?.lockedUntil ?? 0, at)
      if (named === 0 && own === 0) return null
      return named >= own ? 'username' : 'network'
    },

    /**
     * One more failure after `runs`, in both runs (two writes). True when it brought the
     * username's run to its ceiling, so the name is now locked for everyone.
     */
    async fail(username: string, runs: LoginFailureRuns): Promise<boolean> {
      if (!cfg.rateLimits) return false
      const at = now()
      const count = (runs.network?.count ?? 0) + 1
      const own: NetworkFailures = {
        count,
        lockedUntil: at + lockSeconds(count, cfg.loginMaxFailures) * 1000,
        lastFailureAt: at,
      }
      const previous = runs.username
      const total = (previous?.count ?? 0) + 1
      const lock = lockSeconds(total, usernameThreshold)
      const named: UsernameFailures = {
        count: total,
        since: previous?.since ?? at,
        lockedUntil: lock > 0 ? at + lock * 1000 : (previous?.lockedUntil ?? 0),
      }
      if (previous?.clearedAt !== undefined) named.clearedAt = previous.clearedAt
      await Promise.all([
        store.putNetwork(username, network, own, networkRunEnds(own)),
        store.putUsername(username, named, usernameRunEnds(named)),
      ])
      return total === usernameThreshold
    },

    /**
     * A successful sign-in ends this network's run, and writes nothing when there is none. The
     * username's run stands: one network's success says nothing about the others' guesses.
     */
    async succeed(username: string, runs: LoginFailureRuns): Promise<void> {
      if (runs.network) await store.clearNetwork(username, network)
    },
  }
}
