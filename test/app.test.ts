import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_BODY_BYTES } from '../src/app'
import {
  PASSWORD,
  bearer,
  call,
  callWithEnv,
  expectProblem,
  jsonInit,
  registerUser,
  sendJson,
  signedIn,
  uniqueUsername,
  captureLogs,
} from './helpers'

describe('unknown routes and methods', () => {
  it.each([
    ['GET', '/nope'],
    ['GET', '/login'],
    ['PUT', '/users'],
    ['PATCH', '/token'],
  ])('%s %s answers 404 problem JSON', async (method, path) => {
    await expectProblem(await call(path, { method }), 404, 'not_found')
  })
})

describe('request bodies', () => {
  it('answers 413 payload_too_large above 16 KiB, before parsing', async () => {
    const body = JSON.stringify({ username: 'someone', password: 'p'.repeat(MAX_BODY_BYTES) })
    await expectProblem(await sendJson('POST', '/login', body), 413, 'payload_too_large')
  })

  it('answers 413 for an oversized body without Content-Length (chunked)', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(4096))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 300)
          controller.enqueue(chunk) // ~1.2 MiB
        else controller.close()
      },
    })
    const res = await call('/register', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: stream,
    })
    await expectProblem(res, 413, 'payload_too_large')
  })

  it('answers 415 for a body that is not declared as JSON', async () => {
    const res = await call('/login', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: '{}',
    })
    await expectProblem(res, 415, 'unsupported_media_type')
    await expectProblem(
      await call('/token', { method: 'POST', body: 'token=abc' }),
      415,
      'unsupported_media_type',
    )
  })

  it('answers 400 invalid_json for malformed JSON', async () => {
    for (const body of ['{', '', 'undefined', "{'a':1}"]) {
      await expectProblem(await sendJson('POST', '/register', body), 400, 'invalid_json')
    }
  })

  it('accepts a JSON media type with parameters', async () => {
    const res = await call('/register', {
      ...jsonInit('POST', { username: uniqueUsername(), password: PASSWORD }),
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
    })
    expect(res.status).toBe(201)
  })
})

describe('fail-closed secrets', () => {
  afterEach(() => vi.restoreAllMocks())

  // A P-256 "key" whose coordinates are not a point on the curve: right shape, unusable.
  const offCurve = () => {
    const key = JSON.parse(env.JWT_PRIVATE_KEYS).keys[0] as Record<string, string>
    return JSON.stringify({ keys: [{ ...key, y: key.x }] })
  }

  it.each([
    ['ACCESS_TOKEN_SECRET', undefined, 'HS256'],
    ['ACCESS_TOKEN_SECRET', 'too-weak-secret-0123456789abcde', 'HS256'], // 31 characters
    ['REFRESH_TOKEN_SECRET', '', 'ES256'],
    ['JWT_PRIVATE_KEYS', undefined, 'ES256'],
    ['JWT_PRIVATE_KEYS', '{"keys":[]}', 'ES256'],
    ['JWT_PRIVATE_KEYS', offCurve(), 'ES256'],
  ])(
    'refuses every token route when %s is %s (%s), and logs the variable but not its value',
    async (name, value, alg) => {
      const { username, tokens } = await signedIn()
      const lines = captureLogs()
      const broken = { JWT_ALG: alg, [name]: value }
      const attempts = [
        callWithEnv(broken, '/login', jsonInit('POST', { username, password: PASSWORD })),
        callWithEnv(broken, '/token', jsonInit('POST', { token: tokens.refreshToken })),
        callWithEnv(broken, '/logout', jsonInit('DELETE', { token: tokens.refreshToken })),
        callWithEnv(broken, '/users', bearer(tokens.accessToken)),
      ]
      for (const res of await Promise.all(attempts)) {
        const text = await res.clone().text()
        expect(text).not.toMatch(/accessToken|refreshToken|eyJ/)
        await expectProblem(res, 500, 'server_misconfigured')
      }
      const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
      const configLines = events.filter((e) => e.event === 'config_invalid')
      expect(configLines).toHaveLength(4)
      for (const line of configLines) expect(line).toMatchObject({ level: 'error', variable: name })
      if (value) expect(lines.join('\n')).not.toContain(value)
      // Nothing was issued or revoked: the session still works once the config is right.
      expect((await sendJson('POST', '/token', { token: tokens.refreshToken })).status).toBe(200)
    },
  )

  it('still registers users and answers /health, which need no secret', async () => {
    captureLogs()
    const res = await callWithEnv(
      { JWT_PRIVATE_KEYS: undefined },
      '/register',
      jsonInit('POST', { username: uniqueUsername(), password: PASSWORD }),
    )
    expect(res.status).toBe(201)
    expect((await callWithEnv({ JWT_PRIVATE_KEYS: undefined }, '/health')).status).toBe(200)
  })

  it('refuses a misconfigured TTL the same way', async () => {
    const { username } = await registerUser()
    captureLogs()
    const res = await callWithEnv(
      { REFRESH_TOKEN_TTL: '30' },
      '/login',
      jsonInit('POST', { username, password: PASSWORD }),
    )
    await expectProblem(res, 500, 'server_misconfigured')
  })
})
