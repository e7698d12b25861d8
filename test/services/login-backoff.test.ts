// The login backoff on its own, over the real store module and a KV double, with fake timers:
// per (username, network) runs, the per-username ceiling, and what clears which.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Config } from '../../src/env'
import {
  MAX_LOGIN_LOCK_SECONDS,
  loginBackoff,
  mostFromOneNetwork,
  usernameMaxFailures,
} from '../../src/services/login-backoff'
import {
  FAILURE_MEMORY_SECONDS,
  USERNAME_WINDOW_SECONDS,
  loginFailureStore,
} from '../../src/store/login-failures'
import { kvKeys } from '../../src/store/keys'
import { Username } from '../../src/schemas'
import { MemoryKV } from '../doubles/kv'
import { freezeTime } from '../helpers'
import { serviceConfig } from '../doubles/services'

const STRANGER = '198.51.100.0/24'
const OWNER = '203.0.113.0/24'

function setUp(overrides: Partial<Config> = {}) {
  const kv = new MemoryKV()
  const store = loginFailureStore(kv as unknown as KVNamespace)
  const cfg = serviceConfig({ rateLimits: true, loginMaxFailures: 5, ...overrides })
  const from = (network: string) => loginBackoff(store, cfg, network)
  /** One failed attempt from `network`, as a sign-in makes it: read, then count. */
  const fail = async (network: string, username = 'alice') => {
    const backoff = from(network)
    return backoff.fail(username, await backoff.read(username))
  }
  const lockedFor = async (network: string, username = 'alice') => {
    const backoff = from(network)
    return backoff.lockedFor(await backoff.read(username))
  }
  return { kv, store, cfg, from, fail, lockedFor }
}

