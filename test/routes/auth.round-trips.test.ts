// How many storage round trips each hot route waits on, counted on the real bindings with every
// call held until its whole round is let go (test/doubles/round-trips.ts). Refresh is the route
// a signed-in client calls every access-token lifetime: one bulk read, one write.
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { refreshTokenId } from '../../src/auth/refresh-tokens'
import { toBase64Url } from '../../src/auth/encoding'
import { sessionStore } from '../../src/store/sessions'
import type { TokenPair } from '../../src/schemas'
import { roundTrips } from '../doubles/round-trips'
import { sessionIdOf } from '../doubles/services'
import {
  ORIGIN,
  PASSWORD,
  REFRESH_COOKIE,
  bearer,
  freezeTime,
  jsonInit,
  refresh,
  refreshCookieOf,
  sendJson,
  signedIn,
} from '../helpers'

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  new Request(ORIGIN + path, {
    ...jsonInit('POST', body, headers),
    headers: {
      'Content-Type': 'application/json',
      'cf-connecting-ip': `2001:db8::${crypto.randomUUID().slice(0, 8)}`,
      ...headers,
    },
  })

describe('storage round trips a response waits on', () => {
  // Date only, so last use is not due (it is written after the response anyway).
  afterEach(() => vi.useRealTimers())

  it('refresh: one bulk read of the four records, then the successor’s write', async () => {
    freezeTime()
    const { tokens } = await signedIn()
    const { response, rounds } = await roundTrips().send(
      post('/token', { token: tokens.refreshToken }),
    )
    expect(response.status).toBe(200)
    expect(rounds).toHaveLength(2)
    expect(rounds[0]).toHaveLength(1)
    const keys = rounds[0]![0]!.replace(/^kv\.get /, '').split(',')
    expect(keys.map((key) => key.split(':')[0])).toEqual([
      'refresh',
      'refresh',
      'session',
      'revoked-before',
    ])
    expect(rounds[1]).toEqual([expect.stringMatching(/^kv\.put refresh:/)])
  })

  it('refresh in cookie mode: the same two rounds', async () => {
    freezeTime()
    const { username } = await signedIn()
    const login = await roundTrips().send(
      post('/login', { username, password: PASSWORD, mode: 'cookie' }, { Origin: ORIGIN }),
    )
    const cookie = refreshCookieOf(login.response)!.value
    const { response, rounds } = await roundTrips().send(
      post('/token', {}, { Origin: ORIGIN, Cookie: `${REFRESH_COOKIE}=${cookie}` }),
    )
    expect(response.status).toBe(200)
    expect(rounds).toHaveLength(2)
  })

  it('a retry of an exchanged token: two rounds of reads, and no write', async () => {
    freezeTime()
    const { tokens } = await signedIn()
    expect((await refresh(tokens.refreshToken)).status).toBe(200)
    const { response, rounds } = await roundTrips().send(
      post('/token', { token: tokens.refreshToken }),
    )
    expect(response.status).toBe(200)
    expect(rounds).toHaveLength(2)
    expect(rounds.flat().filter((call) => !call.startsWith('kv.get'))).toEqual([])
  })

  it('login: the account and its failure count, then the new session’s three writes', async () => {
    freezeTime()
    const { username } = await signedIn()
    const { response, rounds } = await roundTrips().send(
      post('/login', { username, password: PASSWORD }),
    )
    expect(response.status).toBe(200)
    expect(rounds.map((round) => round.length)).toEqual([2, 3])
  })

  it('an authenticated read from a warm isolate: none', async () => {
    const { tokens } = await signedIn()
    const trips = roundTrips()
    const auth = bearer(tokens.accessToken).headers
    await trips.send(new Request(`${ORIGIN}/users`, { headers: auth }))
    const { response, rounds } = await trips.send(new Request(`${ORIGIN}/users`, { headers: auth }))
    expect(response.status).toBe(200)
    expect(rounds).toEqual([])
  })
})

describe('refresh tokens issued before they named their session', () => {
  afterEach(() => vi.useRealTimers())

  /** A 43-character token for the session, stored as the older format was. */
  async function legacyToken(tokens: TokenPair, userId: string): Promise<string> {
    const token = toBase64Url(crypto.getRandomValues(new Uint8Array(32)))
    const at = Date.now()
    await sessionStore(env.REFRESH_TOKENS).putRefreshToken(
      await refreshTokenId(token, env.REFRESH_TOKEN_SECRET),
      { userId, familyId: sessionIdOf(tokens.accessToken), createdAt: at, expiresAt: at + 3600e3 },
    )
    return token
  }

  it('keep refreshing, in their own shape, one round slower', async () => {
    freezeTime() // Date only: last use is not due
    const { tokens, user } = await signedIn()
    const old = await legacyToken(tokens, user.id)
    const { response, rounds } = await roundTrips().send(post('/token', { token: old }))
    expect(response.status).toBe(200)
    expect(rounds).toHaveLength(3)
    const next = (await response.json()) as TokenPair
    expect(next.refreshToken).toMatch(/^[\w-]{43}$/)
    expect(sessionIdOf(next.accessToken)).toBe(sessionIdOf(tokens.accessToken))
    expect((await refresh(next.refreshToken)).status).toBe(200)
  })

  it('end with their session, whichever of its tokens ends it', async () => {
    const { tokens, user } = await signedIn()
    const old = await legacyToken(tokens, user.id)
    const logout = await sendJson('DELETE', '/logout', { token: tokens.refreshToken })
    expect(logout.status).toBe(204)
    expect((await refresh(old)).status).toBe(401)
  })
})
