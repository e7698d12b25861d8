// The delivery log's transitions: each is one conditional statement, so a duplicated, stale or
// late queue message can never undo a newer state (a success, a redelivery's round).
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { webhookDeliveryStore } from '../../src/store/webhook-deliveries'
import { webhookEndpointStore } from '../../src/store/webhook-endpoints'

const deliveries = webhookDeliveryStore(env.DB)
const endpoints = webhookEndpointStore(env.DB)

async function endpoint(types: string[] = ['user.created'], disabled = false) {
  const id = `wh_${crypto.randomUUID().replaceAll('-', '').slice(0, 22)}`
  await endpoints.create({
    id,
    url: 'https://hooks.example.com/x',
    eventTypes: types as never,
    description: '',
    disabled,
    secret: 'sealed',
    previousSecret: null,
    previousSecretExpiresAt: null,
    createdAt: Date.now(),
    updatedAt: Date.now(),
  })
  return id
}

async function pending(createdAt = Date.now()) {
  const endpointId = await endpoint()
  const eventId = crypto.randomUUID()
  const [row] = await deliveries.createForEvent([
    {
      id: `msg_${eventId.slice(0, 22)}`,
      endpointId,
      eventId,
      eventType: 'user.created',
      payload: '{}',
      createdAt,
    },
  ])
  return row!
}

const outcome = (status: 'pending' | 'succeeded' | 'dead') => ({
  at: Date.now(),
  status,
  lastStatus: 500,
  lastError: 'http_status',
  nextAttemptAt: null,
})

describe('webhook deliveries', () => {
  it('makes one row per endpoint and event, however often the fan-out runs', async () => {
    const endpointId = await endpoint()
    const eventId = crypto.randomUUID()
    const make = (id: string) =>
      deliveries.createForEvent([
        { id, endpointId, eventId, eventType: 'user.created', payload: '{"a":1}', createdAt: 1 },
      ])
    const [first] = await make('msg_first')
    const [second] = await make('msg_second')
    expect(second!.id).toBe(first!.id)
    expect(await deliveries.listForEndpoint(endpointId, 10)).toHaveLength(1)
  })

  it('records an attempt only in the current round while pending; a settled row stays settled', async () => {
    const row = await pending()
    expect(await deliveries.recordAttempt(row.id, 1, outcome('succeeded'))).toBe(false)
    expect(await deliveries.recordAttempt(row.id, 0, outcome('succeeded'))).toBe(true)
    // A late failure report, a dead letter, or a cancel cannot undo the success.
    expect(await deliveries.recordAttempt(row.id, 0, outcome('dead'))).toBe(false)
    expect(await deliveries.settle(row.id, 0, 'dead', 'dead_letter')).toBe(false)
    expect(await deliveries.settle(row.id, 0, 'cancelled', 'endpoint_disabled')).toBe(false)
    expect(await deliveries.get(row.id)).toMatchObject({ status: 'succeeded', attempts: 1 })
  })

  it('reopens only a settled delivery, into a new round the old messages cannot touch', async () => {
    const row = await pending()
    expect(await deliveries.reopen(row.id)).toBeNull()
    await deliveries.recordAttempt(row.id, 0, outcome('dead'))
    const reopened = await deliveries.reopen(row.id)
    expect(reopened).toMatchObject({ id: row.id, status: 'pending', round: 1, attempts: 1 })
    expect(await deliveries.reopen(row.id)).toBeNull()
    expect(await deliveries.settle(row.id, 0, 'dead', 'dead_letter')).toBe(false)
    expect(await deliveries.recordAttempt(row.id, 0, outcome('succeeded'))).toBe(false)
    expect(await deliveries.get(row.id)).toMatchObject({ status: 'pending', round: 1 })
  })

  it('purges old settled rows only, never one still pending', async () => {
    const old = await pending(1000)
    const settled = await pending(1000)
    await deliveries.recordAttempt(settled.id, 0, outcome('succeeded'))
    const fresh = await pending()
    await deliveries.recordAttempt(fresh.id, 0, outcome('succeeded'))
    expect(await deliveries.purgeBefore(2000, 100)).toBe(1)
    expect(await deliveries.get(settled.id)).toBeNull()
    expect(await deliveries.get(old.id)).not.toBeNull()
    expect(await deliveries.get(fresh.id)).not.toBeNull()
  })

  it('goes with its endpoint', async () => {
    const row = await pending()
    expect(await endpoints.remove(row.endpointId)).toBe(true)
    expect(await deliveries.get(row.id)).toBeNull()
    expect(await endpoints.remove(row.endpointId)).toBe(false)
  })
})

describe('webhook endpoints', () => {
  it('lists as subscribed only the enabled endpoints naming the type', async () => {
    const on = await endpoint(['user.created', 'user.deleted'])
    const off = await endpoint(['user.deleted'], true)
    const other = await endpoint(['session.created'])
    const ids = (await endpoints.subscribedTo('user.deleted')).map((e) => e.id)
    expect(ids).toContain(on)
    expect(ids).not.toContain(off)
    expect(ids).not.toContain(other)
    // A type that is a prefix or a JSON fragment of one matches nothing.
    expect(await endpoints.subscribedTo('user')).toEqual([])
    expect(await endpoints.subscribedTo('"user.deleted"')).toEqual([])
  })

  it('keeps the current secret as the previous one on rotation', async () => {
    const id = await endpoint()
    expect(await endpoints.rotateSecret(id, 'sealed-2', 123, 1)).toBe(true)
    expect(await endpoints.get(id)).toMatchObject({
      secret: 'sealed-2',
      previousSecret: 'sealed',
      previousSecretExpiresAt: 123,
    })
    expect(await endpoints.rotateSecret('wh_none', 'x', 1, 1)).toBe(false)
  })
})
