/// <reference types="vite/client" />
// The webhook queue's consumer through its exported handler, with Miniflare's message batches and
// a real receiver on a loopback port: fan-out, signed delivery (verified by the reference
// library), retries with their backoff, the last attempt, the dead-letter queue, redelivery.
import { Webhook } from 'standardwebhooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DEAD_LETTER_QUEUE, webhookService as webhookServiceFor } from '../../src/consumers/queue'
import {
  MAX_DELIVERY_ATTEMPTS,
  QUEUE_MAX_DELAY_SECONDS,
  retryDelaySeconds,
} from '../../src/services/webhooks'
import { captureLogs } from '../helpers'
import { hits, script } from '../global/scripted'
import {
  deliveryRows,
  event,
  receiverAt,
  recordingFetch,
  recordingQueue,
  register,
  runBatch,
  webhookEnv,
} from './webhooks-harness'

afterEach(() => vi.restoreAllMocks())

const WRANGLER = Object.values(
  import.meta.glob<string>('../../wrangler.toml', {
    query: '?raw',
    import: 'default',
    eager: true,
  }),
)[0]!

const pathOf = (url: string) => new URL(url).pathname

describe('the event fan-out', () => {
  it('makes one pending delivery per enabled subscribed endpoint and queues one message each', async () => {
    const q = recordingQueue()
    const e = webhookEnv(q)
    const url = await receiverAt()
    const a = await register(e, url, ['user.created', 'user.deleted'])
    const b = await register(e, url, ['user.created'])
    const other = await register(e, url, ['user.deleted'])
    const off = await register(e, url, ['user.created'])
    await webhookServiceFor(e).update(off.endpoint.id, { disabled: true })
    q.take()

    const ev = event('user.created')
    const { ids, result } = await runBatch(e, [{ body: { kind: 'event', event: ev } }])
    expect(result.explicitAcks).toEqual(ids)
    expect(result.retryMessages).toEqual([])

    const sent = q.take()
    expect(sent).toHaveLength(2)
    const rowsA = await deliveryRows(a.endpoint.id)
    const rowsB = await deliveryRows(b.endpoint.id)
    expect(rowsA).toHaveLength(1)
    expect(rowsB).toHaveLength(1)
    expect(await deliveryRows(other.endpoint.id)).toEqual([])
    expect(await deliveryRows(off.endpoint.id)).toEqual([])
    expect(sent).toEqual(
      expect.arrayContaining([
        { kind: 'delivery', deliveryId: rowsA[0]!.id, round: 0 },
        { kind: 'delivery', deliveryId: rowsB[0]!.id, round: 0 },
      ]),
    )
    expect(rowsA[0]).toMatchObject({ status: 'pending', attempts: 0, event_id: ev.id })
    expect(JSON.parse(String(rowsA[0]!.payload))).toEqual({
      type: 'user.created',
      timestamp: new Date(ev.at).toISOString(),
      data: { event_id: ev.id, user_id: ev.userId, method: 'password', actor: ev.actor },
    })
    // Nothing was sent to the receiver by the fan-out itself.
    expect(await hits(pathOf(url))).toBe(0)
  })

  it('makes no second delivery when the queue hands the same event over twice', async () => {
    const q = recordingQueue()
    const e = webhookEnv(q)
    const { endpoint } = await register(e, await receiverAt())
    q.take()
    const ev = event()
    await runBatch(e, [{ body: { kind: 'event', event: ev } }])
    const first = q.take()
    await runBatch(e, [{ body: { kind: 'event', event: ev }, attempts: 2 }])
    expect(await deliveryRows(endpoint.id)).toHaveLength(1)
    // The row is still waiting for its first attempt, so it is queued again (at least once).
    expect(q.take()).toEqual(first)
  })

  it('retries the whole message with backoff when the fan-out fails (the queue is down)', async () => {
    const q = recordingQueue()
    const e = webhookEnv(q)
    await register(e, await receiverAt())
    q.sendBatch = async () => {
      throw new Error('queue unavailable')
    }
    const lines = captureLogs()
    const { ids, result } = await runBatch(e, [{ body: { kind: 'event', event: event() } }])
    expect(result.explicitAcks).toEqual([])
    expect(result.retryMessages).toEqual([{ msgId: ids[0], delaySeconds: 5 }])
    expect(lines.join('\n')).toContain('webhook_message_failed')
  })
})

/** Registers an endpoint at a receiver answering `answer`, fans one event out, returns the delivery. */
async function oneDelivery(answer?: Parameters<typeof receiverAt>[0]) {
  const q = recordingQueue()
  const e = webhookEnv(q)
  const url = await receiverAt(answer)
  const created = await register(e, url)
  q.take()
  await runBatch(e, [{ body: { kind: 'event', event: event() } }])
  // Endpoints of earlier tests (one D1 per file) are subscribed too: take this one's message.
  const [row] = await deliveryRows(created.endpoint.id)
  const message = q.take().find((m) => m.kind === 'delivery' && m.deliveryId === row!.id)
  return { q, e, url, ...created, message: message! }
}

