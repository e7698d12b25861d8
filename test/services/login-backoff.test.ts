// The per-username backoff on its own, over the real store module and a KV double.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { loginBackoff } from '../../src/services/login-backoff'
import { loginFailureStore } from '../../src/store/login-failures'
import { MemoryKV } from '../doubles/kv'
import { freezeTime } from '../helpers'
import { serviceConfig } from '../doubles/services'

const storeOn = (kv: MemoryKV) => loginFailureStore(kv as unknown as KVNamespace)

describe('login backoff', () => {
  afterEach(() => vi.useRealTimers())

  it('locks a name from the threshold on, twice as long each time, up to 15 minutes', async () => {
    freezeTime()
    const backoff = loginBackoff(
      storeOn(new MemoryKV()),
      serviceConfig({ rateLimits: true, loginMaxFailures: 3 }),
    )
    const locks: number[] = []
    for (let i = 0; i < 14; i++) {
      await backoff.fail('alice', await backoff.read('alice'))
      locks.push(backoff.lockedFor(await backoff.read('alice')))
    }
    expect(locks).toEqual([0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900])
  })

  it('counts a name whether or not it exists, case-insensitively, and forgets it on success', async () => {
    freezeTime()
    const backoff = loginBackoff(
      storeOn(new MemoryKV()),
      serviceConfig({ rateLimits: true, loginMaxFailures: 1 }),
    )
    await backoff.fail('NoSuchUser', null)
    expect(backoff.lockedFor(await backoff.read('nosuchuser'))).toBe(1)
    await backoff.succeed('nosuchuser', await backoff.read('nosuchuser'))
    expect(await backoff.read('NoSuchUser')).toBeNull()
  })

  it('does nothing, and reads nothing, with RATE_LIMITS off', async () => {
    const kv = new MemoryKV()
    const get = vi.spyOn(kv, 'get')
    const backoff = loginBackoff(storeOn(kv), serviceConfig({ rateLimits: false }))
    await backoff.fail('alice', null)
    expect(await backoff.read('alice')).toBeNull()
    expect(kv.writes).toEqual([])
    expect(get).not.toHaveBeenCalled()
  })
})
