// The example receiver (examples/webhook-receiver/) against real deliveries: the queue consumer
// signs and POSTs each one as it does in production, with the fetch handed straight to the
// receiver. What docs/operations.md promises a receiver: the signature verifies against the raw
// body, either secret works during a rotation, a forged or stale request is refused (and so
// retried), and a redelivery carries the same webhook-id, so it is handled once.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type EdgeAuthEvent, webhookReceiver } from '../../examples/webhook-receiver/src/index'
import { webhookService } from '../../src/consumers/queue'
import {
  deliveryRows,
  event,
  recordingQueue,
  register,
  runBatch,
  webhookEnv,
} from '../consumers/webhooks-harness'

afterEach(() => vi.useRealTimers())

/** A loopback URL (allowed by webhookEnv); nothing listens: the fetch below never leaves. */
const URL_OF_RECEIVER = 'http://127.0.0.1:9/edge-auth'

/** The example receiver with an in-memory store, and what it handled. */
function receiverFor(secret: string) {
  const handled: { event: EdgeAuthEvent; deliveryId: string }[] = []
  const ids = new Set<string>()
  const receive = webhookReceiver({
    secret,
    seen: { has: async (id) => ids.has(id), add: async (id) => void ids.add(id) },
    handle: async (event, deliveryId) => void handled.push({ event, deliveryId }),
  })
  const requests: Request[] = []
  const answers: number[] = []
  // The consumer's fetch, given to the receiver instead of the network.
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    requests.push(request.clone())
    const answer = await receive(request)
    answers.push(answer.status)
    return answer
  }) as typeof fetch
  return { receive, fetcher, handled, requests, answers }
}

/** An endpoint for user.created, an event fanned out to it, and its delivery message. */
async function oneDelivery() {
  const q = recordingQueue()
  const e = webhookEnv(q)
  const created = await register(e, URL_OF_RECEIVER, ['user.created'])
  q.take()
  const ev = event('user.created')
  await runBatch(e, [{ body: { kind: 'event', event: ev } }])
  // Endpoints of earlier tests in this file subscribe too: this endpoint's message only.
  const [row] = await deliveryRows(created.endpoint.id)
  const message = q.take().find((m) => m.kind === 'delivery' && m.deliveryId === row!.id)
  return { q, e, created, ev, message: message! }
}

describe('the example webhook receiver', () => {
  it('verifies a real delivery and handles its event', async () => {
    const { e, created, ev, message } = await oneDelivery()
    const receiver = receiverFor(created.secret)
    const { ids, result } = await runBatch(e, [{ body: message }], { fetcher: receiver.fetcher })

    expect(receiver.answers).toEqual([204])
    expect(result.explicitAcks).toEqual(ids)
    const [row] = await deliveryRows(created.endpoint.id)
    expect(receiver.handled).toEqual([
      {
        deliveryId: row!.id,
        event: {
          type: 'user.created',
          timestamp: new Date(ev.at).toISOString(),
          data: { event_id: ev.id, user_id: ev.userId, method: 'password', actor: ev.actor },
        },
      },
    ])
    expect(row).toMatchObject({ status: 'succeeded', last_status: 204 })
  })

  it('refuses a delivery signed with another secret, and edge-auth retries it', async () => {
    const { e, message } = await oneDelivery()
    const other = await register(e, URL_OF_RECEIVER, ['user.deleted'])
    const receiver = receiverFor(other.secret)
    const { result } = await runBatch(e, [{ body: message }], { fetcher: receiver.fetcher })

    expect(receiver.answers).toEqual([401])
    expect(receiver.handled).toEqual([])
    expect(result.retryMessages).toHaveLength(1)
  })

  it('refuses a changed body and a replay more than five minutes old', async () => {
    const { e, created, message } = await oneDelivery()
    const receiver = receiverFor(created.secret)
    await runBatch(e, [{ body: message }], { fetcher: receiver.fetcher })
    const [sent] = receiver.requests
    const body = await sent!.clone().text()

    const changed = new Request(sent!, { body: body.replace('user.created', 'user.deleted') })
    expect((await receiver.receive(changed)).status).toBe(401)

    // The same request, exactly, six minutes later: its timestamp is signed, so it is stale.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 6 * 60 * 1000)
    expect((await receiver.receive(sent!.clone())).status).toBe(401)
    expect(receiver.handled).toHaveLength(1)
  })

  it('accepts the old and the new secret while a rotation overlaps', async () => {
    const { e, created, message } = await oneDelivery()
    const { secret: newSecret } = await webhookService(e).rotateSecret(created.endpoint.id)
    expect(newSecret).not.toBe(created.secret)

    const withOld = receiverFor(created.secret)
    const withNew = receiverFor(newSecret)
    await runBatch(e, [{ body: message }], { fetcher: withOld.fetcher })
    const [sent] = withOld.requests
    expect(sent!.headers.get('webhook-signature')).toMatch(/^v1,\S+ v1,\S+$/)
    expect(withOld.answers).toEqual([204])
    expect((await withNew.receive(sent!.clone())).status).toBe(204)
  })

  it('handles a redelivery once: the same webhook-id and body', async () => {
    const { q, e, created, message } = await oneDelivery()
    const receiver = receiverFor(created.secret)
    await runBatch(e, [{ body: message }], { fetcher: receiver.fetcher })
    const [row] = await deliveryRows(created.endpoint.id)

    await webhookService(e).redeliver(String(row!.id))
    const [again] = q.take()
    const { ids, result } = await runBatch(e, [{ body: again }], { fetcher: receiver.fetcher })

    expect(receiver.answers).toEqual([204, 204])
    expect(receiver.requests.map((r) => r.headers.get('webhook-id'))).toEqual([row!.id, row!.id])
    expect(receiver.handled).toHaveLength(1)
    expect(result.explicitAcks).toEqual(ids)
    expect((await deliveryRows(created.endpoint.id))[0]).toMatchObject({ status: 'succeeded' })
  })
})
