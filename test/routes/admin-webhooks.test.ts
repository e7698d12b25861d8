// /admin/webhooks through the real worker: only a caller with webhooks:manage; a secret in the
// creation and rotation answers and nowhere else (no other answer, no log line, not in D1);
// refused URLs; rotation's two signatures, each verified by the reference library with its own
// secret; the delivery log, its cursor, redelivery and the test ping.
import { env } from 'cloudflare:workers'
import { Webhook } from 'standardwebhooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Bindings } from '../../src/env'
import { PREVIOUS_SECRET_TTL_MS } from '../../src/services/webhooks'
import { callWithEnv, captureLogs, expectProblem, freezeTime } from '../helpers'
import { createKey } from './admin-callers'
import {
  deliveryRows,
  event,
  receiverAt,
  recordingFetch,
  recordingQueue,
  runBatch,
  webhookEnv,
} from '../consumers/webhooks-harness'

afterEach(() => {
  vi.restoreAllMocks()
  vi.useRealTimers()
})

const manager = await createKey(['webhooks:manage'])

type Json = Record<string, unknown>

/** A request to the worker as `key`, with `overrides` in its env (the queue double, settings). */
function admin(
  method: string,
  path: string,
  body?: unknown,
  { key = manager.key, overrides = {} as Partial<Bindings> } = {},
) {
  return callWithEnv(overrides, path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

const HOOK = 'https://hooks.example.com/edge-auth'

async function createEndpoint(body: Json = { url: HOOK, eventTypes: ['user.created'] }) {
  const res = await admin('POST', '/admin/webhooks', body)
  expect(res.status).toBe(201)
  return (await res.json()) as Json & { id: string; secret: string }
}

describe('who may manage webhooks', () => {
  it('refuses a key without webhooks:manage (403) and no key (401); nothing is made', async () => {
    const reader = await createKey(['users:read', 'audit:read'])
    const body = { url: 'https://nobody.example.com/x', eventTypes: ['user.created'] }
    await expectProblem(
      await admin('POST', '/admin/webhooks', body, { key: reader.key }),
      403,
      'insufficient_scope',
    )
    await expectProblem(
      await admin('GET', '/admin/webhooks', undefined, { key: reader.key }),
      403,
      'insufficient_scope',
    )
    const anonymous = await callWithEnv({}, '/admin/webhooks', { method: 'GET' })
    expect(anonymous.status).toBe(401)
    const list = (await (await admin('GET', '/admin/webhooks?limit=100')).json()) as {
      webhooks: Json[]
    }
    expect(list.webhooks.map((w) => w.url)).not.toContain('https://nobody.example.com/x')
  })
})

describe('POST /admin/webhooks', () => {
  it('registers an endpoint and shows its secret once; the secret is sealed in D1', async () => {
    const lines = captureLogs()
    const created = await createEndpoint({
      url: HOOK,
      eventTypes: ['user.created', 'user.deleted', 'user.created'],
      description: 'CRM sync',
    })
    expect(created.id).toMatch(/^wh_[A-Za-z0-9_-]{22}$/)
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(created).toMatchObject({
      url: HOOK,
      eventTypes: ['user.created', 'user.deleted'],
      description: 'CRM sync',
      disabled: false,
      previousSecretExpiresAt: null,
    })
    const raw = created.secret.slice('whsec_'.length)
    const one = await admin('GET', `/admin/webhooks/${created.id}`)
    expect(one.status).toBe(200)
    const text = await one.text()
    expect(text).not.toContain(raw)
    expect(JSON.parse(text)).not.toHaveProperty('secret')
    const row = await env.DB.prepare('SELECT * FROM webhook_endpoints WHERE id = ?')
      .bind(created.id)
      .first<Json>()
    expect(JSON.stringify(row)).not.toContain(raw)
    expect(JSON.stringify(row)).not.toContain(created.secret)
    const all = lines.join('\n')
    expect(all).not.toContain(raw)
    expect(all).toContain('webhook_created')
  })

  it('writes an audit row naming the key that acted and the endpoint, with no secret', async () => {
    const created = await createEndpoint()
    await vi.waitFor(async () => {
      const row = await env.DB.prepare(
        "SELECT * FROM audit_events WHERE type = 'webhook.created' AND detail LIKE ?",
      )
        .bind(`%${created.id}%`)
        .first<Json>()
      expect(row).toMatchObject({ actor_type: 'api_key', actor_id: manager.id, user_id: null })
      expect(JSON.stringify(row)).not.toContain(created.secret.slice(6))
    })
  })

  it('refuses URLs that are not https to a public name on the default port', async () => {
    for (const url of [
      'http://hooks.example.com/x',
      'https://10.0.0.1/x',
      'https://169.254.169.254/latest/meta-data',
      'https://[fd00::1]/x',
      'https://[::ffff:7f00:1]/x',
      'https://localhost/x',
      'https://127.0.0.1/x',
      'https://2130706433/x',
      'https://api.localhost/x',
      'https://printer.local/x',
      'https://metadata.google.internal/x',
      'https://router.home.arpa/x',
      'https://intranet/x',
      'https://ok.example.com@evil.example.com/x',
      'https://hooks.example.com:8443/x',
      'https://hooks.example.com/x#frag',
      'ftp://hooks.example.com/x',
      'not a url',
    ]) {
      const res = await admin('POST', '/admin/webhooks', { url, eventTypes: ['user.created'] })
      await expectProblem(res, 400, 'webhook_url_refused')
    }
  })

  it('refuses loopback even when WEBHOOKS_ALLOW_LOOPBACK is on, if JWT_ISSUER is public', async () => {
    const overrides = {
      WEBHOOKS_ALLOW_LOOPBACK: 'on',
      JWT_ISSUER: 'https://auth.example.com',
    } as Partial<Bindings>
    const res = await admin(
      'POST',
      '/admin/webhooks',
      { url: 'http://127.0.0.1:9/x', eventTypes: ['user.created'] },
      { overrides },
    )
    await expectProblem(res, 400, 'webhook_url_refused')
    // Allowed in local development: JWT_ISSUER unset.
    const local = await admin(
      'POST',
      '/admin/webhooks',
      { url: 'http://127.0.0.1:9/x', eventTypes: ['user.created'] },
      { overrides: { WEBHOOKS_ALLOW_LOOPBACK: 'on' } },
    )
    expect(local.status).toBe(201)
  })

  it('refuses bodies outside the schema: no types, an unknown type, an unknown field', async () => {
    for (const body of [
      { url: HOOK, eventTypes: [] },
      { url: HOOK, eventTypes: ['user.hacked'] },
      { url: HOOK },
      { url: HOOK, eventTypes: ['user.created'], secret: 'whsec_mine' },
      { url: HOOK, eventTypes: ['user.created'], description: 'a\nb' },
      { url: `https://hooks.example.com/${'a'.repeat(2100)}`, eventTypes: ['user.created'] },
    ]) {
      await expectProblem(await admin('POST', '/admin/webhooks', body), 400, 'validation_failed')
    }
  })
})

describe('GET, PATCH and DELETE /admin/webhooks/{id}', () => {
  it('lists a page at a time with an opaque cursor, never a secret', async () => {
    const made = [await createEndpoint(), await createEndpoint(), await createEndpoint()]
    const seen: Json[] = []
    let cursor: string | null = null
    do {
      const res = await admin('GET', `/admin/webhooks?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      const text = await res.text()
      for (const m of made) expect(text).not.toContain(m.secret.slice(6))
      const page = JSON.parse(text) as { webhooks: Json[]; nextCursor: string | null }
      expect(page.webhooks.length).toBeLessThanOrEqual(2)
      seen.push(...page.webhooks)
      cursor = page.nextCursor
    } while (cursor)
    expect(seen.map((w) => w.id)).toEqual(expect.arrayContaining(made.map((m) => m.id)))
    expect(new Set(seen.map((w) => w.id)).size).toBe(seen.length)
    await expectProblem(await admin('GET', '/admin/webhooks?cursor=bm9wZQ'), 400, 'invalid_cursor')
  })

  it('changes types, pauses, and refuses a private URL without changing anything', async () => {
    const { id } = await createEndpoint()
    const res = await admin('PATCH', `/admin/webhooks/${id}`, {
      eventTypes: ['session.created'],
      disabled: true,
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ eventTypes: ['session.created'], disabled: true })
    const refused = await admin('PATCH', `/admin/webhooks/${id}`, {
      url: 'https://10.1.2.3/x',
      disabled: false,
    })
    await expectProblem(refused, 400, 'webhook_url_refused')
    expect(await (await admin('GET', `/admin/webhooks/${id}`)).json()).toMatchObject({
      url: HOOK,
      disabled: true,
    })
    // An empty change answers the endpoint as it is.
    const same = await admin('PATCH', `/admin/webhooks/${id}`, {})
    expect(same.status).toBe(200)
    expect(((await same.json()) as { id: string }).id).toBe(id)
  })

  it('deletes an endpoint and its log; unknown and malformed ids are 404 and 400', async () => {
    const { id } = await createEndpoint()
    expect((await admin('DELETE', `/admin/webhooks/${id}`)).status).toBe(204)
    await expectProblem(await admin('GET', `/admin/webhooks/${id}`), 404, 'webhook_not_found')
    await expectProblem(await admin('DELETE', `/admin/webhooks/${id}`), 404, 'webhook_not_found')
    await expectProblem(
      await admin('PATCH', `/admin/webhooks/${id}`, { disabled: true }),
      404,
      'webhook_not_found',
    )
    await expectProblem(
      await admin('GET', '/admin/webhooks/1%20OR%201=1'),
      400,
      'validation_failed',
    )
  })
})

describe('POST /admin/webhooks/{id}/rotate-secret', () => {
  it('shows a new secret once; for 24 h both sign, each verified with its own secret', async () => {
    const q = recordingQueue()
    const e = webhookEnv(q)
    const url = await receiverAt({ status: 204 })
    const res0 = await admin(
      'POST',
      '/admin/webhooks',
      { url, eventTypes: ['user.created'] },
      { overrides: { WEBHOOKS_ALLOW_LOOPBACK: 'on' } },
    )
    const created = (await res0.json()) as { id: string; secret: string }
    const lines = captureLogs()
    const res = await admin('POST', `/admin/webhooks/${created.id}/rotate-secret`)
    expect(res.status).toBe(200)
    const rotated = (await res.json()) as { secret: string; previousSecretExpiresAt: string }
    expect(rotated.secret).toMatch(/^whsec_/)
    expect(rotated.secret).not.toBe(created.secret)
    expect(Date.parse(rotated.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(
      PREVIOUS_SECRET_TTL_MS - 60_000,
    )
    expect(lines.join('\n')).not.toContain(rotated.secret.slice(6))
    const shown = await (await admin('GET', `/admin/webhooks/${created.id}`)).text()
    expect(shown).not.toContain(rotated.secret.slice(6))
    expect(JSON.parse(shown).previousSecretExpiresAt).toBe(rotated.previousSecretExpiresAt)

    const deliver = async () => {
      await runBatch(e, [{ body: { kind: 'event', event: event() } }])
      const [row] = (await deliveryRows(created.id)).slice(-1)
      const message = q.take().find((m) => m.kind === 'delivery' && m.deliveryId === row!.id)
      const { received, fetcher } = recordingFetch()
      await runBatch(e, [{ body: message }], { fetcher })
      return received[0]!
    }
    const during = await deliver()
    const signatures = during.headers['webhook-signature']!.split(' ')
    expect(signatures).toHaveLength(2)
    const fresh = new Webhook(rotated.secret)
    const old = new Webhook(created.secret)
    expect(
      fresh.verify(during.body, { ...during.headers, 'webhook-signature': signatures[0]! }),
    ).toBeTruthy()
    expect(
      old.verify(during.body, { ...during.headers, 'webhook-signature': signatures[1]! }),
    ).toBeTruthy()
    expect(() =>
      fresh.verify(during.body, { ...during.headers, 'webhook-signature': signatures[1]! }),
    ).toThrow()

    // A day later the old secret signs no more.
    const clock = freezeTime(Date.now() + PREVIOUS_SECRET_TTL_MS + 1000)
    const after = await deliver()
    clock.restore()
    expect(after.headers['webhook-signature']!.split(' ')).toHaveLength(1)
    expect(() => old.verify(after.body, after.headers)).toThrow()
    // (Verified at the time it was signed: the library checks the timestamp against now.)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Number(after.headers['webhook-timestamp']) * 1000)
    expect(fresh.verify(after.body, after.headers)).toBeTruthy()
  })

  it('is 404 for an unknown endpoint and issues no secret', async () => {
    const res = await admin('POST', '/admin/webhooks/wh_AAAAAAAAAAAAAAAAAAAAAA/rotate-secret')
    const body = await expectProblem(res, 404, 'webhook_not_found')
    expect(JSON.stringify(body)).not.toContain('whsec_')
  })
})

describe('the delivery log, redelivery and the test ping', () => {
  it('lists deliveries newest first, redelivers a dead one, refuses a pending one', async () => {
    const q = recordingQueue()
    const e = webhookEnv(q)
    const url = await receiverAt({ status: 500, body: 'internal details' })
    const created = (await (
      await admin(
        'POST',
        '/admin/webhooks',
        { url, eventTypes: ['user.created'] },
        { overrides: { WEBHOOKS_ALLOW_LOOPBACK: 'on' } },
      )
    ).json()) as { id: string; secret: string }
    for (let i = 0; i < 3; i++) await runBatch(e, [{ body: { kind: 'event', event: event() } }])
    const rows = await deliveryRows(created.id)
    expect(rows).toHaveLength(3)
    const mine = q
      .take()
      .filter((m) => m.kind === 'delivery' && rows.some((r) => r.id === m.deliveryId))
    // The first dies on its last attempt; the others wait for a retry.
    await runBatch(e, [{ body: mine[0], attempts: 9 }])
    await runBatch(e, [{ body: mine[1], attempts: 1 }])

    const pages: Json[] = []
    let cursor: string | null = null
    do {
      const res = await admin(
        'GET',
        `/admin/webhooks/${created.id}/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      )
      expect(res.status).toBe(200)
      const text = await res.text()
      expect(text).not.toContain('internal details')
      expect(text).not.toContain(created.secret.slice(6))
      const page = JSON.parse(text) as { deliveries: Json[]; nextCursor: string | null }
      pages.push(...page.deliveries)
      cursor = page.nextCursor
    } while (cursor)
    expect(pages).toHaveLength(3)
    const dead = pages.find((d) => d.status === 'dead')!
    expect(dead).toMatchObject({ attempts: 1, lastStatus: 500, lastError: 'http_status' })
    const retrying = pages.find((d) => d.attempts === 1 && d.status === 'pending')!
    expect(retrying.nextAttemptAt).not.toBeNull()

    const again = await admin(
      'POST',
      `/admin/webhooks/deliveries/${dead.id}/redeliver`,
      undefined,
      {
        overrides: { WEBHOOKS: q as unknown as Queue },
      },
    )
    expect(again.status).toBe(202)
    expect(await again.json()).toMatchObject({ id: dead.id, status: 'pending' })
    expect(q.take()).toEqual([{ kind: 'delivery', deliveryId: dead.id, round: 1 }])
    // Still pending now: a second redelivery is refused, and nothing more is queued.
    const twice = await admin(
      'POST',
      `/admin/webhooks/deliveries/${dead.id}/redeliver`,
      undefined,
      {
        overrides: { WEBHOOKS: q as unknown as Queue },
      },
    )
    await expectProblem(twice, 409, 'webhook_delivery_pending')
    await expectProblem(
      await admin('POST', `/admin/webhooks/deliveries/${retrying.id}/redeliver`),
      409,
      'webhook_delivery_pending',
    )
    expect(q.take()).toEqual([])
    await expectProblem(
      await admin('POST', '/admin/webhooks/deliveries/msg_AAAAAAAAAAAAAAAAAAAAAA/redeliver'),
      404,
      'webhook_delivery_not_found',
    )
  })

  it('queues a webhook.test ping the receiver verifies', async () => {
    const q = recordingQueue()
    const e = webhookEnv(q)
    const url = await receiverAt({ status: 200 })
    const overrides = { WEBHOOKS_ALLOW_LOOPBACK: 'on', WEBHOOKS: q as unknown as Queue }
    const created = (await (
      await admin('POST', '/admin/webhooks', { url, eventTypes: ['user.deleted'] }, { overrides })
    ).json()) as { id: string; secret: string }
    const res = await admin('POST', `/admin/webhooks/${created.id}/test`, undefined, { overrides })
    expect(res.status).toBe(202)
    const queued = (await res.json()) as { id: string; eventType: string }
    expect(queued.eventType).toBe('webhook.test')
    const [message] = q.take()
    expect(message).toEqual({ kind: 'delivery', deliveryId: queued.id, round: 0 })
    const { received, fetcher } = recordingFetch()
    await runBatch(e, [{ body: message }], { fetcher })
    const payload = new Webhook(created.secret).verify(received[0]!.body, received[0]!.headers)
    expect(payload).toMatchObject({ type: 'webhook.test', data: { endpoint_id: created.id } })
  })
})
