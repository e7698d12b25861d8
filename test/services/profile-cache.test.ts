import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { profileCache } from '../../src/services/profile-cache'
import { bearer, call, signedIn } from '../helpers'

const user = (id: string) => ({ id, username: `u-${id}`, createdAt: '2026-11-25T00:00:00.000Z' })

describe('profile cache', () => {
  afterEach(() => vi.restoreAllMocks())

  it('keeps an entry for its TTL only', () => {
    profileCache.set(user('a'), 1_000, 20_000)
    expect(profileCache.get('a', 20_999)).toEqual(user('a'))
    expect(profileCache.get('a', 21_000)).toBeNull()
  })

  it('forgets a deleted account at once', () => {
    profileCache.set(user('b'), 0, 20_000)
    profileCache.forget('b')
    expect(profileCache.get('b', 1)).toBeNull()
  })

  it('stays bounded, dropping the oldest entry first', () => {
    for (let i = 0; i < 10_005; i++) profileCache.set(user(`n${i}`), 0, 60_000)
    expect(profileCache.size).toBe(10_000)
    expect(profileCache.get('n0', 1)).toBeNull()
    expect(profileCache.get('n10004', 1)).not.toBeNull()
  })

  it('spares D1 on repeated /users calls by one user', async () => {
    const { tokens } = await signedIn()
    const prepare = vi.spyOn(env.DB, 'prepare')
    for (let i = 0; i < 3; i++)
      expect((await call('/users', bearer(tokens.accessToken))).status).toBe(200)
    expect(prepare).toHaveBeenCalledTimes(1)
  })
})
