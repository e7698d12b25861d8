// GET /users/me/activity through the worker: the caller's own security events, newest first, as
// the audit log wrote them after the response; never another user's, whatever the query says;
// paged by an opaque cursor; and nothing of who else acted (an administrator's or key's id, a
// request id).
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it } from 'vitest'
import type { ActivityEvent, ActivityPage } from '../../src/schemas'
import { type AuditEvent, auditStore } from '../../src/store/audit-events'
import {
  PASSWORD,
  bearer,
  call,
  callSettling,
  expectProblem,
  freezeTime,
  jsonInit,
  registerUser,
  signedIn,
} from '../helpers'

const SAFARI_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15'

/** A request through the worker, answered once the work it left for after the response is done. */
async function settled(path: string, init: RequestInit) {
  const { answered, settled } = callSettling({}, path, init)
  const res = await answered
  await settled
  return res
}

const activity = async (token: string, query = '') => {
  const res = await call(`/users/me/activity${query}`, bearer(token))
  expect(res.status).toBe(200)
  expect(res.headers.get('cache-control')).toBe('no-store')
  return (await res.json()) as ActivityPage
}

/** An audit row as the sink writes it, for the user; `over` changes any part. */
const row = (userId: string, over: Partial<AuditEvent> = {}): AuditEvent => ({
  id: crypto.randomUUID(),
  at: Date.now(),
  type: 'sign_out',
  userId,
  actor: { type: 'user', id: userId },
  requestId: crypto.randomUUID(),
  userAgent: null,
  country: null,
  detail: {},
  ...over,
})

let clock: ReturnType<typeof freezeTime> | undefined
afterEach(() => clock?.restore())

