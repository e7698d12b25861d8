import { afterEach, describe, expect, it, vi } from 'vitest'
import { mintAccessToken, verifyAccessToken } from '../../src/auth/access-tokens'
import { hmacKeyCache } from '../../src/auth/hmac-keys'
import { refreshTokenId } from '../../src/auth/refresh-tokens'
import { unitConfig } from '../helpers'

const cfg = unitConfig({ alg: 'HS256', secret: 'k'.repeat(64) })

describe('HMAC key cache', () => {
  afterEach(() => vi.restoreAllMocks())

  it('imports each key once per isolate, not per request', async () => {
    const importKey = vi.spyOn(crypto.subtle, 'importKey')
    const user = { id: 'u', username: 'n', sessionId: 's', amr: ['pwd' as const] }
    for (let i = 0; i < 5; i++) {
      await verifyAccessToken((await mintAccessToken(user, cfg)).token, cfg)
      await refreshTokenId(`token-${i}`, cfg.refreshTokenSecret)
    }
    expect(importKey).toHaveBeenCalledTimes(2) // one access-token key, one refresh-token key
  })

  it('imports again when the secret changes', async () => {
    const keyFor = hmacKeyCache(['sign'])
    const a = await keyFor('a'.repeat(32))
    expect(await keyFor('a'.repeat(32))).toBe(a)
    expect(await keyFor('b'.repeat(32))).not.toBe(a)
  })
})
