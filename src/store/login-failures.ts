// Failed-login counters per username in KV, for the per-account backoff. Only this file touches them.
import { KV_MIN_EXPIRATION_TTL_SECONDS } from '../env'
import { guarded } from './errors'
import { kvKeys } from './keys'

/** Consecutive failures, and until when (epoch ms) further attempts are refused. */
export type LoginFailures = { count: number; lockedUntil: number }

/** A username's failures are forgotten this long after its last one (or its lock's end). */
export const FAILURE_MEMORY_SECONDS = 15 * 60

export type LoginFailureStore = ReturnType<typeof loginFailureStore>

export function loginFailureStore(kv: KVNamespace) {
  return {
    get: (username: string) =>
      guarded('kv', 'get login failures', () =>
        kv.get<LoginFailures>(kvKeys.loginFailures(username), 'json'),
      ),

    put: (username: string, record: LoginFailures, lockSeconds: number) =>
      guarded('kv', 'put login failures', () =>
        kv.put(kvKeys.loginFailures(username), JSON.stringify(record), {
          expirationTtl: Math.max(
            KV_MIN_EXPIRATION_TTL_SECONDS,
            FAILURE_MEMORY_SECONDS + lockSeconds,
          ),
        }),
      ),

    clear: (username: string) =>
      guarded('kv', 'delete login failures', () => kv.delete(kvKeys.loginFailures(username))),
  }
}
