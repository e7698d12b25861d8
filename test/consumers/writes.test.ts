/// <reference types="vite/client" />
// The write queue end to end: a refresh in a new five-minute period puts its session's last use
// on WRITES (after the response, no storage step added before it), and the consumer, through
// the queue handler the worker exports with Miniflare's message batches, applies a whole batch
// in one D1 statement, idempotently.
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Bindings } from '../../src/env'
import { MAX_WRITE_ATTEMPTS, WRITE_QUEUE } from '../../src/consumers/writes'
import type { TokenPair } from '../../src/schemas'
import { LAST_USE_WINDOW_MS, type LastUseMessage } from '../../src/store/write-queue'
import { roundTrips } from '../doubles/round-trips'
import { runBatch } from './webhooks-harness'
import { sessionIdOf } from '../doubles/services'
import { captureLogs, callSettling, freezeTime, jsonInit, ORIGIN, signedIn } from '../helpers'

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

const WRANGLER = Object.values(
  import.meta.glob<string>('../../wrangler.toml', {
    query: '?raw',
    import: 'default',
    eager: true,
  }),
)[0]!

/** A WRITES double: what was sent; `broken` makes every send throw (as a 429 would). */
function recordingWrites(broken = false) {
  const sent: LastUseMessage[] = []
  const send = async (body: LastUseMessage) => {
    if (broken) throw new Error('Queue send failed: Too Many Requests')
    sent.push(body)
  }
  return { sent, queue: { send, sendBatch: send } as unknown as Queue }
}

/** Past a new session's idle limit (14 days), so an update visibly moves it. */
const DAYS_20 = 20 * 86_400_000

/**
 * Runs `bodies` through the queue handler as one batch of edge-auth-writes (the webhook tests'
 * harness: it routes by the batch's queue, as the worker's export does).
 */
const runWrites = (bodies: { body: unknown; attempts?: number }[], e: Bindings = env) =>
  runBatch(e, bodies, {}, WRITE_QUEUE)

const rowOf = (id: string) =>
  env.DB.prepare('SELECT last_used_at, expires_at FROM sessions WHERE id = ?')
    .bind(id)
    .first<{ last_used_at: number; expires_at: number }>()

/** A signed-in session, then a refresh five minutes on (its last use is due) with `overrides`. */
async function refreshInNewPeriod(overrides: Partial<Bindings>) {
  const clock = freezeTime(Date.UTC(2026, 10, 25, 12, 0, 1))
  const { tokens } = await signedIn()
  const sessionId = sessionIdOf(tokens.accessToken)
  const before = (await rowOf(sessionId))!
  clock.advance(5 * 60_000)
  const at = Date.now()
  const { answered, settled } = callSettling(
    overrides,
    '/token',
    jsonInit('POST', { token: tokens.refreshToken }),
  )
  const res = await answered
  expect(res.status).toBe(200)
  const next = (await res.json()) as TokenPair
  return { sessionId, before, at, next, settled }
}

