import { decodeJwt } from 'jose'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SessionView, TokenPair } from '../../src/schemas'
import { sessionIndex } from '../../src/store/session-index'
import { sessionStore } from '../../src/store/sessions'
import {
  PASSWORD,
  bearer,
  call,
  callSettling,
  expectProblem,
  freezeTime,
  jsonInit,
  refresh,
  signedIn,
} from '../helpers'

type Session = SessionView

const DAY = 24 * 3600 * 1000

/**
 * Logs in from a described device: a User-Agent, and Cloudflare's idea of where it is (a country
 * code, or the request's whole `cf` object).
 */
async function loginFrom(
  username: string,
  userAgent: string,
  place?: string | Record<string, unknown>,
): Promise<TokenPair> {
  const init = jsonInit('POST', { username, password: PASSWORD }, { 'User-Agent': userAgent })
  const cf = typeof place === 'string' ? { country: place } : place
  const res = await call('/login', { ...init, ...(cf ? { cf } : {}) })
  expect(res.status).toBe(200)
  return res.json()
}

async function sessionsOf(accessToken: string): Promise<Session[]> {
  const res = await call('/sessions', bearer(accessToken))
  expect(res.status).toBe(200)
  expect(res.headers.get('cache-control')).toBe('no-store')
  return res.json()
}

const endSession = (accessToken: string, id: string) =>
  call(`/sessions/${id}`, { method: 'DELETE', ...bearer(accessToken) })

const logout = (token: string, scope?: string) =>
  call(`/logout${scope ? `?scope=${scope}` : ''}`, jsonInit('DELETE', { token }))

const sessionIdOf = (accessToken: string) => (decodeJwt(accessToken) as { sid: string }).sid

describe('GET /sessions', () => {
  afterEach(() => vi.useRealTimers())

  it('lists every login of the caller, newest use first, marking the current one', async () => {
    const { username, tokens: first } = await signedIn()
    const laptop = await loginFrom(username, 'Firefox on Linux', 'NZ')
    const phone = await loginFrom(username, 'Safari on iOS')
    const sessions = await sessionsOf(laptop.accessToken)
    expect(sessions).toHaveLength(3)
    expect(sessions.map((s) => s.id).sort()).toEqual(
      [first, laptop, phone].map((t) => sessionIdOf(t.accessToken)).sort(),
    )
    const mine = sessions.find((s) => s.current)!
    expect(mine).toEqual({
      id: sessionIdOf(laptop.accessToken),
      createdAt: expect.any(String),
      lastUsedAt: mine.createdAt,
      idleExpiresAt: new Date(Date.parse(mine.createdAt) + 14 * DAY).toISOString(),
      expiresAt: new Date(Date.parse(mine.createdAt) + 30 * DAY).toISOString(),
      device: 'Firefox',
      location: 'New Zealand',
      userAgent: 'Firefox on Linux',
      country: 'NZ',
      current: true,
    })
    expect(sessions.filter((s) => s.current)).toHaveLength(1)
    expect(sessions.find((s) => s.userAgent === 'Safari on iOS')?.country).toBeNull()
    // Nothing secret in the list: no tokens, no hashes.
    const text = JSON.stringify(sessions)
    for (const t of [first, laptop, phone]) expect(text).not.toContain(t.refreshToken)
  })

  it('names each device and place in words, beside the raw User-Agent and country', async () => {
    const { username } = await signedIn()
    const mac =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
    const iphone =
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1'
    const laptop = await loginFrom(username, mac, { country: 'PT', city: 'Lisbon' })
    await loginFrom(username, iphone, { country: 'JP' })
    await loginFrom(username, 'curl/8.4.0')
    const sessions = await sessionsOf(laptop.accessToken)
    const byDevice = Object.fromEntries(sessions.map((s) => [s.device, s]))
    expect(byDevice['Chrome on macOS']).toMatchObject({
      location: 'Lisbon, Portugal',
      userAgent: mac,
      country: 'PT',
      current: true,
    })
    expect(byDevice['Safari on iPhone']).toMatchObject({ location: 'Japan', current: false })
    expect(byDevice['curl']).toMatchObject({ location: null, country: null })
    // The first session (signedIn) sent no User-Agent of its own choosing.
    expect(sessions).toHaveLength(4)
  })

  it("stores Cloudflare's city printable and capped, and ignores one that is not text", async () => {
    const { username } = await signedIn()
    const odd = await loginFrom(username, 'a', {
      country: 'PT',
      city: `\u202ELis\u0000bon${'x'.repeat(200)}`,
    })
    const other = await loginFrom(username, 'b', { country: 'PT', city: ['Lisbon'] })
    const sessions = await sessionsOf(odd.accessToken)
    const userId = decodeJwt(odd.accessToken).sub!
    const rows = await sessionIndex(env.DB).list(userId, 0)
    const stored = rows.find((r) => r.id === sessionIdOf(odd.accessToken))!.city!
    expect(stored).toBe(`Lis bon${'x'.repeat(93)}`)
    expect(stored).not.toMatch(/[\u0000\u202E]/)
    expect(rows.find((r) => r.id === sessionIdOf(other.accessToken))!.city).toBeNull()
    const shown = sessions.find((s) => s.id === sessionIdOf(other.accessToken))!
    expect(shown.location).toBe('Portugal')
  })

  it("shows only the caller's sessions, never another user's", async () => {
    const alice = await signedIn('alice')
    const bob = await signedIn('bob')
    const ids = (await sessionsOf(alice.tokens.accessToken)).map((s) => s.id)
    expect(ids).toEqual([sessionIdOf(alice.tokens.accessToken)])
    expect(ids).not.toContain(sessionIdOf(bob.tokens.accessToken))
  })

  it('moves lastUsedAt forward once five minutes have passed, after the response', async () => {
    const clock = freezeTime(Date.UTC(2026, 10, 25, 12, 0, 1))
    try {
      const { tokens } = await signedIn()
      const [before] = await sessionsOf(tokens.accessToken)
      clock.advance(5 * 60_000)
      // Without a WRITES binding last use is written directly; through the queue it is the
      // consumer's (test/consumers/writes.test.ts).
      const { answered, settled } = callSettling(
        { WRITES: undefined },
        '/token',
        jsonInit('POST', { token: tokens.refreshToken }),
      )
      const next = (await (await answered).json()) as TokenPair
      await settled
      const [after] = await sessionsOf(next.accessToken)
      expect(Date.parse(after!.lastUsedAt)).toBe(Date.parse(before!.lastUsedAt) + 5 * 60_000)
    } finally {
      clock.restore()
    }
  })

  it('needs an access token', async () => {
    await expectProblem(await call('/sessions'), 401, 'invalid_token')
  })
})

