import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { kvKeys } from '../../src/store/keys'
import {
  PASSWORD,
  callWithEnv,
  captureLogs,
  expectProblem,
  freezeTime,
  jsonInit,
  registerUser,
  sendJson,
  uniqueUsername,
} from '../helpers'

const login = (username: string, password: string) =>
  sendJson('POST', '/login', { username, password })

async function failTimes(username: string, times: number) {
  for (let i = 0; i < times; i++) {
    await expectProblem(await login(username, 'wrong password!'), 401, 'invalid_credentials')
  }
}

/** The 429 body without its request id, and the Retry-After header. */
async function throttled(res: Response) {
  expect(await res.clone().text()).not.toMatch(/accessToken|refreshToken|eyJ/)
  const { requestId: _id, ...body } = await expectProblem(res, 429, 'rate_limited')
  return { body: JSON.stringify(body), retryAfter: res.headers.get('retry-after') }
}

describe('per-account login backoff', () => {
  afterEach(() => {
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it('locks a username after 5 failures, even against the right password, then lifts', async () => {
    const clock = freezeTime()
    const { username } = await registerUser()
    await failTimes(username, 5)
    const lines = captureLogs()
    const locked = await throttled(await login(username, PASSWORD))
    expect(locked.retryAfter).toBe('1')
    expect(lines.map((l) => JSON.parse(l).event)).toContain('login_throttled')
    clock.advance(1_000)
    expect((await login(username, PASSWORD)).status).toBe(200)
    // Success clears the count: four more failures do not lock.
    await failTimes(username, 4)
    expect((await login(username, PASSWORD)).status).toBe(200)
  })

  it('doubles the lock with each further failure', async () => {
    const clock = freezeTime()
    const { username } = await registerUser()
    await failTimes(username, 5)
    const waits: string[] = []
    for (let i = 0; i < 3; i++) {
      const { retryAfter } = await throttled(await login(username, 'wrong password!'))
      waits.push(retryAfter!)
      clock.advance(Number(retryAfter) * 1000)
      await failTimes(username, 1)
    }
    expect(waits).toEqual(['1', '2', '4'])
  })

  it('caps the lock at 15 minutes', async () => {
    freezeTime()
    const { username } = await registerUser()
    await env.REFRESH_TOKENS.put(
      kvKeys.loginFailures(username),
      JSON.stringify({ count: 40, lockedUntil: 0 }),
    )
    await failTimes(username, 1)
    expect((await throttled(await login(username, PASSWORD))).retryAfter).toBe('900')
  })

  it('throttles an unknown username exactly like a real one', async () => {
    freezeTime()
    const { username } = await registerUser()
    const ghost = uniqueUsername('ghost')
    await failTimes(username, 5)
    await failTimes(ghost, 5)
    const real = await throttled(await login(username, 'wrong password!'))
    const unknown = await throttled(await login(ghost, 'wrong password!'))
    expect(unknown).toEqual(real)
  })

  it('counts case variants of a username as one', async () => {
    freezeTime()
    const { username } = await registerUser(uniqueUsername('Case'))
    await failTimes(username.toUpperCase(), 3)
    await failTimes(username.toLowerCase(), 2)
    await throttled(await login(username, PASSWORD))
  })

  it('is off with RATE_LIMITS=off', async () => {
    const { username } = await registerUser()
    vi.spyOn(console, 'log').mockImplementation(() => {})
    const attempt = (password: string) =>
      callWithEnv({ RATE_LIMITS: 'off' }, '/login', jsonInit('POST', { username, password }))
    for (let i = 0; i < 8; i++) expect((await attempt('wrong password!')).status).toBe(401)
    expect((await attempt(PASSWORD)).status).toBe(200)
  })
})