describe('a refresh’s last use, through the write queue', () => {
  it('is sent as one message after the response, and D1 is untouched until the consumer runs', async () => {
    const { sent, queue } = recordingWrites()
    const { sessionId, before, at, settled } = await refreshInNewPeriod({ WRITES: queue })
    await settled
    expect(sent).toHaveLength(1)
    expect(sent[0]).toEqual({
      kind: 'last-use',
      updates: [{ sessionId, lastUsedAt: at, expiresAt: expect.any(Number) }],
    })
    expect(sent[0]!.updates[0]!.expiresAt).toBeGreaterThan(before.expires_at)
    // Nothing written by the request itself.
    expect(await rowOf(sessionId)).toEqual(before)

    const { ids, result } = await runWrites([{ body: sent[0] }])
    expect(result.explicitAcks).toEqual(ids)
    expect(result.retryMessages).toEqual([])
    expect(await rowOf(sessionId)).toEqual({
      last_used_at: at,
      expires_at: sent[0]!.updates[0]!.expiresAt,
    })
  })

  it('gathers many refreshes of one window into one message', async () => {
    const { sent, queue } = recordingWrites()
    const clock = freezeTime(Date.UTC(2026, 10, 25, 12, 0, 1))
    const signedInSessions = []
    for (let i = 0; i < 5; i++) signedInSessions.push((await signedIn()).tokens)
    clock.advance(5 * 60_000)
    // The window's timer is held, so the window closes when the test says, not by the clock.
    const realSetTimeout = globalThis.setTimeout
    let closeWindow: (() => void) | undefined
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      if (ms !== LAST_USE_WINDOW_MS) return realSetTimeout(fn, ms)
      closeWindow = fn
      return 0
    }) as typeof setTimeout)
    const calls = signedInSessions.map((tokens) =>
      callSettling({ WRITES: queue }, '/token', jsonInit('POST', { token: tokens.refreshToken })),
    )
    for (const call of calls) expect((await call.answered).status).toBe(200)
    expect(sent).toEqual([])
    closeWindow!()
    await Promise.all(calls.map((call) => call.settled))
    expect(sent).toHaveLength(1)
    expect(sent[0]!.updates.map((u) => u.sessionId).sort()).toEqual(
      signedInSessions.map((tokens) => sessionIdOf(tokens.accessToken)).sort(),
    )
  })

  it('adds no storage step to the refresh: the same two rounds', async () => {
    const { sent, queue } = recordingWrites()
    const clock = freezeTime(Date.UTC(2026, 10, 25, 12, 0, 1))
    const { tokens } = await signedIn()
    clock.advance(5 * 60_000)
    const { response, rounds } = await roundTrips({ WRITES: queue }).send(
      new Request(`${ORIGIN}/token`, {
        ...jsonInit('POST', { token: tokens.refreshToken }),
        headers: { 'Content-Type': 'application/json', 'cf-connecting-ip': '2001:db8::77' },
      }),
    )
    expect(response.status).toBe(200)
    expect(rounds).toHaveLength(2)
    expect(rounds.flat().some((call) => call.startsWith('d1'))).toBe(false)
    // The send came after the response (and no D1 UPDATE at all).
    expect(sent).toHaveLength(1)
  })

  it('falls back to the direct D1 write when the send fails, and logs it', async () => {
    const lines = captureLogs()
    const { queue } = recordingWrites(true)
    const { sessionId, at, next, settled } = await refreshInNewPeriod({ WRITES: queue })
    await settled
    expect((await rowOf(sessionId))!.last_used_at).toBe(at)
    const log = lines.join('\n')
    expect(log).toContain('"event":"write_queue_send_failed"')
    expect(log).not.toContain('"event":"last_use_write_failed"')
    // Nothing secret in the line: no token, no session id.
    expect(log).not.toContain(next.refreshToken)
    expect(lines.find((l) => l.includes('write_queue_send_failed'))).not.toContain(sessionId)
  })
})

