// The write queue's consumer (edge-auth-writes, wrangler.toml): applies a whole batch of
// last-use messages (store/write-queue.ts) in one D1 statement per LAST_USE_PER_STATEMENT
// updates. Applying is idempotent (times only move forward), so a redelivered or reordered
// message changes nothing; a batch D1 refuses is retried whole, with backoff.
import type { Bindings } from '../env'
import { log } from '../log'
import { type LastUse, sessionIndex } from '../store/session-index'
import type { LastUseMessage } from '../store/write-queue'

/** wrangler.toml's queue for batched writes. */
export const WRITE_QUEUE = 'edge-auth-writes'

/**
 * Seconds before the next attempt after failed attempt n (index n - 1): about 7.7 hours from
 * first to last, well inside the day's margin the hourly purge leaves a session's idle limit
 * (consumers/scheduled.ts), so a D1 outage of a night loses no session's row.
 */
export const WRITE_RETRY_DELAYS_SECONDS = [5, 30, 120, 600, 1800, 3600, 7200, 14400] as const

/**
 * Attempts per message: wrangler.toml's `max_retries = 8` plus the first (a test keeps them in
 * step). No dead-letter queue: after the last, the updates are logged as dropped; the session's
 * next refresh in a later five-minute period writes its last use again.
 */
export const MAX_WRITE_ATTEMPTS = 9

const retryDelay = (attempt: number) =>
  WRITE_RETRY_DELAYS_SECONDS[Math.min(attempt, WRITE_RETRY_DELAYS_SECONDS.length) - 1] ?? 5

/** The most a session id can be (a UUID is 36); longer is not ours. */
const SESSION_ID_MAX = 64

const isUpdate = (u: unknown): u is LastUse => {
  if (typeof u !== 'object' || u === null) return false
  const { sessionId, lastUsedAt, expiresAt } = u as Record<string, unknown>
  return (
    typeof sessionId === 'string' &&
    sessionId.length > 0 &&
    sessionId.length <= SESSION_ID_MAX &&
    Number.isSafeInteger(lastUsedAt) &&
    Number.isSafeInteger(expiresAt)
  )
}

/** A body we never send is dropped (acked), not retried: no attempt could make it valid. */
function parse(body: unknown): LastUseMessage | null {
  if (typeof body !== 'object' || body === null) return null
  const m = body as Record<string, unknown>
  if (m.kind !== 'last-use' || !Array.isArray(m.updates) || !m.updates.every(isUpdate)) {
    return null
  }
  return { kind: 'last-use', updates: m.updates }
}

export async function writes(batch: MessageBatch, env: Bindings): Promise<void> {
  const updates: LastUse[] = []
  const applying: Message[] = []
  for (const message of batch.messages) {
    const body = parse(message.body)
    if (!body) {
      log.error('write_message_malformed', { messageId: message.id })
      message.ack()
      continue
    }
    for (const update of body.updates) updates.push(update)
    applying.push(message)
  }
  if (applying.length === 0) return
  try {
    await sessionIndex(env.DB).touchMany(updates)
  } catch (err) {
    const errorName = err instanceof Error ? err.name : typeof err
    // Messages on their last attempt are dropped; the others come back with backoff.
    const last = applying.filter((m) => m.attempts >= MAX_WRITE_ATTEMPTS)
    const retried = applying.length - last.length
    if (last.length > 0) {
      log.error('last_use_dropped', {
        messages: last.length,
        updates: last.reduce((n, m) => n + (m.body as LastUseMessage).updates.length, 0),
        attempt: MAX_WRITE_ATTEMPTS,
        errorName,
      })
    }
    if (retried > 0) {
      log.error('last_use_write_failed', {
        messages: retried,
        attempt: Math.max(...applying.map((m) => m.attempts)),
        errorName,
      })
    }
    for (const message of applying) message.retry({ delaySeconds: retryDelay(message.attempts) })
    return
  }
  for (const message of applying) message.ack()
}