describe('DELETE /sessions/:id', () => {
  it("ends one of the caller's sessions: it leaves the list and can no longer refresh", async () => {
    const { username, tokens } = await signedIn()
    const other = await loginFrom(username, 'old tablet')
    const res = await endSession(tokens.accessToken, sessionIdOf(other.accessToken))
    expect(res.status).toBe(204)
    await expectProblem(await refresh(other.refreshToken), 401, 'invalid_refresh_token')
    const ids = (await sessionsOf(tokens.accessToken)).map((s) => s.id)
    expect(ids).toEqual([sessionIdOf(tokens.accessToken)])
    expect((await refresh(tokens.refreshToken)).status).toBe(200) // the caller's own goes on
  })

  it("answers 404 for another user's session, and leaves it alone", async () => {
    const alice = await signedIn('alice')
    const bob = await signedIn('bob')
    const res = await endSession(alice.tokens.accessToken, sessionIdOf(bob.tokens.accessToken))
    await expectProblem(res, 404, 'session_not_found')
    expect((await refresh(bob.tokens.refreshToken)).status).toBe(200)
    expect(await sessionsOf(bob.tokens.accessToken)).toHaveLength(1)
  })

  it('answers the same 404 for an id that never existed', async () => {
    const { tokens } = await signedIn()
    await expectProblem(
      await endSession(tokens.accessToken, crypto.randomUUID()),
      404,
      'session_not_found',
    )
  })

  it('leaves access tokens of the ended session working until they expire (20 s at most)', async () => {
    const { username, tokens } = await signedIn()
    const other = await loginFrom(username, 'old tablet')
    await endSession(tokens.accessToken, sessionIdOf(other.accessToken))
    expect((await call('/users/me', bearer(other.accessToken))).status).toBe(200)
    const clock = freezeTime(Date.now() + 21_000)
    try {
      await expectProblem(await call('/users/me', bearer(other.accessToken)), 401, 'invalid_token')
    } finally {
      clock.restore()
    }
  })
})

