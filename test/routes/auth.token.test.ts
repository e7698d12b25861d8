import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { TokenPair } from '../../src/schemas'
import {
  bearer,
  call,
  captureLogs,
  expectProblem,
  freezeTime,
  loginUser,
  refresh,
  sendJson,
  signedIn,
} from '../helpers'

const DAY = 24 * 3600 * 1000

async function refreshed(token: string): Promise<TokenPair> {
  const res = await refresh(token)
  expect(res.status).toBe(200)
  expect(res.headers.get('cache-control')).toBe('no-store')
  return res.json()
}

describe('POST /token', () => {
  afterEach(() => vi.useRealTimers())

  it('rotates: returns a new pair in the login shape, and the new tokens work', async () => {
    const { tokens, user } = await signedIn()
    const next = await refreshed(tokens.refreshToken)
    expect(Object.keys(next).sort()).toEqual([
      'accessToken',
      'expiresIn',
      'refreshToken',
      'tokenType',
    ])
    expect(next).toMatchObject({ tokenType: 'Bearer', expiresIn: 20 })
    expect(next.refreshToken).not.toBe(tokens.refreshToken)
    expect(next.accessToken).not.toBe(tokens.accessToken)
    const me = await call('/users', bearer(next.accessToken))
    expect(await me.json()).toEqual([expect.objectContaining({ id: user.id })])
    const third = await refreshed(next.refreshToken)
    expect(third.refreshToken).not.toBe(next.refreshToken)
  })

  it('returns the same successor to a repeat inside the reuse window, and the chain goes on', async () => {
    const clock = freezeTime()
    const { tokens } = await signedIn()
    const first = await refreshed(tokens.refreshToken)
    clock.advance(9_000)
    const second = await refreshed(tokens.refreshToken)
    expect(second.refreshToken).toBe(first.refreshToken)
    expect((await refresh(first.refreshToken)).status).toBe(200)
  })

  it('converges when two tabs refresh the same token at once', async () => {
    const { tokens } = await signedIn()
    const results = await Promise.all(
      Array.from({ length: 5 }, () => refreshed(tokens.refreshToken)),
    )
    expect(new Set(results.map((r) => r.refreshToken)).size).toBe(1)
    expect((await refresh(results[0]!.refreshToken)).status).toBe(200)
  })

  it('gives a token whose successor was never used that same successor, at any time', async () => {
    // A response lost on a flaky network, retried much later: nothing forked, nobody signed out.
    const clock = freezeTime()
    const { tokens } = await signedIn()
    const lines = captureLogs()
    const first = await refreshed(tokens.refreshToken)
    clock.advance(13 * DAY)
    const retry = await refreshed(tokens.refreshToken)
    expect(retry.refreshToken).toBe(first.refreshToken)
    expect(lines.map((l) => JSON.parse(l).event)).not.toContain('refresh_reuse_detected')
    vi.restoreAllMocks()
    expect((await refresh(retry.refreshToken)).status).toBe(200)
  })

  it('treats a use after the chain moved on, past the window, as theft: 401 refresh_token_reused, the whole family ended, an event logged', async () => {
    const clock = freezeTime()
    const { tokens } = await signedIn()
    const next = await refreshed(tokens.refreshToken)
    const newest = await refreshed(next.refreshToken)
    clock.advance(10_001)
    const lines = captureLogs()
    const reuse = await refresh(tokens.refreshToken)
    const body = await expectProblem(reuse, 401, 'refresh_token_reused')
    expect(JSON.stringify(body)).not.toMatch(/accessToken|eyJ/)
    vi.restoreAllMocks()
    expect(lines.map((l) => JSON.parse(l).event)).toContain('refresh_reuse_detected')
    // The legitimate holder's newer tokens are dead too, and say why.
    await expectProblem(await refresh(newest.refreshToken), 401, 'refresh_token_reused')
    await expectProblem(await refresh(next.refreshToken), 401, 'refresh_token_reused')
  })

  it('returns the successor to a replay inside the window even after the chain moved on', async () => {
    const clock = freezeTime()
    const { tokens } = await signedIn()
    const next = await refreshed(tokens.refreshToken)
    const newest = await refreshed(next.refreshToken)
    clock.advance(10_000)
    expect((await refreshed(tokens.refreshToken)).refreshToken).toBe(next.refreshToken)
    expect((await refreshed(next.refreshToken)).refreshToken).toBe(newest.refreshToken)
    expect((await refresh(newest.refreshToken)).status).toBe(200)
  })

  it('refuses a refresh token after REFRESH_TOKEN_TTL', async () => {
    const clock = freezeTime()
    const { tokens } = await signedIn()
    clock.advance(14 * DAY + 1_000)
    await expectProblem(await refresh(tokens.refreshToken), 401, 'invalid_refresh_token')
  })

  it('keeps an active session alive past the first token lifetime, up to SESSION_MAX_AGE', async () => {
    const clock = freezeTime()
    const { tokens } = await signedIn()
    let token = tokens.refreshToken
    for (let i = 0; i < 2; i++) {
      clock.advance(13 * DAY)
      token = (await refreshed(token)).refreshToken
    }
    // Day 26: the newest token's idle limit would be day 40, but the session ends at day 30.
    clock.advance(4 * DAY - 1_000)
    token = (await refreshed(token)).refreshToken
    clock.advance(1_000)
    await expectProblem(await refresh(token), 401, 'invalid_refresh_token')
  })

  it.each([
    ['an unknown token', 'A'.repeat(43)],
    ['a malformed token', 'not-a-token'],
    ['a token one character short', 'A'.repeat(42)],
  ])('answers 401 invalid_refresh_token for %s', async (_name, token) => {
    await expectProblem(await refresh(token), 401, 'invalid_refresh_token')
  })

  it('refuses an access token presented as a refresh token', async () => {
    const { tokens } = await signedIn()
    await expectProblem(await refresh(tokens.accessToken), 401, 'invalid_refresh_token')
  })

  it('answers 400 for an empty or non-string token, and 401 for none (as the seed did)', async () => {
    for (const body of [{ token: '' }, { token: 42 }, { refreshToken: 'x' }]) {
      await expectProblem(await sendJson('POST', '/token', body), 400, 'validation_failed')
    }
    // No token and no refresh cookie: nothing to refresh with.
    await expectProblem(await sendJson('POST', '/token', {}), 401, 'invalid_refresh_token')
    await expectProblem(await call('/token', { method: 'POST' }), 401, 'invalid_refresh_token')
  })

  it('stores no usable token in KV', async () => {
    const { tokens } = await signedIn()
    const next = await refreshed(tokens.refreshToken)
    const { keys } = await env.REFRESH_TOKENS.list()
    const dump = JSON.stringify(
      await Promise.all(keys.map(async (k) => [k.name, await env.REFRESH_TOKENS.get(k.name)])),
    )
    expect(keys.length).toBeGreaterThan(0)
    for (const secret of [
      tokens.refreshToken,
      next.refreshToken,
      tokens.accessToken,
      next.accessToken,
    ]) {
      expect(dump).not.toContain(secret)
      expect(dump).not.toContain(secret.slice(-43)) // a refresh token's secret half
    }
  })
})

