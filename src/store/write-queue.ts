// The write queue's producer side: the only code that sends to the WRITES binding. Refreshes'
// last-use updates are coalesced per isolate and sent as one message a window, after the
// responses; the queue consumer (consumers/writes.ts) applies a whole batch of messages in one
// D1 statement, so D1's one writer sees a statement per batch instead of an UPDATE per session
// (docs/scaling.md). Messages per second grow with isolates, not with sessions.
import { guarded } from './errors'
import { type LastUse, sessionIndex } from './session-index'

/** One queue message: many sessions' last uses (at most MAX_UPDATES_PER_MESSAGE). */
export type LastUseMessage = { kind: 'last-use'; updates: LastUse[] }

export type WriteMessage = LastUseMessage

/**
 * How long an isolate gathers updates before sending them: long enough that a busy isolate
 * sends one message for many refreshes, short next to the five minutes last use is kept to.
 */
export const LAST_USE_WINDOW_MS = 1000

/**
 * Sent at once when this many are waiting: about 45 KB of JSON, a third of Queues' 128 KB for
 * a message.
 */
export const MAX_UPDATES_PER_MESSAGE = 500

/** What failed after a response: the send (the updates were then written directly) or both. */
export type WriteQueueFailure = {
  stage: 'send' | 'direct'
  updates: number
  cause: unknown
}

type Window = { updates: Map<string, LastUse>; flush: () => void; done: Promise<void> }

/**
 * The updates waiting in this isolate, by queue binding (an isolate's bindings are the same
 * object for every request). Module state on purpose: it is what makes many requests one message.
 */
const windows = new WeakMap<Queue, Window>()

/** Keeps the later of two updates of one session (times only move forward). */
function merge(updates: Map<string, LastUse>, update: LastUse) {
  const held = updates.get(update.sessionId)
  updates.set(
    update.sessionId,
    held
      ? {
          sessionId: update.sessionId,
          lastUsedAt: Math.max(held.lastUsedAt, update.lastUsedAt),
          expiresAt: Math.max(held.expiresAt, update.expiresAt),
        }
      : update,
  )
}

/**
 * The last-use writer for `touch` (store/session-index.ts): queues the update and answers the
 * promise of its window's send, which the caller leaves for after the response (waitUntil); the
 * first request of a window holds it open, later ones only add to it. The promise never
 * rejects: if the send fails (no binding, over Queues' limits, an error), the window's updates
 * are written to D1 directly, in one statement, and `failed` hears of it.
 */
export function lastUseQueue(
  queue: Queue | undefined,
  db: D1Database,
  failed: (failure: WriteQueueFailure) => void,
) {
  const index = sessionIndex(db)
  async function write(updates: LastUse[]) {
    try {
      if (!queue) throw new Error('no WRITES binding')
      const message: LastUseMessage = { kind: 'last-use', updates }
      await guarded('queue', 'send last use', () => queue.send(message))
      return
    } catch (err) {
      failed({ stage: 'send', updates: updates.length, cause: err })
    }
    try {
      await index.touchMany(updates)
    } catch (err) {
      failed({ stage: 'direct', updates: updates.length, cause: err })
    }
  }

  function open(q: Queue): Window {
    const updates = new Map<string, LastUse>()
    let flush!: () => void
    const due = new Promise<void>((resolve) => (flush = resolve))
    const timer = setTimeout(flush, LAST_USE_WINDOW_MS)
    const window: Window = {
      updates,
      flush,
      done: due.then(() => {
        clearTimeout(timer)
        // Closed before sending: updates from here on open the next window.
        if (windows.get(q) === window) windows.delete(q)
        return write([...updates.values()])
      }),
    }
    windows.set(q, window)
    return window
  }

  return (update: LastUse): Promise<void> => {
    // No binding: nothing to gather into, so the one update is written as before.
    if (!queue) return write([update])
    const window = windows.get(queue) ?? open(queue)
    merge(window.updates, update)
    if (window.updates.size >= MAX_UPDATES_PER_MESSAGE) {
      windows.delete(queue)
      window.flush()
    }
    return window.done
  }
}