describe('GET /users/me/activity', () => {
  it('lists a sign-in and a password change, newest first, with device and country', async () => {
    clock = freezeTime()
    const { username, user } = await registerUser()
    clock.advance(1000)
    const login = await settled(
      '/login',
      jsonInit('POST', { username, password: PASSWORD }, { 'User-Agent': SAFARI_MAC }),
    )
    expect(login.status).toBe(200)
    const { accessToken } = (await login.json()) as { accessToken: string }
    clock.advance(1000)
    const changed = await settled('/users/me/password', {
      ...jsonInit('POST', { currentPassword: PASSWORD, newPassword: 'another passphrase' }),
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${accessToken}`,
        'User-Agent': SAFARI_MAC,
      },
    })
    expect(changed.status).toBe(204)

    const page = await activity(accessToken)
    const types = page.events.map((e) => e.type)
    expect(types.slice(0, 2)).toEqual(['password.changed', 'sign_in.succeeded'])
    // The registration's row is written after its response too; older than both when there.
    expect(types.slice(2).every((t) => t === 'user.created')).toBe(true)
    const [change, signIn] = page.events as [ActivityEvent, ActivityEvent]
    expect(Date.parse(change.at)).toBeGreaterThan(Date.parse(signIn.at))
    expect(signIn).toMatchObject({
      actor: 'you',
      device: 'Safari on macOS',
      attention: false,
      country: null,
      location: null,
    })
    expect(change.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(page.nextCursor).toBeNull()
    // Only what its owner may see: no user id, actor id, request id or raw User-Agent.
    const text = JSON.stringify(page)
    expect(text).not.toContain(user.id)
    expect(text).not.toMatch(/requestId|userId|userAgent|sessionId/)
  })

  it('shows a failed sign-in as someone else’s attempt, flagged, with its reason', async () => {
    const { username, tokens } = await signedIn()
    const failed = await settled(
      '/login',
      jsonInit(
        'POST',
        { username, password: 'not the password at all' },
        { 'User-Agent': 'curl/8.5.0' },
      ),
    )
    expect(failed.status).toBe(401)
    const [latest] = (await activity(tokens.accessToken)).events
    expect(latest).toMatchObject({
      type: 'sign_in.failed',
      actor: 'someone',
      attention: true,
      device: 'curl',
      detail: { reason: 'bad_password' },
    })
    expect(JSON.stringify(latest)).not.toContain('not the password')
  })

  it('never lists another user’s events, and ignores a userId in the query', async () => {
    const a = await signedIn('a')
    const b = await signedIn('b')
    await auditStore(env.DB).add([row(b.user.id, { type: 'password.changed' })])
    const bIds = (await activity(b.tokens.accessToken)).events.map((e) => e.id)
    expect(bIds.length).toBeGreaterThan(0)

    for (const query of ['', `?userId=${b.user.id}`, `?user_id=${b.user.id}&userId=${b.user.id}`]) {
      const ids = (await activity(a.tokens.accessToken, query)).events.map((e) => e.id)
      expect(ids.filter((id) => bIds.includes(id))).toEqual([])
    }
    expect(
      (await activity(a.tokens.accessToken, `?userId=${b.user.id}`)).events.map((e) => e.type),
    ).not.toContain('password.changed')
  })

  it('a cursor made up to point at another user’s row still moves within the caller’s own', async () => {
    const a = await signedIn('a')
    const b = await signedIn('b')
    const theirs = row(b.user.id, { at: Date.now() + 60_000, type: 'mfa.totp_enabled' })
    await auditStore(env.DB).add([theirs])
    const cursor = btoa(JSON.stringify({ at: theirs.at + 1, id: theirs.id }))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
    const page = await activity(a.tokens.accessToken, `?cursor=${cursor}`)
    expect(page.events.map((e) => e.id)).not.toContain(theirs.id)
    expect(page.events.map((e) => e.type)).not.toContain('mfa.totp_enabled')
  })

  it('pages with ?limit= and the opaque cursor: every event once, newest first', async () => {
    const { user, tokens } = await signedIn()
    const at = Date.now() + 60_000
    // Three at the same millisecond: ordered by id, and still each on one page only.
    const rows = Array.from({ length: 5 }, (_, i) =>
      row(user.id, {
        id: `0000000${i}-0000-4000-8000-000000000000`,
        at: i < 3 ? at : at - i * 1000,
      }),
    )
    await auditStore(env.DB).add(rows)
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page: ActivityPage = await activity(
        tokens.accessToken,
        `?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      )
      expect(page.events.length).toBeLessThanOrEqual(2)
      seen.push(...page.events.map((e) => e.id))
      cursor = page.nextCursor
      if (cursor !== null) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
      pages++
    } while (cursor !== null && pages < 20)
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen.slice(0, 5)).toEqual([2, 1, 0, 3, 4].map((i) => rows[i]!.id))
    // The sign-in and the registration behind them: every event of the account, once.
    expect(seen.length).toBe((await activity(tokens.accessToken, '?limit=100')).events.length)
  })

  it('answers 50 by default, and 400 for a limit outside 1 to 100 or a cursor it never gave', async () => {
    const { user, tokens } = await signedIn()
    await auditStore(env.DB).add(
      Array.from({ length: 55 }, (_, i) => row(user.id, { at: Date.now() - 10_000 - i })),
    )
    const first = await activity(tokens.accessToken)
    expect(first.events).toHaveLength(50)
    expect(first.nextCursor).not.toBeNull()
    expect((await activity(tokens.accessToken, '?limit=100')).events.length).toBeGreaterThan(55)

    for (const limit of ['0', '101', 'abc', '2.5', '-1']) {
      const res = await call(`/users/me/activity?limit=${limit}`, bearer(tokens.accessToken))
      await expectProblem(res, 400, 'validation_failed')
    }
    const forged = [
      'not-a-cursor', // base64url, not JSON
      btoa('{"at":-1,"id":"x"}').replace(/=+$/, ''),
      btoa('{"at":1,"id":""}').replace(/=+$/, ''),
      btoa('[1,2]').replace(/=+$/, ''),
      btoa(JSON.stringify({ at: 1, id: 'x'.repeat(65) })).replace(/=+$/, ''),
    ]
    for (const cursor of forged) {
      const res = await call(`/users/me/activity?cursor=${cursor}`, bearer(tokens.accessToken))
      await expectProblem(res, 400, 'invalid_cursor')
    }
    for (const cursor of ['has space', 'a'.repeat(513), '']) {
      const res = await call(
        `/users/me/activity?cursor=${encodeURIComponent(cursor)}`,
        bearer(tokens.accessToken),
      )
      await expectProblem(res, 400, 'validation_failed')
    }
  })

  it('names an administrator’s action without saying who, or where they were', async () => {
    const { user, tokens } = await signedIn()
    const requestId = crypto.randomUUID()
    await auditStore(env.DB).add([
      row(user.id, {
        at: Date.now() + 60_000,
        type: 'user.disabled',
        actor: { type: 'api_key', id: 'key_0123456789abcdef' },
        requestId,
        userAgent: 'curl/8.5.0',
        country: 'US',
        detail: { reason: 'abuse', by: 'key_0123456789abcdef' },
      }),
      row(user.id, {
        at: Date.now() + 50_000,
        type: 'sessions.ended',
        actor: { type: 'admin', id: 'admin-user-id' },
      }),
    ])
    const page = await activity(tokens.accessToken)
    expect(page.events[0]).toMatchObject({
      type: 'user.disabled',
      actor: 'admin',
      device: null,
      country: null,
      location: null,
      detail: { reason: 'abuse' },
    })
    expect(page.events[1]).toMatchObject({ type: 'sessions.ended', actor: 'admin' })
    const text = JSON.stringify(page)
    expect(text).not.toContain('key_0123456789abcdef')
    expect(text).not.toContain('admin-user-id')
    expect(text).not.toContain(requestId)
  })

  it('shows a hand-edited row as text, keeping only string detail and a country code', async () => {
    const { user, tokens } = await signedIn()
    await env.DB.prepare(
      `INSERT INTO audit_events (id, at, type, user_id, actor_type, actor_id, request_id, user_agent, country, detail)
       VALUES (?, ?, 'sign_in.succeeded', ?, 'user', ?, NULL, ?, ?, ?)`,
    )
      .bind(
        crypto.randomUUID(),
        Date.now() + 60_000,
        user.id,
        user.id,
        '<script>alert(1)</script>',
        '<b>',
        JSON.stringify({
          idp: { nested: true },
          method: ['x'],
          reason: 'r'.repeat(201),
          scope: 'openid',
        }),
      )
      .run()
    const [event] = (await activity(tokens.accessToken)).events
    expect(event).toMatchObject({ country: null, location: null, detail: { scope: 'openid' } })
    expect(Object.keys(event!.detail)).toEqual(['scope'])
    expect(event!.device).not.toMatch(/[<>]/)
  })

  it('refuses a request with no access token, or a made-up one', async () => {
    await expectProblem(await call('/users/me/activity'), 401, 'invalid_token')
    await expectProblem(
      await call('/users/me/activity', bearer('not.a.token')),
      401,
      'invalid_token',
    )
  })
})