describe('refresh tokens name their session and user, and the names are not trusted', () => {
  const NAMES = 43
  const namesOf = (token: string) => token.slice(0, NAMES)
  const secretOf = (token: string) => token.slice(NAMES)

  it('a victim’s names on an attacker’s own token, or on random bytes: refused, and nothing of either ended', async () => {
    const victim = await signedIn('victim')
    const attacker = await signedIn('attacker')
    const logs = captureLogs()
    const forged = [
      namesOf(victim.tokens.refreshToken) + secretOf(attacker.tokens.refreshToken),
      namesOf(victim.tokens.refreshToken) + 'A'.repeat(43),
      namesOf(attacker.tokens.refreshToken) + secretOf(victim.tokens.refreshToken),
    ]
    for (const token of forged) {
      await expectProblem(await refresh(token), 401, 'invalid_refresh_token')
      expect((await sendJson('DELETE', '/logout', { token })).status).toBe(204)
      const revoke = await call('/oauth/revoke', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, token_type_hint: 'refresh_token' }),
      })
      expect(revoke.status).toBe(200)
    }
    expect(logs.join('\n')).not.toContain('refresh_reuse_detected')
    // Both sessions carry on.
    expect((await refresh(victim.tokens.refreshToken)).status).toBe(200)
    expect((await refresh(attacker.tokens.refreshToken)).status).toBe(200)
  })

  it('a stale token of one session renamed to another of the same user ends neither', async () => {
    const { username, tokens: first } = await signedIn()
    const second = await loginUser(username)
    const rotated = await refreshed(first.refreshToken)
    await refreshed(rotated.refreshToken)
    // Now `first` is past its window's chain; renamed to the second session it is nobody's.
    const renamed = namesOf(second.refreshToken) + secretOf(first.refreshToken)
    await expectProblem(await refresh(renamed), 401, 'invalid_refresh_token')
    expect((await refresh(second.refreshToken)).status).toBe(200)
  })
})

describe('DELETE /logout', () => {
  it('answers 204 and ends the session', async () => {
    const { tokens } = await signedIn()
    const res = await sendJson('DELETE', '/logout', { token: tokens.refreshToken })
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    await expectProblem(await refresh(tokens.refreshToken), 401, 'invalid_refresh_token')
  })

  it('ends the whole family, whichever of its tokens is presented', async () => {
    const { tokens } = await signedIn()
    const next = (await (await refresh(tokens.refreshToken)).json()) as TokenPair
    expect((await sendJson('DELETE', '/logout', { token: tokens.refreshToken })).status).toBe(204)
    await expectProblem(await refresh(next.refreshToken), 401, 'invalid_refresh_token')
  })

  it('leaves the same user’s other sessions alone', async () => {
    const { tokens, username, password } = await signedIn()
    const other = (await (
      await sendJson('POST', '/login', { username, password })
    ).json()) as TokenPair
    await sendJson('DELETE', '/logout', { token: tokens.refreshToken })
    expect((await refresh(other.refreshToken)).status).toBe(200)
  })

  it('answers 204 whether or not the token existed, and again when repeated', async () => {
    const { tokens } = await signedIn()
    for (const token of [tokens.refreshToken, tokens.refreshToken, 'A'.repeat(43), 'garbage']) {
      expect((await sendJson('DELETE', '/logout', { token })).status).toBe(204)
    }
  })

  it('works as POST /logout too', async () => {
    const { tokens } = await signedIn()
    expect((await sendJson('POST', '/logout', { token: tokens.refreshToken })).status).toBe(204)
    await expectProblem(await refresh(tokens.refreshToken), 401, 'invalid_refresh_token')
  })

  it('ends nothing, and clears any refresh cookie, when no token is sent (cookie mode)', async () => {
    const { tokens } = await signedIn()
    const res = await sendJson('DELETE', '/logout', {})
    expect(res.status).toBe(204)
    expect(res.headers.get('set-cookie')).toMatch(/^__Host-refresh_token=;.*Max-Age=0/)
    // The other session was not touched.
    expect((await refresh(tokens.refreshToken)).status).toBe(200)
  })
})
