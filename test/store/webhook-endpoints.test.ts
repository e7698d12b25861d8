// The subscribed event types, cached per isolate for SUBSCRIBED_TYPES_TTL_MS: what decides
// whether a request's webhook events go to the queue at all. Time is Date's, faked.
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it } from 'vitest'
import {
  SUBSCRIBED_TYPES_TTL_MS,
  type WebhookEndpoint,
  webhookEndpointStore,
} from '../../src/store/webhook-endpoints'
import { freezeTime } from '../helpers'

let clock: ReturnType<typeof freezeTime> | undefined
afterEach(() => clock?.restore())

const endpoint = (eventTypes: string[], disabled = false): WebhookEndpoint => ({
  id: crypto.randomUUID(),
  url: 'https://hooks.example.com/x',
  eventTypes: eventTypes as WebhookEndpoint['eventTypes'],
  description: '',
  disabled,
  secret: 'sealed',
  previousSecret: null,
  previousSecretExpiresAt: null,
  createdAt: Date.now(),
  updatedAt: Date.now(),
})

/** A row written by another isolate (an admin request elsewhere): this one's cache never hears of it. */
const insertElsewhere = (e: WebhookEndpoint) =>
  env.DB.prepare(
    `INSERT INTO webhook_endpoints (id, url, event_types, description, disabled, secret, created_at, updated_at)
     VALUES (?, ?, ?, '', ?, 'sealed', ?, ?)`,
  )
    .bind(e.id, e.url, JSON.stringify(e.eventTypes), e.disabled ? 1 : 0, e.createdAt, e.updatedAt)
    .run()

// One D1 per test file, and one cache per D1 object: each test uses its own wrapper object so
// its cache starts empty, over the same tables.
const freshDb = () => new Proxy(env.DB, {}) as D1Database

describe('the event types enabled endpoints subscribe to', () => {
  it('are those of enabled endpoints only', async () => {
    const db = freshDb()
    const store = webhookEndpointStore(db)
    await store.create(endpoint(['user.created', 'session.created']))
    await store.create(endpoint(['grant.revoked'], true))
    const types = await store.subscribedTypes()
    expect(types.has('user.created')).toBe(true)
    expect(types.has('session.created')).toBe(true)
    expect(types.has('grant.revoked')).toBe(false)
  })

  it('are read once a minute: another isolate’s new endpoint is missed for up to 60 s', async () => {
    clock = freezeTime()
    const db = freshDb()
    const store = webhookEndpointStore(db)
    const before = await store.subscribedTypes()
    expect(before.has('mfa.changed')).toBe(false)
    await insertElsewhere(endpoint(['mfa.changed']))
    clock.advance(SUBSCRIBED_TYPES_TTL_MS - 1)
    expect((await store.subscribedTypes()).has('mfa.changed')).toBe(false)
    clock.advance(1)
    expect((await store.subscribedTypes()).has('mfa.changed')).toBe(true)
  })

  it('are read afresh at once after this isolate creates, changes or removes an endpoint', async () => {
    clock = freezeTime()
    const db = freshDb()
    const store = webhookEndpointStore(db)
    expect((await store.subscribedTypes()).has('identity.linked')).toBe(false)
    const made = endpoint(['identity.linked'])
    await store.create(made)
    expect((await store.subscribedTypes()).has('identity.linked')).toBe(true)
    await store.update(made.id, { disabled: true }, Date.now())
    expect((await store.subscribedTypes()).has('identity.linked')).toBe(false)
    await store.update(made.id, { disabled: false, eventTypes: ['grant.created'] }, Date.now())
    const types = await store.subscribedTypes()
    expect(types.has('grant.created')).toBe(true)
    expect(types.has('identity.linked')).toBe(false)
    await store.remove(made.id)
    expect((await store.subscribedTypes()).has('grant.created')).toBe(false)
  })

  it('keeps no list read while a change was under way', async () => {
    clock = freezeTime()
    // The types query runs at once but its answer is held until the test lets it go.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const db = new Proxy(env.DB, {
      get(target, prop) {
        if (prop !== 'prepare') return Reflect.get(target, prop)
        return (sql: string) => {
          const statement = target.prepare(sql)
          if (!sql.includes('DISTINCT')) return statement
          return {
            all: async () => {
              const result = await statement.all()
              await held
              return result
            },
          }
        }
      },
    }) as D1Database
    const store = webhookEndpointStore(db)
    // Read before the create commits, answered after it has: stale, so not kept.
    const reading = store.subscribedTypes()
    await new Promise((resolve) => setTimeout(resolve, 0))
    await store.create(endpoint(['user.disabled']))
    release()
    expect((await reading).has('user.disabled')).toBe(false)
    expect((await store.subscribedTypes()).has('user.disabled')).toBe(true)
  })
})
