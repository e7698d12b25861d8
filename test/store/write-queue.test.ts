// The write queue's producer: last uses gathered per isolate into one message a window (or at
// once when full), and written to D1 directly when the queue cannot take them. The window's
// timer is faked; D1 runs on real timers (they are restored before any D1 call).
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type LastUse, type SessionEntry, sessionIndex } from '../../src/store/session-index'
import {
  LAST_USE_WINDOW_MS,
  type LastUseMessage,
  MAX_UPDATES_PER_MESSAGE,
  STALE_WINDOW_MS,
  type WriteQueueFailure,
  lastUseQueue,
} from '../../src/store/write-queue'
import { registerUser } from '../helpers'
import { sessionEntry } from './session-entries'

afterEach(() => vi.useRealTimers())

/** A WRITES double: what was sent, in order; `broken` makes every send throw. */
function recordingWrites(broken = false) {
  const sent: LastUseMessage[] = []
  const send = async (body: LastUseMessage) => {
    if (broken) throw new Error('Too Many Requests (429)')
    sent.push(body)
  }
  return { sent, queue: { send, sendBatch: send } as unknown as Queue }
}

const update = (i: number, sessionId = `s-${i}`): LastUse => ({
  sessionId,
  lastUsedAt: 1_000_000 + i,
  expiresAt: 2_000_000 + i,
})

/** Only the window's timer is faked: D1 keeps its own. */
const fakeWindow = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })

/** Lets every pending microtask run (the window's send after its timer). */
const drain = () => new Promise((resolve) => queueMicrotask(() => resolve(undefined)))

async function listedSession(): Promise<SessionEntry> {
  const { user } = await registerUser()
  const entry = sessionEntry(user.id)
  await sessionIndex(env.DB).add(entry)
  return entry
}

const rowOf = (id: string) =>
  env.DB.prepare('SELECT last_used_at, expires_at FROM sessions WHERE id = ?')
    .bind(id)
    .first<{ last_used_at: number; expires_at: number }>()

describe('gathering last uses into messages', () => {
  it('sends nothing during the window, then one message for every refresh in it', async () => {
    const { sent, queue } = recordingWrites()
    const failures: WriteQueueFailure[] = []
    fakeWindow()
    const touch = lastUseQueue(queue, env.DB, (f) => failures.push(f))
    const done = Array.from({ length: 200 }, (_, i) => touch(update(i)))
    // Only the window's opener waits on the send (its waitUntil); the others answer at once, so
    // no request waits on a promise another request made.
    await Promise.all(done.slice(1))
    await drain()
    vi.advanceTimersByTime(LAST_USE_WINDOW_MS - 1)
    await drain()
    expect(sent).toEqual([])
    vi.advanceTimersByTime(1)
    await Promise.all(done)
    // 200 refreshes, one message: the shape the consumer reads.
    expect(sent).toHaveLength(1)
    expect(sent[0]).toEqual({
      kind: 'last-use',
      updates: Array.from({ length: 200 }, (_, i) => update(i)),
    })
    expect(failures).toEqual([])
  })

  it('keeps one update per session: the later of each time', async () => {
    const { sent, queue } = recordingWrites()
    fakeWindow()
    const touch = lastUseQueue(queue, env.DB, () => undefined)
    const a = touch({ sessionId: 'same', lastUsedAt: 5, expiresAt: 9 })
    touch({ sessionId: 'same', lastUsedAt: 7, expiresAt: 8 })
    touch({ sessionId: 'same', lastUsedAt: 6, expiresAt: 3 })
    vi.advanceTimersByTime(LAST_USE_WINDOW_MS)
    await a
    expect(sent).toEqual([
      { kind: 'last-use', updates: [{ sessionId: 'same', lastUsedAt: 7, expiresAt: 9 }] },
    ])
  })

  it('sends at once when a window is full, far below 128 KB, and the next update opens a new one', async () => {
    const { sent, queue } = recordingWrites()
    fakeWindow()
    const touch = lastUseQueue(queue, env.DB, () => undefined)
    const first = Array.from({ length: MAX_UPDATES_PER_MESSAGE }, (_, i) =>
      touch(update(i, crypto.randomUUID())),
    )
    // The update that fills the window sends it, in its own request's context.
    await first.at(-1)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.updates).toHaveLength(MAX_UPDATES_PER_MESSAGE)
    expect(new TextEncoder().encode(JSON.stringify(sent[0])).length).toBeLessThan(64 * 1024)
    const next = touch(update(0))
    expect(next).not.toBe(first[0])
    vi.advanceTimersByTime(LAST_USE_WINDOW_MS)
    // The full window's own timer finds it sent already: nothing twice.
    await Promise.all([next, first[0]])
    expect(sent).toHaveLength(2)
    expect(sent[1]!.updates).toEqual([update(0)])
  })

  it('takes over a window whose opener never sent it (its request ended first)', async () => {
    const { sent, queue } = recordingWrites()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const touch = lastUseQueue(queue, env.DB, () => undefined)
    // The opener's timer never fires: as if its request's context had ended.
    void touch(update(1))
    vi.setSystemTime(Date.now() + STALE_WINDOW_MS + 1)
    const next = touch(update(2))
    expect(sent).toEqual([])
    vi.advanceTimersByTime(LAST_USE_WINDOW_MS)
    await next
    // Both updates, once: the stranded window's late timer sends nothing.
    expect(sent).toEqual([{ kind: 'last-use', updates: [update(1), update(2)] }])
  })

  it('keeps each binding’s window apart', async () => {
    const one = recordingWrites()
    const two = recordingWrites()
    fakeWindow()
    const a = lastUseQueue(one.queue, env.DB, () => undefined)(update(1))
    const b = lastUseQueue(two.queue, env.DB, () => undefined)(update(2))
    vi.advanceTimersByTime(LAST_USE_WINDOW_MS)
    await Promise.all([a, b])
    expect(one.sent.map((m) => m.updates)).toEqual([[update(1)]])
    expect(two.sent.map((m) => m.updates)).toEqual([[update(2)]])
  })
})

