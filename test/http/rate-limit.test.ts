import { applyD1Migrations, reset } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RATE_LIMIT_PERIOD_SECONDS } from '../../src/http/rate-limit'
import {
  PASSWORD,
  call,
  callWithEnv,
  expectProblem,
  jsonInit,
  registerUser,
  uniqueUsername,
  captureLogs,
} from '../helpers'

const from = (ip: string, init: RequestInit): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), 'CF-Connecting-IP': ip },
})
const register = (ip: string, username = uniqueUsername()) =>
  call('/register', from(ip, jsonInit('POST', { username, password: PASSWORD })))
const login = (ip: string, username: string) =>
  call('/login', from(ip, jsonInit('POST', { username, password: PASSWORD })))

async function expectLimited(res: Response) {
  expect(await res.clone().text()).not.toMatch(/accessToken|refreshToken|eyJ/)
  await expectProblem(res, 429, 'rate_limited')
  expect(res.headers.get('retry-after')).toBe(String(RATE_LIMIT_PERIOD_SECONDS))
}

describe('rate limits (Workers Rate Limiting binding)', () => {
  afterEach(() => vi.restoreAllMocks())

  it('limit /login per client IP and username: 10 a minute, then 429', async () => {
    const { username } = await registerUser()
    for (let i = 0; i < 10; i++) expect((await login('198.51.100.1', username)).status).toBe(200)
    const lines = captureLogs()
    await expectLimited(await login('198.51.100.1', username))
    await expectLimited(await login('198.51.100.1', username.toUpperCase()))
    expect(lines.map((l) => JSON.parse(l).event)).toContain('rate_limited')
    // Another address, or the same address for another account, has its own budget.
    expect((await login('198.51.100.2', username)).status).toBe(200)
    const other = await registerUser()
    expect((await login('198.51.100.1', other.username)).status).toBe(200)
  })

  it('limit /register per client IP: 10 a minute, then 429 before the body is read', async () => {
    for (let i = 0; i < 10; i++) expect((await register('198.51.100.10')).status).toBe(201)
    await expectLimited(await register('198.51.100.10'))
    await expectLimited(
      await call('/register', from('198.51.100.10', jsonInit('POST', '{not json'))),
    )
    expect((await register('198.51.100.11')).status).toBe(201)
  })

  it('limit /token per client IP: 300 a minute, then 429', async () => {
    const attempt = () =>
      call('/token', from('198.51.100.20', jsonInit('POST', { token: 'A'.repeat(43) })))
    const statuses = await Promise.all(
      Array.from({ length: 300 }, async () => (await attempt()).status),
    )
    expect(new Set(statuses)).toEqual(new Set([401]))
    await expectLimited(await attempt())
  })

  it('lift when the window resets', async () => {
    for (let i = 0; i < 10; i++) await register('198.51.100.30')
    await expectLimited(await register('198.51.100.30'))
    await reset() // the binding's own reset; it clears D1 too, so migrate again
    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS)
    expect((await register('198.51.100.30')).status).toBe(201)
  })

  it('fail open, and log it, when the limiter itself fails', async () => {
    const lines = captureLogs()
    const broken = {
      limit: () => Promise.reject(new Error('limiter down')),
    } as unknown as RateLimit
    const res = await callWithEnv(
      { REGISTER_LIMITER: broken },
      '/register',
      jsonInit('POST', { username: uniqueUsername(), password: PASSWORD }),
    )
    expect(res.status).toBe(201)
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ event: 'rate_limiter_unavailable', limiter: 'REGISTER_LIMITER' }),
    )
  })

  it('switch off with RATE_LIMITS=off, with a warning on every request line', async () => {
    const lines = captureLogs()
    for (let i = 0; i < 12; i++) {
      const res = await callWithEnv(
        { RATE_LIMITS: 'off' },
        '/register',
        from('198.51.100.40', jsonInit('POST', { username: uniqueUsername(), password: PASSWORD })),
      )
      expect(res.status).toBe(201)
    }
    const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.event === 'request')
    expect(requests).toHaveLength(12)
    for (const line of requests) expect(line).toMatchObject({ level: 'warn', rateLimits: 'off' })
  })

  it('refuse an unknown RATE_LIMITS value rather than guess', async () => {
    captureLogs()
    const res = await callWithEnv({ RATE_LIMITS: 'maybe' }, '/register', jsonInit('POST', {}))
    await expectProblem(res, 500, 'server_misconfigured')
  })
})