/** `count` distinct /24s, none of them the owner's or the stranger's. */
const networks = (count: number) =>
  Array.from({ length: count }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`)

describe('login backoff, per username and network', () => {
  afterEach(() => vi.useRealTimers())

  it('locks a network from the threshold on, twice as long each time, up to 15 minutes', async () => {
    freezeTime()
    const { fail, lockedFor } = setUp({ loginMaxFailures: 3 })
    const locks: number[] = []
    for (let i = 0; i < 14; i++) {
      await fail(STRANGER)
      locks.push(await lockedFor(STRANGER))
    }
    expect(locks).toEqual([0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900])
    expect(MAX_LOGIN_LOCK_SECONDS).toBe(900)
  })

  it("a stranger's failures lock only the stranger's network, never the owner's", async () => {
    const clock = freezeTime()
    const { fail, lockedFor, from } = setUp()
    for (let i = 0; i < 20; i++) {
      clock.advance((await lockedFor(STRANGER)) * 1000)
      await fail(STRANGER)
    }
    expect(await lockedFor(STRANGER)).toBe(MAX_LOGIN_LOCK_SECONDS)
    expect(await lockedFor(OWNER)).toBe(0)
    // The owner's own network has no run at all, so nothing for a success to clear either.
    expect((await from(OWNER).read('alice')).network).toBeNull()
  })

  it('counts a name whether or not it exists, case-insensitively', async () => {
    freezeTime()
    const { fail, lockedFor } = setUp({ loginMaxFailures: 1 })
    await fail(STRANGER, 'NoSuchUser')
    expect(await lockedFor(STRANGER, 'nosuchuser')).toBe(1)
    expect(await lockedFor(STRANGER, 'alice')).toBe(0)
  })

  it("forgets a quiet network's run a quarter hour after its lock ends", async () => {
    const clock = freezeTime()
    const { fail, lockedFor, from } = setUp()
    for (let i = 0; i < 6; i++) await fail(STRANGER)
    expect(await lockedFor(STRANGER)).toBe(2)
    clock.advance(2_000 + FAILURE_MEMORY_SECONDS * 1000 - 1)
    expect((await from(STRANGER).read('alice')).network?.count).toBe(6)
    clock.advance(1)
    expect((await from(STRANGER).read('alice')).network).toBeNull()
  })

  it('reads both runs in one bulk get and writes two keys per failure, with KV-legal TTLs', async () => {
    freezeTime()
    const { kv, fail } = setUp()
    const get = vi.spyOn(kv, 'get')
    await fail(STRANGER)
    expect(get).toHaveBeenCalledTimes(1)
    expect(get.mock.calls[0]![0]).toEqual([
      kvKeys.networkLoginFailures('alice', STRANGER),
      kvKeys.loginFailures('alice'),
    ])
    // MemoryKV refuses a TTL under 60 s or not whole, as KV does: these writes passed it.
    expect(kv.writes.map((w) => w.key)).toEqual([
      kvKeys.networkLoginFailures('alice', STRANGER),
      kvKeys.loginFailures('alice'),
    ])
  })

  it('keys every network apart, and no username can make a network key', () => {
    expect(kvKeys.networkLoginFailures('Alice', OWNER)).toBe(`login-failures:alice:${OWNER}`)
    expect(kvKeys.networkLoginFailures('alice', STRANGER)).not.toBe(
      kvKeys.networkLoginFailures('alice', OWNER),
    )
    // Usernames hold only letters, digits, _ . - (schemas.ts): never the `:` a network key adds.
    expect(Username.safeParse(`alice:${OWNER}`).success).toBe(false)
  })

  it('counts records of another shape (an older release, damage) as none', async () => {
    freezeTime()
    const { kv, from } = setUp()
    await kv.put(kvKeys.loginFailures('alice'), JSON.stringify({ count: 40, lockedUntil: 0 }))
    await kv.put(kvKeys.networkLoginFailures('alice', STRANGER), JSON.stringify({ count: 'x' }))
    const runs = await from(STRANGER).read('alice')
    expect(runs).toEqual({ network: null, username: null })
  })

  it('does nothing, and reads nothing, with RATE_LIMITS off', async () => {
    const { kv, store } = setUp()
    const get = vi.spyOn(kv, 'get')
    const backoff = loginBackoff(store, serviceConfig({ rateLimits: false }), STRANGER)
    const runs = await backoff.read('alice')
    expect(await backoff.fail('alice', runs)).toBe(false)
    await backoff.succeed('alice', runs)
    expect(runs).toEqual({ network: null, username: null })
    expect(kv.writes).toEqual([])
    expect(get).not.toHaveBeenCalled()
  })
})

describe('login backoff, the per-username ceiling', () => {
  afterEach(() => vi.useRealTimers())

  it('is twice what one network can do in the window: 96 an hour at the default 5', () => {
    expect(USERNAME_WINDOW_SECONDS).toBe(3600)
    expect(mostFromOneNetwork(5)).toBe(48)
    expect(usernameMaxFailures(5)).toBe(96)
    // The reset mark must outlive any network run written before it (memory + longest lock).
    expect(USERNAME_WINDOW_SECONDS).toBeGreaterThanOrEqual(
      FAILURE_MEMORY_SECONDS + MAX_LOGIN_LOCK_SECONDS,
    )
  })

  it('locks everyone past it, doubling to 15 minutes, once many networks have failed', async () => {
    const clock = freezeTime()
    const { fail, lockedFor } = setUp()
    const ceiling = usernameMaxFailures(5)
    // Four failures from each network: none of them reaches its own threshold of 5.
    const crowd = networks(ceiling / 4)
    const reached: boolean[] = []
    for (const network of crowd) for (let i = 0; i < 4; i++) reached.push(await fail(network))
    // Exactly the failure that reached the ceiling says so (the service logs it once).
    expect(reached.indexOf(true)).toBe(ceiling - 1)
    expect(reached.filter(Boolean)).toHaveLength(1)
    expect(await lockedFor(OWNER)).toBe(1)
    expect(await lockedFor(crowd[0]!)).toBe(1)
    const waits: number[] = []
    for (let i = 0; i < 12; i++) {
      clock.advance((await lockedFor(OWNER)) * 1000)
      await fail(networks(1000).at(-1 - i)!)
      waits.push(await lockedFor(OWNER))
    }
    expect(waits).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900])
  })

  it('counts in a fixed window: failures spread over more than an hour never reach it', async () => {
    const clock = freezeTime()
    const { fail, lockedFor, from } = setUp()
    const crowd = networks(100)
    // 95 failures (one short) in the first hour, from 95 networks...
    for (const network of crowd.slice(0, 95)) await fail(network)
    clock.advance(USERNAME_WINDOW_SECONDS * 1000 - 1)
    expect((await from(OWNER).read('alice')).username?.count).toBe(95)
    clock.advance(1)
    // ...then the window is over: the next starts again from one.
    await fail(crowd[99]!)
    expect((await from(OWNER).read('alice')).username?.count).toBe(1)
    expect(await lockedFor(OWNER)).toBe(0)
  })

  it('bounds one network, however it paces its guesses, at mostFromOneNetwork (every threshold)', () => {
    for (let max = 1; max <= 100; max++) {
      const { failures } = fastestPace(max)
      expect(failures, `LOGIN_MAX_FAILURES=${max}`).toBe(mostFromOneNetwork(max))
      expect(failures).toBeLessThan(usernameMaxFailures(max))
    }
  })

  it('is never reached by one network at its fastest pace, for the owner or anyone', async () => {
    const clock = freezeTime()
    const start = Date.now()
    const { from, lockedFor } = setUp()
    const { times } = fastestPace(5)
    let refused = 0
    for (const at of times) {
      vi.setSystemTime(start + at * 1000)
      const backoff = from(STRANGER)
      const runs = await backoff.read('alice')
      if (backoff.lockedFor(runs) > 0) refused++
      expect(await backoff.fail('alice', runs)).toBe(false)
    }
    // The model's schedule is one the real backoff lets through, attempt for attempt...
    expect(refused).toBe(0)
    expect(times).toHaveLength(48)
    // ...and leaves the name open to every other network throughout.
    expect((await from(OWNER).read('alice')).username?.lockedUntil).toBe(0)
    expect(await lockedFor(OWNER)).toBe(0)
    clock.restore()
  })
})

describe('login backoff, what a success and a reset clear', () => {
  afterEach(() => vi.useRealTimers())

  it("a success ends only its own network's run; the stranger's lock and the count stand", async () => {
    freezeTime()
    const { kv, fail, lockedFor, from } = setUp()
    for (let i = 0; i < 7; i++) await fail(STRANGER)
    for (let i = 0; i < 3; i++) await fail(OWNER)
    const owner = from(OWNER)
    await owner.succeed('alice', await owner.read('alice'))
    expect((await owner.read('alice')).network).toBeNull()
    expect(await lockedFor(STRANGER)).toBe(4)
    expect((await owner.read('alice')).username?.count).toBe(10)
    // A success with nothing to clear writes nothing (KV writes cost 10x reads).
    const writes = kv.writes.length
    await owner.succeed('alice', await owner.read('alice'))
    expect(kv.writes.length).toBe(writes)
  })

  it('a reset (clear) forgets every run, on every network, in one write', async () => {
    const clock = freezeTime()
    const { kv, store, fail, lockedFor, from } = setUp()
    const ceiling = usernameMaxFailures(5)
    for (const network of networks(ceiling / 4)) for (let i = 0; i < 4; i++) await fail(network)
    for (let i = 0; i < 8; i++) await fail(OWNER)
    expect(await lockedFor(OWNER)).toBeGreaterThan(0)
    const writes = kv.writes.length
    await store.clear('Alice')
    expect(kv.writes.length).toBe(writes + 1)
    expect(await lockedFor(OWNER)).toBe(0)
    expect(await lockedFor(networks(1)[0]!)).toBe(0)
    // Runs start again from zero: the owner's next typo is a first failure, not a ninth.
    clock.advance(1)
    await fail(OWNER)
    const runs = await from(OWNER).read('alice')
    expect(runs.network?.count).toBe(1)
    expect(runs.username?.count).toBe(1)
    // Older runs stay hidden while their records could still live, and then are gone anyway.
    clock.advance((FAILURE_MEMORY_SECONDS + MAX_LOGIN_LOCK_SECONDS) * 1000)
    expect((await from(networks(1)[0]!).read('alice')).network).toBeNull()
  })
})

/**
 * The pacing that gets one network the most failures in a username window, found by searching
 * every choice after each failure: try again as soon as the lock ends, or wait until the run is
 * forgotten and start a fresh one (waiting any other time only loses time). The same rules as
 * login-backoff.ts, in whole seconds; and the first failure may find an older run of any length.
 */
function fastestPace(max: number): { failures: number; times: number[] } {
  const window = USERNAME_WINDOW_SECONDS
  const lock = (count: number) =>
    count < max ? 0 : Math.min(2 ** (count - max), MAX_LOGIN_LOCK_SECONDS)
  const memo = new Map<number, number>()
  // The most further failures after one at `t` that made the run `count` long.
  const after = (t: number, count: number): number => {
    const key = t * 1024 + count
    const known = memo.get(key)
    if (known !== undefined) return known
    let most = 0
    const retry = t + lock(count)
    if (retry < window) most = Math.max(most, 1 + after(retry, count + 1))
    const fresh = retry + FAILURE_MEMORY_SECONDS
    if (fresh < window) most = Math.max(most, 1 + after(fresh, 1))
    memo.set(key, most)
    return most
  }
  let failures = 0
  for (let count = 1; count <= max + 20; count++) failures = Math.max(failures, 1 + after(0, count))
  // The schedule itself, from a fresh run.
  const times = [0]
  for (let t = 0, count = 1; ;) {
    const retry = t + lock(count)
    const fresh = retry + FAILURE_MEMORY_SECONDS
    const viaRetry = retry < window ? 1 + after(retry, count + 1) : -1
    const viaFresh = fresh < window ? 1 + after(fresh, 1) : -1
    if (viaRetry < 0 && viaFresh < 0) break
    if (viaRetry >= viaFresh) [t, count] = [retry, count + 1]
    else [t, count] = [fresh, 1]
    times.push(t)
  }
  return { failures, times }
}