describe('the write queue’s consumer', () => {
  async function sessions(n: number) {
    const ids: string[] = []
    for (let i = 0; i < n; i++) {
      const { tokens } = await signedIn()
      ids.push(sessionIdOf(tokens.accessToken))
    }
    return ids
  }

  it('applies every message of a batch in one D1 statement', async () => {
    const ids = await sessions(3)
    const at = Date.now() + 60_000
    const prepared: string[] = []
    let batches = 0
    const db = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === 'prepare') return (sql: string) => (prepared.push(sql), target.prepare(sql))
        if (prop === 'batch') {
          return (s: D1PreparedStatement[]) => (batches++, target.batch(s))
        }
        return Reflect.get(target, prop)
      },
    })
    const bodies = ids.map((sessionId, i) => ({
      body: {
        kind: 'last-use',
        updates: [
          { sessionId, lastUsedAt: at + i, expiresAt: at + DAYS_20 + i },
          // Sessions that have ended (or never were): nothing happens to them.
          { sessionId: crypto.randomUUID(), lastUsedAt: at, expiresAt: at },
        ],
      },
    }))
    const { ids: msgIds, result } = await runWrites(bodies, { ...env, DB: db } as Bindings)
    expect(result.explicitAcks).toEqual(msgIds)
    expect(prepared).toHaveLength(1)
    expect(batches).toBe(1)
    for (const [i, id] of ids.entries()) {
      expect(await rowOf(id)).toEqual({ last_used_at: at + i, expires_at: at + DAYS_20 + i })
    }
  })

  it('changes nothing when a message is delivered again, or an older one arrives after a newer', async () => {
    const [id] = await sessions(1)
    const at = Date.now() + 60_000
    const newer = {
      kind: 'last-use',
      updates: [{ sessionId: id, lastUsedAt: at, expiresAt: at + DAYS_20 }],
    }
    const older = {
      kind: 'last-use',
      updates: [{ sessionId: id, lastUsedAt: at - 300_000, expiresAt: at - 300_000 }],
    }
    await runWrites([{ body: newer }])
    const applied = await rowOf(id!)
    await runWrites([{ body: newer, attempts: 2 }])
    await runWrites([{ body: older }])
    expect(await rowOf(id!)).toEqual(applied)
    expect(applied).toEqual({ last_used_at: at, expires_at: at + DAYS_20 })
  })

  it('acks a malformed message without applying it, and still applies the rest', async () => {
    const lines = captureLogs()
    const [id] = await sessions(1)
    const before = await rowOf(id!)
    const at = Date.now() + 60_000
    const good = { kind: 'last-use', updates: [{ sessionId: id, lastUsedAt: at, expiresAt: at }] }
    const { ids, result } = await runWrites([
      { body: 'nonsense' },
      {
        body: { kind: 'last-use', updates: [{ sessionId: id, lastUsedAt: '1e99', expiresAt: 1 }] },
      },
      {
        body: {
          kind: 'last-use',
          updates: [{ sessionId: 'x'.repeat(65), lastUsedAt: 1, expiresAt: 1 }],
        },
      },
      { body: good },
    ])
    expect(result.explicitAcks).toEqual(ids)
    expect(result.retryMessages).toEqual([])
    expect(lines.filter((l) => l.includes('"event":"write_message_malformed"'))).toHaveLength(3)
    expect(await rowOf(id!)).toEqual({ last_used_at: at, expires_at: before!.expires_at })
  })

  it('retries the whole batch with backoff when D1 fails, and says when it drops one', async () => {
    const lines = captureLogs()
    const brokenDb = {
      prepare: () => ({ bind: () => ({}) }),
      batch: async () => {
        throw new Error('D1_ERROR: overloaded')
      },
    } as unknown as D1Database
    const e = { ...env, DB: brokenDb } as Bindings
    const body = {
      kind: 'last-use',
      updates: [{ sessionId: crypto.randomUUID(), lastUsedAt: 1, expiresAt: 1 }],
    }
    const first = await runWrites([{ body }, { body, attempts: 3 }], e)
    expect(first.result.explicitAcks).toEqual([])
    expect(first.result.retryMessages).toEqual([
      { msgId: first.ids[0], delaySeconds: 5 },
      { msgId: first.ids[1], delaySeconds: 120 },
    ])
    expect(lines.join('\n')).toContain('"event":"last_use_write_failed"')
    expect(lines.join('\n')).not.toContain('"event":"last_use_dropped"')
    await runWrites([{ body, attempts: MAX_WRITE_ATTEMPTS }], e)
    expect(lines.join('\n')).toContain('"event":"last_use_dropped"')
  })

  it('attempts max_retries + 1 times, as wrangler.toml configures the queue', () => {
    const consumer =
      /\[\[queues\.consumers\]\]\nqueue = "edge-auth-writes"\nmax_batch_size = (\d+)\nmax_batch_timeout = (\d+)\nmax_retries = (\d+)\n/.exec(
        WRANGLER,
      )
    expect(consumer).not.toBeNull()
    expect(Number(consumer![1])).toBe(100)
    expect(Number(consumer![3]) + 1).toBe(MAX_WRITE_ATTEMPTS)
    expect(WRANGLER).toMatch(/binding = "WRITES"\nqueue = "edge-auth-writes"/)
  })
})
