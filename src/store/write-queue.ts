// The write queue's producer side: the only code that sends to the WRITES binding. Refreshes'
// last-use updates are coalesced per isolate and sent as one message a window, after the
// responses; the queue consumer (consumers/writes.ts) applies a whole batch of messages in one
// D1 statement, so D1's one writer sees a statement per batch instead of an UPDATE per session
// (docs/scaling.md). Messages per second grow with isolates, not with sessions.
import { now } from '../clock'
import { guarded } from './errors'
import { type LastUse, sessionIndex } from './session-index'

/** One queue message: many sessions' last uses (at most MAX_UPDATES_PER_MESSAGE). */
export type LastUseMessage = { kind: 'last-use'; updates: LastUse[] }

/**
 * How long an isolate gathers updates before sending them: long enough that a busy isolate
 * sends one message for many refreshes, short next to the five minutes last use is kept to.
 */
export const LAST_USE_WINDOW_MS = 1000

/**
 * Sent at once when this many are waiting: about 55 KB of JSON (an update is about 107 bytes),
 * well under Queues' 128 KB for a message.
 */
export const MAX_UPDATES_PER_MESSAGE = 500

/**
 * A window older than this was opened by a request whose context ended before its timer fired
 * (over its CPU limit, or past waitUntil's 30 s): the next update takes its updates over into a
 * new window, so one lost request never strands an isolate's last uses.
 */
export const STALE_WINDOW_MS = 10 * LAST_USE_WINDOW_MS

/** What failed after a response: the send (the updates were then written directly) or both. */
export type WriteQueueFailure = {
  stage: 'send' | 'direct'
  updates: number
  cause: unknown
}

type Window = { updates: Map<string, LastUse>; openedAt: number; closed: boolean }

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

const SETTLED: Promise<void> = Promise.resolve()

/**
 * The last-use writer for `touch` (store/session-index.ts). The request that opens a window gets
 * the promise of its send, which it leaves for after its response (waitUntil): its timer and the
 * send run in that request's own context. Later requests only add to the window and get a
 * settled promise; the one that fills it sends it itself, in its own context. No request ever
 * waits on a promise another request made (workerd cancels those when their request ends). The
 * promise never rejects: if the send fails (over Queues' limits, an error), the window's updates
 * are written to D1 directly, in one statement, and `failed` hears of it.
 */
export function lastUseQueue(
  queue: Queue | undefined,
  db: D1Database,
  failed: (failure: WriteQueueFailure) => void,
) {
  const index = sessionIndex(db)
  async function direct(updates: LastUse[]) {
    try {
      await index.touchMany(updates)
    } catch (err) {
      failed({ stage: 'direct', updates: updates.length, cause: err })
    }
  }
  async function send(q: Queue, updates: LastUse[]) {
    try {
      const message: LastUseMessage = { kind: 'last-use', updates }
      await guarded('queue', 'send last use', () => q.send(message))
      return
    } catch (err) {
      failed({ stage: 'send', updates: updates.length, cause: err })
    }
    await direct(updates)
  }

  /** Closes a window once, whoever gets there first: its timer, or the update that fills it. */
  function close(q: Queue, window: Window): Promise<void> {
    if (window.closed) return SETTLED
    window.closed = true
    if (windows.get(q) === window) windows.delete(q)
    return send(q, [...window.updates.values()])
  }

  return (update: LastUse): Promise<void> => {
    // No binding (a development setup without queues): written at once, as before the queue.
    if (!queue) return direct([update])
    let window = windows.get(queue)
    let opened: Promise<void> | undefined
    if (window && now() - window.openedAt > STALE_WINDOW_MS) {
      const stranded = window
      stranded.closed = true
      windows.delete(queue)
      window = undefined
      opened = openWindow(queue, stranded.updates)
    }
    if (!window) {
      opened ??= openWindow(queue)
      window = windows.get(queue)!
    }
    merge(window.updates, update)
    if (window.updates.size >= MAX_UPDATES_PER_MESSAGE) return close(queue, window)
    return opened ?? SETTLED
  }

  /** A new window (with what a stranded one held) and the promise of its timed send. */
  function openWindow(q: Queue, held?: Map<string, LastUse>): Promise<void> {
    const window: Window = { updates: new Map(held), openedAt: now(), closed: false }
    windows.set(q, window)
    return new Promise<void>((resolve) => setTimeout(resolve, LAST_USE_WINDOW_MS)).then(() =>
      close(q, window),
    )
  }
}
