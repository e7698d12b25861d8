import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  PASSWORD,
  callWithEnv,
  expectProblem,
  jsonInit,
  registerUser,
  signedIn,
  uniqueUsername,
  captureLogs,
} from '../helpers'

/** A binding whose every method throws, as KV does when it is down or over a limit. */
function failing<T extends object>(binding: T, message: string): T {
  return new Proxy(binding, {
    get: (target, prop) => {
      const value = Reflect.get(target, prop)
      return typeof value === 'function' ? () => Promise.reject(new Error(message)) : value
    },
  })
}

/** D1 that accepts statements but fails to run them, as it does when the database is down. */
function failingD1(message: string): D1Database {
  const statement = {
    bind: () => statement,
    run: () => Promise.reject(new Error(message)),
    first: () => Promise.reject(new Error(message)),
    all: () => Promise.reject(new Error(message)),
  }
  return { prepare: () => statement } as unknown as D1Database
}

/** KV whose writes fail but reads work: the half-way case. */
function failingWrites(kv: KVNamespace): KVNamespace {
  return new Proxy(kv, {
    get: (target, prop) => {
      const value = Reflect.get(target, prop)
      if (prop === 'put')
        return () => Promise.reject(new Error('KV PUT failed: 429 Too Many Requests'))
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

async function expectUnavailable(res: Response) {
  const text = await res.clone().text()
  expect(text).not.toMatch(/accessToken|refreshToken|eyJ|stack|at /)
  await expectProblem(res, 503, 'temporarily_unavailable')
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
}

describe('storage failures', () => {
  afterEach(() => vi.restoreAllMocks())

  it('answers 503 with Retry-After when D1 fails, and logs the cause', async () => {
    const lines = captureLogs()
    const DB = failingD1('D1_ERROR: database is unavailable')
    const body = { username: uniqueUsername(), password: PASSWORD }
    await expectUnavailable(await callWithEnv({ DB }, '/register', jsonInit('POST', body)))
    await expectUnavailable(await callWithEnv({ DB }, '/login', jsonInit('POST', body)))
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.event === 'storage_unavailable')
    expect(logged[0]).toMatchObject({
      level: 'error',
      store: 'd1',
      message: 'D1_ERROR: database is unavailable',
    })
  })

  it('answers 503 when KV fails on login, and issues no token', async () => {
    const { username } = await registerUser()
    captureLogs()
    const REFRESH_TOKENS = failingWrites(env.REFRESH_TOKENS)
    const res = await callWithEnv(
      { REFRESH_TOKENS },
      '/login',
      jsonInit('POST', { username, password: PASSWORD }),
    )
    await expectUnavailable(res)
  })

  it('answers 503 when KV fails on refresh, and the old token still works afterwards', async () => {
    const { tokens } = await signedIn()
    captureLogs()
    for (const REFRESH_TOKENS of [
      failing(env.REFRESH_TOKENS, 'KV GET failed'),
      failingWrites(env.REFRESH_TOKENS),
    ]) {
      const res = await callWithEnv(
        { REFRESH_TOKENS },
        '/token',
        jsonInit('POST', { token: tokens.refreshToken }),
      )
      await expectUnavailable(res)
    }
    vi.restoreAllMocks()
    const retry = await callWithEnv({}, '/token', jsonInit('POST', { token: tokens.refreshToken }))
    expect(retry.status).toBe(200)
  })

  it('answers 503 when KV fails on logout', async () => {
    const { tokens } = await signedIn()
    captureLogs()
    const REFRESH_TOKENS = failing(env.REFRESH_TOKENS, 'KV unavailable')
    await expectUnavailable(
      await callWithEnv(
        { REFRESH_TOKENS },
        '/logout',
        jsonInit('DELETE', { token: tokens.refreshToken }),
      ),
    )
  })

  it('keeps tokens out of the logged cause', async () => {
    const { tokens } = await signedIn()
    const lines = captureLogs()
    const REFRESH_TOKENS = failing(env.REFRESH_TOKENS, `cannot read key for ${tokens.refreshToken}`)
    await callWithEnv(
      { REFRESH_TOKENS },
      '/token',
      jsonInit('POST', { token: tokens.refreshToken }),
    )
    expect(lines.join('\n')).not.toContain(tokens.refreshToken)
  })
})

describe('the WWW-Authenticate challenge on a 401', () => {
  it('says invalid_token only when the access token failed, not after a wrong password', async () => {
    const { tokens } = await signedIn()
    const wrong = await callWithEnv(
      {},
      '/users/me/totp',
      jsonInit(
        'POST',
        { password: 'not the password at all' },
        { Authorization: `Bearer ${tokens.accessToken}` },
      ),
    )
    await expectProblem(wrong, 401, 'invalid_credentials')
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="edge-auth"')
    const login = await callWithEnv(
      {},
      '/login',
      jsonInit('POST', { username: uniqueUsername(), password: PASSWORD }),
    )
    expect(login.status).toBe(401)
    expect(login.headers.get('www-authenticate')).not.toContain('error=')
    const expired = await callWithEnv({}, '/users/me', {
      headers: { Authorization: `Bearer ${tokens.accessToken}x` },
    })
    await expectProblem(expired, 401, 'invalid_token')
    expect(expired.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
  })
})
