import { decodeJwt } from 'jose'
// Concurrency: the outcome of parallel requests is decided by storage, never by luck.
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { TokenPair } from '../../src/schemas'
import { kvKeys } from '../../src/store/keys'
import { PASSWORD, freezeTime, refresh, sendJson, signedIn, uniqueUsername } from '../helpers'

describe('races', () => {
  afterEach(() => vi.useRealTimers())

  it('20 parallel registrations of one name: exactly one 201 and nineteen 409s', async () => {
    const username = uniqueUsername('race')
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sendJson('POST', '/register', {
          username: i % 2 ? username : username.toUpperCase(),
          password: PASSWORD,
        }),
      ),
    )
    const statuses = responses.map((r) => r.status).sort()
    expect(statuses).toEqual([201, ...Array(19).fill(409)])
    const { n } = (await env.DB.prepare('SELECT COUNT(*) AS n FROM users WHERE username = ?')
      .bind(username)
      .first<{ n: number }>())!
    expect(n).toBe(1)
  })

  it('10 parallel refreshes of one token all get the same successor, and the family goes on', async () => {
    const { tokens } = await signedIn()
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => refresh(tokens.refreshToken)),
    )
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200))
    const pairs = (await Promise.all(responses.map((r) => r.json()))) as TokenPair[]
    expect(new Set(pairs.map((p) => p.refreshToken)).size).toBe(1)
    const next = (await (await refresh(pairs[0]!.refreshToken)).json()) as TokenPair
    expect((await refresh(next.refreshToken)).status).toBe(200)
  })

  it('a replay after the chain moved on ends the family even while it races a legitimate refresh', async () => {
    const clock = freezeTime()
    const { tokens } = await signedIn()
    const next = (await (await refresh(tokens.refreshToken)).json()) as TokenPair
    const newest = (await (await refresh(next.refreshToken)).json()) as TokenPair
    clock.advance(11_000)
    const [replay, legitimate] = await Promise.all([
      refresh(tokens.refreshToken),
      refresh(newest.refreshToken),
    ])
    expect(replay.status).toBe(401)
    // Whatever the legitimate request got, nothing of the family works any more.
    const survivors = [newest.refreshToken]
    if (legitimate.status === 200)
      survivors.push(((await legitimate.json()) as TokenPair).refreshToken)
    clock.advance(11_000)
    for (const token of survivors) expect((await refresh(token)).status).toBe(401)
    const { sid } = decodeJwt(next.accessToken) as { sid: string }
    expect(await env.REFRESH_TOKENS.get(kvKeys.session(sid), 'json')).toMatchObject({
      reason: 'reuse',
    })
  })
})
