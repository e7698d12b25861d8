// GET /admin/audit through the worker on real D1: filters, newest first, the cursor round trip,
// and every malformed query a 400 (never a 500), checked only after the caller is.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { toBase64Url, utf8 } from '../../src/auth/encoding'
import { AUDIT_TYPES } from '../../src/services/events'
import { type AuditEvent, auditStore } from '../../src/store/audit-events'
import { bearer, call, expectProblem, signedIn } from '../helpers'
import { createKey } from './admin-callers'

type Page = { events: (Omit<AuditEvent, 'at'> & { at: string })[]; nextCursor: string | null }

const reader = await createKey(['audit:read'])
const get = (query: string, key = reader.key) => call(`/admin/audit${query}`, bearer(key))

async function page(query: string): Promise<Page> {
  const res = await get(query)
  expect(res.status).toBe(200)
  expect(res.headers.get('cache-control')).toBe('no-store')
  return res.json()
}

const BASE = Date.UTC(2026, 0, 1)

/** `count` events about one new user id: two per millisecond, so ties are ordered by id. */
async function seed(count: number, overrides: Partial<AuditEvent> = {}) {
  const userId = crypto.randomUUID()
  const events: AuditEvent[] = Array.from({ length: count }, (_, i) => ({
    id: crypto.randomUUID(),
    at: BASE + Math.floor(i / 2),
    type: 'sign_in.succeeded',
    userId,
    actor: { type: 'user', id: userId },
    requestId: null,
    userAgent: null,
    country: null,
    detail: { method: 'pwd' },
    ...overrides,
  }))
  await auditStore(env.DB).add(events)
  return { userId, events }
}

const newestFirst = (events: AuditEvent[]) =>
  [...events].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1)).map((e) => e.id)

describe('GET /admin/audit', () => {
  it('pages through more events than a page holds: each once, newest first, then a null cursor', async () => {
    const { userId, events } = await seed(7)
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = `?userId=${userId}&limit=3${cursor ? `&cursor=${cursor}` : ''}`
      const body = await page(query)
      expect(body.events.length).toBe(pages < 2 ? 3 : 1)
      seen.push(...body.events.map((e) => e.id))
      cursor = body.nextCursor
      pages++
    } while (cursor !== null && pages < 10)
    expect(pages).toBe(3)
    expect(seen).toEqual(newestFirst(events))
  })

  it('gives no cursor when the last page is exactly full', async () => {
    const { userId } = await seed(4)
    const first = await page(`?userId=${userId}&limit=2`)
    expect(first.nextCursor).not.toBeNull()
    const second = await page(`?userId=${userId}&limit=2&cursor=${first.nextCursor}`)
    expect(second.events).toHaveLength(2)
    expect(second.nextCursor).toBeNull()
  })

  it('shows each event with its time in ISO 8601, its actor and detail', async () => {
    const { userId, events } = await seed(1, { actor: { type: 'api_key', id: 'k1' } })
    const { events: shown } = await page(`?userId=${userId}`)
    expect(shown).toEqual([
      {
        ...events[0],
        at: new Date(BASE).toISOString(),
        actor: { type: 'api_key', id: 'k1' },
      },
    ])
  })

  it('filters by type, actor and time (since inclusive, until exclusive)', async () => {
    const { userId } = await seed(6)
    const other = await seed(1, { type: 'password.changed' })
    await auditStore(env.DB).add([
      {
        id: crypto.randomUUID(),
        at: BASE + 10,
        type: 'password.changed',
        userId,
        actor: { type: 'admin', id: 'admin-1' },
        requestId: null,
        userAgent: null,
        country: null,
        detail: {},
      },
    ])
    const changed = await page(`?userId=${userId}&type=password.changed`)
    expect(changed.events.map((e) => e.actor.id)).toEqual(['admin-1'])
    const byActor = await page('?actorId=admin-1')
    expect(byActor.events.every((e) => e.actor.id === 'admin-1')).toBe(true)
    expect(byActor.events.map((e) => e.userId)).toContain(userId)
    expect(byActor.events.map((e) => e.userId)).not.toContain(other.userId)
    const since = new Date(BASE + 1).toISOString()
    const until = new Date(BASE + 2).toISOString()
    const window = await page(`?userId=${userId}&since=${since}&until=${until}`)
    // Two events at BASE+1; none at BASE (before since) nor BASE+2 (at until).
    expect(window.events.map((e) => e.at)).toEqual([since, since])
    const offset = await page(
      `?userId=${userId}&since=${encodeURIComponent('2026-01-01T01:00:00.001+01:00')}`,
    )
    // The same instant as BASE+1 in UTC: all but the two at BASE.
    expect(offset.events.length).toBe(5)
  })

  it('refuses a type that is not an audit type, and takes every one that is', async () => {
    const body = await expectProblem(await get('?type=user.hacked'), 400, 'validation_failed')
    expect(body.errors).toEqual([{ field: 'type', message: 'must be an audit event type' }])
    expect(AUDIT_TYPES).toContain('api_key.created')
    expect(AUDIT_TYPES).toContain('admin.granted')
    for (const type of AUDIT_TYPES) expect((await get(`?type=${type}&limit=1`)).status).toBe(200)
  })

  it('refuses malformed limits and times with 400', async () => {
    for (const query of [
      '?limit=0',
      '?limit=101',
      '?limit=abc',
      '?limit=-1',
      '?limit=1.5',
      '?since=yesterday',
      '?until=2026-13-01T00:00:00Z',
      `?userId=${'a'.repeat(65)}`,
    ]) {
      await expectProblem(await get(query), 400, 'validation_failed')
    }
    expect((await page('?limit=100')).events.length).toBeLessThanOrEqual(100)
  })

  it('refuses a malformed or forged cursor with 400, never 500', async () => {
    const b64 = (text: string) => toBase64Url(utf8(text))
    for (const cursor of [
      'abc',
      '!!!!',
      'A',
      b64('not json'),
      b64('[]'),
      b64('null'),
      b64('{"at":"1","id":"x"}'),
      b64('{"at":1.5,"id":"x"}'),
      b64('{"at":-1,"id":"x"}'),
      b64('{"at":1e400,"id":"x"}'),
      b64('{"at":1,"id":""}'),
      b64(`{"at":1,"id":"${'x'.repeat(65)}"}`),
      b64('{"at":1}'),
      toBase64Url(new Uint8Array([0xff, 0xfe, 0x7b])),
      'x'.repeat(201),
    ]) {
      // Not a cursor's shape: the query's validation; a cursor's shape naming no position: its own code.
      const res = await get(`?cursor=${encodeURIComponent(cursor)}`)
      const shaped = /^[A-Za-z0-9_-]{1,512}$/.test(cursor)
      await expectProblem(res, 400, shaped ? 'invalid_cursor' : 'validation_failed')
    }
  })

  it('checks the caller before the query: a bad query without a key is 401, with a narrow key 403', async () => {
    await expectProblem(await call('/admin/audit?type=nope&cursor=%%'), 401, 'invalid_token')
    const { key } = await createKey(['users:read', 'users:write', 'webhooks:manage'])
    await expectProblem(await get('?type=nope', key), 403, 'insufficient_scope')
    const { tokens } = await signedIn('plain')
    await expectProblem(await get('?type=nope', tokens.accessToken), 403, 'admin_required')
  })
})