describe('DELETE /logout?scope=', () => {
  async function threeSessions() {
    const { username, tokens } = await signedIn()
    const b = await loginFrom(username, 'b')
    const c = await loginFrom(username, 'c')
    return { a: tokens, b, c }
  }
  const works = async (t: TokenPair) => (await refresh(t.refreshToken)).status === 200

  it('local (the default, as in the seed) ends only the presented session', async () => {
    const { a, b, c } = await threeSessions()
    expect((await logout(a.refreshToken)).status).toBe(204)
    expect([await works(a), await works(b), await works(c)]).toEqual([false, true, true])
    const local = await threeSessions()
    expect((await logout(local.a.refreshToken, 'local')).status).toBe(204)
    expect(await works(local.a)).toBe(false)
  })

  it('others ends every session but the presented one, which goes on refreshing', async () => {
    const { a, b, c } = await threeSessions()
    expect((await logout(a.refreshToken, 'others')).status).toBe(204)
    expect([await works(b), await works(c)]).toEqual([false, false])
    const next = (await (await refresh(a.refreshToken)).json()) as TokenPair
    expect((await refresh(next.refreshToken)).status).toBe(200)
    expect((await sessionsOf(next.accessToken)).map((s) => s.id)).toEqual([
      sessionIdOf(a.accessToken),
    ])
  })

  it('global ends every session, and a new login afterwards works', async () => {
    const { a, b, c } = await threeSessions()
    const { username } = (await (await call('/users/me', bearer(a.accessToken))).json()) as {
      username: string
    }
    expect((await logout(b.refreshToken, 'global')).status).toBe(204)
    expect([await works(a), await works(b), await works(c)]).toEqual([false, false, false])
    const fresh = await loginFrom(username, 'after')
    expect((await refresh(fresh.refreshToken)).status).toBe(200)
  })

  it('ends nothing for an unknown or already-ended token, and says nothing about it', async () => {
    const { a, b } = await threeSessions()
    await logout(a.refreshToken)
    expect((await logout(a.refreshToken, 'global')).status).toBe(204) // a's session is over
    expect(await works(b)).toBe(true)
    expect((await logout('x'.repeat(43), 'global')).status).toBe(204)
  })

  it('refuses an unknown scope', async () => {
    const { a } = await threeSessions()
    const body = await expectProblem(
      await logout(a.refreshToken, 'everyone'),
      400,
      'validation_failed',
    )
    expect(body).toMatchObject({
      detail: 'The request query is invalid',
      errors: [{ field: 'scope', message: 'must be local, others or global' }],
    })
    expect(await works(a)).toBe(true)
  })

  it('costs the same KV reads and writes for a user with 200 sessions', async () => {
    const { username, user, tokens } = await signedIn()
    const first = await loginFrom(username, 'device 1')
    const last = await loginFrom(username, 'device 2')
    // 197 more, written straight to the stores (a login each would spend PBKDF2 for nothing).
    const at = Date.now()
    const store = sessionStore(env.REFRESH_TOKENS)
    const index = sessionIndex(env.DB)
    for (let i = 0; i < 197; i++) {
      const id = crypto.randomUUID()
      const record = { userId: user.id, username, createdAt: at, expiresAt: at + 3_600_000 }
      await store.putSession(id, record)
      await index.add({
        id,
        userId: user.id,
        createdAt: at,
        lastUsedAt: at,
        expiresAt: at + 3_600_000,
        endsAt: at + 3_600_000,
        userAgent: null,
        country: null,
        city: null,
        grantId: null,
      })
    }
    expect(await sessionsOf(tokens.accessToken)).toHaveLength(200)
    const get = vi.spyOn(env.REFRESH_TOKENS, 'get')
    const put = vi.spyOn(env.REFRESH_TOKENS, 'put')
    const list = vi.spyOn(env.REFRESH_TOKENS, 'list')
    // KV bills each key of a bulk read as one read.
    const keysRead = () => get.mock.calls.reduce((n, [key]) => n + [key].flat().length, 0)
    try {
      // Refresh with 200 sessions: the token's record and its successor's (absent: the token
      // is current), the session, the revocation mark; one write, the successor's record. The
      // same as with one session, and no list.
      const next = await refresh(tokens.refreshToken)
      expect(next.status).toBe(200)
      expect([keysRead(), get.mock.calls.length, put.mock.calls.length]).toEqual([4, 1, 1])
      get.mockClear()
      put.mockClear()
      const { refreshToken } = (await next.json()) as TokenPair
      expect((await logout(refreshToken, 'others')).status).toBe(204)
      expect(keysRead()).toBe(4) // the same four reads judge the token
      expect(put.mock.calls.length).toBe(1) // one revocation mark
      expect(list).not.toHaveBeenCalled()
    } finally {
      vi.restoreAllMocks()
    }
    expect([await works(first), await works(last)]).toEqual([false, false])
    expect(await sessionsOf(tokens.accessToken)).toHaveLength(1)
  })

  it('writes last use at most once in five minutes per session, so refresh adds no D1 write', async () => {
    const clock = freezeTime(Date.UTC(2026, 10, 25, 12, 0, 1))
    try {
      const { tokens } = await signedIn()
      const prepare = vi.spyOn(env.DB, 'prepare')
      let token = tokens.refreshToken
      for (let i = 0; i < 3; i++) {
        clock.advance(90_000)
        const res = await refresh(token)
        token = ((await res.json()) as TokenPair).refreshToken
      }
      expect(prepare).not.toHaveBeenCalled()
    } finally {
      clock.restore()
      vi.restoreAllMocks()
    }
  })
})