describe('a delivery', () => {
  it('is POSTed once, signed as Standard Webhooks says, and the reference library verifies it', async () => {
    const { e, url, secret, endpoint, message } = await oneDelivery({ status: 204 })
    const { received, fetcher } = recordingFetch()
    const { ids, result } = await runBatch(e, [{ body: message }], { fetcher })
    expect(result.explicitAcks).toEqual(ids)
    expect(received).toHaveLength(1)
    expect(await hits(pathOf(url))).toBe(1)
    const got = received[0]!
    expect(got.headers['content-type']).toBe('application/json')
    expect(got.headers['webhook-id']).toBe(message.kind === 'delivery' && message.deliveryId)
    const payload = new Webhook(secret).verify(got.body, got.headers) as { type: string }
    expect(payload.type).toBe('user.created')
    const [row] = await deliveryRows(endpoint.id)
    expect(row).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      last_status: 204,
      last_error: null,
    })
  })

  it('after a 500 is retried with the backoff, the same id, body and a fresh timestamp', async () => {
    const { e, url, secret, endpoint, message } = await oneDelivery({
      status: 500,
      body: 'stack trace with whsec_leaked',
    })
    const { received, fetcher } = recordingFetch()
    const delays: (number | undefined)[] = []
    for (let attempt = 1; attempt <= 3; attempt++) {
      const { ids, result } = await runBatch(e, [{ body: message, attempts: attempt }], { fetcher })
      expect(result.explicitAcks).toEqual([])
      expect(result.retryMessages.map((m) => m.msgId)).toEqual(ids)
      delays.push(result.retryMessages[0]!.delaySeconds)
    }
    expect(delays).toEqual([5, 30, 120])
    expect(await hits(pathOf(url))).toBe(3)
    expect(new Set(received.map((r) => r.headers['webhook-id'])).size).toBe(1)
    expect(new Set(received.map((r) => r.body)).size).toBe(1)
    for (const r of received) expect(new Webhook(secret).verify(r.body, r.headers)).toBeTruthy()
    const [row] = await deliveryRows(endpoint.id)
    expect(row).toMatchObject({
      status: 'pending',
      attempts: 3,
      last_status: 500,
      last_error: 'http_status',
    })
    expect(Number(row!.next_attempt_at)).toBeGreaterThanOrEqual(
      Number(row!.last_attempt_at) + 120_000,
    )
    // The receiver's body is never kept.
    expect(JSON.stringify(row)).not.toContain('stack trace')
  })

  it('after a timeout is retried with the backoff; nothing of a partial answer is kept', async () => {
    const { e, endpoint, message } = await oneDelivery({ hang: 'headers' })
    const { result } = await runBatch(e, [{ body: message, attempts: 4 }], { timeoutMs: 300 })
    expect(result.retryMessages[0]!.delaySeconds).toBe(600)
    const [row] = await deliveryRows(endpoint.id)
    expect(row).toMatchObject({ status: 'pending', last_error: 'timeout', last_status: null })
  })

  it('is dead after its last attempt fails: acked (no more retries), and the log says dead', async () => {
    const { e, url, endpoint, message } = await oneDelivery({ status: 503 })
    const lines = captureLogs()
    const { ids, result } = await runBatch(e, [{ body: message, attempts: MAX_DELIVERY_ATTEMPTS }])
    expect(result.explicitAcks).toEqual(ids)
    expect(result.retryMessages).toEqual([])
    const [row] = await deliveryRows(endpoint.id)
    expect(row).toMatchObject({ status: 'dead', last_status: 503, next_attempt_at: null })
    expect(lines.some((l) => l.includes('"event":"webhook_dead"'))).toBe(true)
    // A duplicate of the message now does nothing.
    await runBatch(e, [{ body: message, attempts: 1 }])
    expect(await hits(pathOf(url))).toBe(1)
  })

  it('can be redelivered once dead: the same webhook-id, a new round, and it succeeds', async () => {
    const { q, e, url, secret, endpoint, message } = await oneDelivery({ status: 500 })
    await runBatch(e, [{ body: message, attempts: MAX_DELIVERY_ATTEMPTS }])
    const id = message.kind === 'delivery' ? message.deliveryId : ''
    // The receiver is fixed.
    await receiverAtPath(pathOf(url), { status: 200 })
    const reopened = await webhookServiceFor(e).redeliver(id)
    expect(reopened).toMatchObject({ id, status: 'pending' })
    const [again] = q.take()
    expect(again).toEqual({ kind: 'delivery', deliveryId: id, round: 1 })
    const { received, fetcher } = recordingFetch()
    await runBatch(e, [{ body: again }], { fetcher })
    expect(received[0]!.headers['webhook-id']).toBe(id)
    expect(new Webhook(secret).verify(received[0]!.body, received[0]!.headers)).toBeTruthy()
    expect((await deliveryRows(endpoint.id))[0]).toMatchObject({ status: 'succeeded', round: 1 })
    // The old round's message, should the queue still hold one, sends nothing.
    const before = await hits(pathOf(url))
    const { ids, result } = await runBatch(e, [{ body: message, attempts: 2 }])
    expect(result.explicitAcks).toEqual(ids)
    expect(await hits(pathOf(url))).toBe(before)
  })

  it('is cancelled, not sent, when its endpoint was disabled meanwhile', async () => {
    const { e, url, endpoint, message } = await oneDelivery({ status: 200 })
    await webhookServiceFor(e).update(endpoint.id, { disabled: true })
    const { ids, result } = await runBatch(e, [{ body: message }])
    expect(result.explicitAcks).toEqual(ids)
    expect(await hits(pathOf(url))).toBe(0)
    expect((await deliveryRows(endpoint.id))[0]).toMatchObject({
      status: 'cancelled',
      last_error: 'endpoint_disabled',
    })
  })

  it('is dropped when its endpoint was deleted meanwhile', async () => {
    const { e, url, endpoint, message } = await oneDelivery({ status: 200 })
    await webhookServiceFor(e).remove(endpoint.id)
    const { ids, result } = await runBatch(e, [{ body: message }])
    expect(result.explicitAcks).toEqual(ids)
    expect(await hits(pathOf(url))).toBe(0)
  })
})

