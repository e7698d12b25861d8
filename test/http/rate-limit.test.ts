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

/**
 * Miniflare's windows are aligned to the wall clock (each minute on the minute), so a run that
 * spans a boundary sees its counts reset halfway. Such a run is repeated once, from fresh
 * addresses; a failure inside one window is a real failure.
 */
async function inOneWindow(body: (net: string) => Promise<void>) {
  for (let attempt = 0; ; attempt++) {
    const window = Math.floor(Date.now() / 60_000)
    try {
      return await body(`2001:db8:${crypto.randomUUID().slice(0, 4)}::`)
    } catch (err) {
      if (attempt > 0 || Math.floor(Date.now() / 60_000) === window) throw err
    }
  }
}

describe('rate limits (Workers Rate Limiting binding)', () => {
  afterEach(() => vi.restoreAllMocks())

  it('limit /login per client IP and username: 10 a minute, then 429', () =>
    inOneWindow(async (net) => {
      const { username } = await registerUser()
      for (let i = 0; i < 10; i++) expect((await login(`${net}1`, username)).status).toBe(200)
      const lines = captureLogs()
      await expectLimited(await login(`${net}1`, username))
      await expectLimited(await login(`${net}1`, username.toUpperCase()))
      expect(lines.map((l) => JSON.parse(l).event)).toContain('rate_limited')
      vi.restoreAllMocks()
      // Another address, or the same address for another account, has its own budget.
      expect((await login(`${net}2`, username)).status).toBe(200)
      const other = await registerUser()
      expect((await login(`${net}1`, other.username)).status).toBe(200)
    }))

  it('count password changes and account deletions against the same login budget', () =>
    inOneWindow(async (net) => {
      const { username } = await registerUser()
      const first = await login(`${net}1`, username)
      const { accessToken } = (await first.json()) as { accessToken: string }
      for (let i = 0; i < 9; i++) expect((await login(`${net}1`, username)).status).toBe(200)
      const auth = { Authorization: `Bearer ${accessToken}` }
      const change = jsonInit(
        'POST',
        { currentPassword: 'guess-number-1', newPassword: PASSWORD },
        auth,
      )
      await expectLimited(await call('/users/me/password', from(`${net}1`, change)))
      const remove = jsonInit('DELETE', { password: 'guess-number-2' }, auth)
      await expectLimited(await call('/users/me', from(`${net}1`, remove)))
    }))

  it('limit /register per client IP: 10 a minute, then 429 before the body is read', () =>
    inOneWindow(async (net) => {
      for (let i = 0; i < 10; i++) expect((await register(`${net}1`)).status).toBe(201)
      await expectLimited(await register(`${net}1`))
      await expectLimited(await call('/register', from(`${net}1`, jsonInit('POST', '{not json'))))
      expect((await register(`${net}2`)).status).toBe(201)
    }))

  it('limit /token per client IP: 300 a minute, then 429', () =>
    inOneWindow(async (net) => {
      const attempt = () =>
        call('/token', from(`${net}1`, jsonInit('POST', { token: 'A'.repeat(43) })))
      const statuses = await Promise.all(
        Array.from({ length: 300 }, async () => (await attempt()).status),
      )
      expect(new Set(statuses)).toEqual(new Set([401]))
      await expectLimited(await attempt())
    }))

  it('limit /logout per client IP in a budget of its own: refreshes never use up sign-out', () =>
    inOneWindow(async (net) => {
      const refresh = () =>
        call('/token', from(`${net}1`, jsonInit('POST', { token: 'A'.repeat(43) })))
      const logout = () =>
        call('/logout', from(`${net}1`, jsonInit('DELETE', { token: 'A'.repeat(86) })))
      for (const attempt of [refresh, logout]) {
        const statuses = await Promise.all(
          Array.from({ length: 300 }, async () => (await attempt()).status),
        )
        expect(new Set(statuses)).toEqual(new Set([attempt === refresh ? 401 : 204]))
      }
      await expectLimited(await logout())
    }))

  it('limit the hosted pages that judge a refresh cookie, per client IP', () =>
    inOneWindow(async (net) => {
      const page = () =>
        call(
          '/account',
          from(`${net}1`, { headers: { cookie: `__Host-refresh_token=${'A'.repeat(86)}` } }),
        )
      const statuses = await Promise.all(
        Array.from({ length: 300 }, async () => (await page()).status),
      )
      expect(statuses.every((status) => status < 400)).toBe(true)
      await expectLimited(await page())
    }))

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
