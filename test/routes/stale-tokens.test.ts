// A rotated-away refresh token, presented after the reuse window on every route that takes one:
// it is reuse, it ends its own family, it is logged, and it ends nothing else.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { TokenPair } from '../../src/schemas'
import {
  call,
  captureLogs,
  expectProblem,
  freezeTime,
  jsonInit,
  loginUser,
  refresh,
  signedIn,
} from '../helpers'

const WINDOW_MS = 10_000

async function refreshed(token: string): Promise<TokenPair> {
  const res = await refresh(token)
  expect(res.status).toBe(200)
  return res.json()
}

const form = (body: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(body).toString(),
})

/** Every way a refresh token can be presented, each answering as its route does. */
const PRESENTATIONS = {
  'POST /token': (t: string) => refresh(t),
  'POST /oauth/token': (t: string) =>
    call('/oauth/token', form({ grant_type: 'refresh_token', refresh_token: t })),
  'DELETE /logout': (t: string) => call('/logout', jsonInit('DELETE', { token: t })),
  'DELETE /logout?scope=others': (t: string) =>
    call('/logout?scope=others', jsonInit('DELETE', { token: t })),
  'DELETE /logout?scope=global': (t: string) =>
    call('/logout?scope=global', jsonInit('DELETE', { token: t })),
  'POST /oauth/revoke': (t: string) => call('/oauth/revoke', form({ token: t })),
}

/** What each route answers a reused token: its own way of saying no, or its usual success. */
const ANSWERS: Record<keyof typeof PRESENTATIONS, number> = {
  'POST /token': 401,
  'POST /oauth/token': 400,
  'DELETE /logout': 204,
  'DELETE /logout?scope=others': 204,
  'DELETE /logout?scope=global': 204,
  'POST /oauth/revoke': 200,
}

describe('a rotated-away refresh token after the reuse window', () => {
  afterEach(() => vi.restoreAllMocks())
  afterEach(() => vi.useRealTimers())

  it.each(Object.entries(PRESENTATIONS))(
    '%s: ends its own family, logs reuse, and ends no other session',
    async (route, present) => {
      const clock = freezeTime()
      const { username, tokens: a0 } = await signedIn()
      const b = await loginUser(username)
      // A's chain moves past T0: T0 -> T1 -> T2.
      const a1 = await refreshed(a0.refreshToken)
      const a2 = await refreshed(a1.refreshToken)
      clock.advance(WINDOW_MS + 1)
      const lines = captureLogs()

      const res = await present(a0.refreshToken)
      expect(res.status).toBe(ANSWERS[route as keyof typeof PRESENTATIONS])
      expect(await res.text()).not.toMatch(/eyJ|refresh_?token"\s*:/i)
      expect(lines.map((l) => JSON.parse(l).event)).toContain('refresh_reuse_detected')
      vi.restoreAllMocks()

      // A's family is over, for every token of it; B's session is untouched, and stays so.
      await expectProblem(await refresh(a2.refreshToken), 401, 'refresh_token_reused')
      expect((await refresh(b.refreshToken)).status).toBe(200)
      // Presenting the stale token again still ends nothing else.
      const b2 = await loginUser(username)
      await present(a0.refreshToken)
      expect((await refresh(b2.refreshToken)).status).toBe(200)
    },
  )

  it('/token answers 401 refresh_token_reused; /oauth/token answers invalid_grant', async () => {
    const clock = freezeTime()
    const { tokens } = await signedIn()
    const t1 = await refreshed(tokens.refreshToken)
    await refreshed(t1.refreshToken)
    clock.advance(WINDOW_MS + 1)
    await expectProblem(await refresh(tokens.refreshToken), 401, 'refresh_token_reused')
    const oauth = await PRESENTATIONS['POST /oauth/token'](tokens.refreshToken)
    expect(oauth.status).toBe(400)
    expect(await oauth.json()).toMatchObject({ error: 'invalid_grant' })
  })
})