const receiverAtPath = (path: string, answer: { status: number }) => script({ path, ...answer })

describe('the dead-letter queue', () => {
  it('marks a delivery dead whose every attempt threw before it was recorded', async () => {
    const { e, url, endpoint, message } = await oneDelivery({ status: 200 })
    const { ids, result } = await runBatch(e, [{ body: message }], {}, DEAD_LETTER_QUEUE)
    expect(result.explicitAcks).toEqual(ids)
    expect(await hits(pathOf(url))).toBe(0)
    expect((await deliveryRows(endpoint.id))[0]).toMatchObject({
      status: 'dead',
      last_error: 'dead_letter',
    })
  })

  it('acks an event it gets, logging it, and leaves a settled delivery as it was', async () => {
    const { e, endpoint, message } = await oneDelivery({ status: 200 })
    await runBatch(e, [{ body: message }])
    const lines = captureLogs()
    const ev = event()
    const { ids, result } = await runBatch(
      e,
      [{ body: message }, { body: { kind: 'event', event: ev } }],
      {},
      DEAD_LETTER_QUEUE,
    )
    expect(result.explicitAcks).toEqual(ids)
    expect((await deliveryRows(endpoint.id))[0]).toMatchObject({ status: 'succeeded' })
    expect(lines.join('\n')).toContain(ev.id)
  })
})

describe('the consumer', () => {
  it('acks a message it never sends (malformed) instead of retrying it', async () => {
    const e = webhookEnv(recordingQueue())
    captureLogs()
    const { ids, result } = await runBatch(e, [
      { body: 'text' },
      { body: { kind: 'delivery', deliveryId: 1 } },
      { body: { kind: 'event', event: { id: 'x' } } },
      { body: { kind: 'other' } },
    ])
    expect(result.explicitAcks).toEqual(ids)
    expect(result.retryMessages).toEqual([])
  })

  it('attempts max_retries + 1 times, as wrangler.toml configures the queue', () => {
    const consumer =
      /\[\[queues\.consumers\]\]\nqueue = "edge-auth-webhooks"\n[\s\S]*?max_retries = (\d+)\ndead_letter_queue = "([^"]+)"/.exec(
        WRANGLER,
      )
    expect(consumer).not.toBeNull()
    expect(Number(consumer![1]) + 1).toBe(MAX_DELIVERY_ATTEMPTS)
    expect(consumer![2]).toBe(DEAD_LETTER_QUEUE)
    expect(WRANGLER).toContain(`[[queues.consumers]]\nqueue = "${DEAD_LETTER_QUEUE}"`)
  })

  it('backs off 5 s, 30 s, 2 min, 10 min, 30 min, 1 h... never past Queues’ 12-hour cap', () => {
    const delays = Array.from({ length: 12 }, (_, i) => retryDelaySeconds(i + 1))
    expect(delays.slice(0, 6)).toEqual([5, 30, 120, 600, 1800, 3600])
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!)
    expect(Math.max(...delays)).toBeLessThanOrEqual(QUEUE_MAX_DELAY_SECONDS)
    expect(QUEUE_MAX_DELAY_SECONDS).toBe(43_200)
  })
})