describe('when the queue cannot take them', () => {
  it('writes the window’s updates to D1 directly, and reports the failed send', async () => {
    const session = await listedSession()
    const { sent, queue } = recordingWrites(true)
    const failures: WriteQueueFailure[] = []
    fakeWindow()
    const touch = lastUseQueue(queue, env.DB, (f) => failures.push(f))
    const done = touch({
      sessionId: session.id,
      lastUsedAt: session.lastUsedAt + 300_000,
      expiresAt: session.expiresAt + 300_000,
    })
    vi.advanceTimersByTime(LAST_USE_WINDOW_MS)
    vi.useRealTimers()
    await done
    expect(sent).toEqual([])
    expect(await rowOf(session.id)).toEqual({
      last_used_at: session.lastUsedAt + 300_000,
      expires_at: session.expiresAt + 300_000,
    })
    expect(failures).toEqual([{ stage: 'send', updates: 1, cause: expect.any(Error) }])
    // The failure names the queue, never a session id (they are the log's fields).
    expect(String(failures[0]!.cause)).not.toContain(session.id)
  })

  it('with no WRITES binding, writes each update at once, as before the queue, and quietly', async () => {
    const session = await listedSession()
    const failures: WriteQueueFailure[] = []
    await lastUseQueue(undefined, env.DB, (f) => failures.push(f))({
      sessionId: session.id,
      lastUsedAt: session.lastUsedAt + 1,
      expiresAt: session.expiresAt + 1,
    })
    expect(await rowOf(session.id)).toEqual({
      last_used_at: session.lastUsedAt + 1,
      expires_at: session.expiresAt + 1,
    })
    expect(failures).toEqual([])
  })

  it('never rejects when D1 fails too: both failures are reported', async () => {
    const { queue } = recordingWrites(true)
    const brokenDb = {
      prepare: () => ({ bind: () => ({}) }),
      batch: async () => {
        throw new Error('D1_ERROR: unavailable')
      },
    } as unknown as D1Database
    const failures: WriteQueueFailure[] = []
    fakeWindow()
    const done = lastUseQueue(queue, brokenDb, (f) => failures.push(f))(update(1))
    vi.advanceTimersByTime(LAST_USE_WINDOW_MS)
    await expect(done).resolves.toBeUndefined()
    expect(failures.map((f) => [f.stage, f.updates])).toEqual([
      ['send', 1],
      ['direct', 1],
    ])
  })
})
