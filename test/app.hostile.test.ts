// Hostile input: whatever arrives, the answer is never a 5xx, and every error is problem JSON.
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import {
  PASSWORD,
  ORIGIN,
  call,
  callWithEnv,
  expectProblem,
  jsonInit,
  refresh,
  sendJson,
  signedIn,
  uniqueUsername,
} from './helpers'

const ROUTES = [
  ['POST', '/register'],
  ['POST', '/login'],
  ['POST', '/token'],
  ['DELETE', '/logout'],
  ['POST', '/logout'],
  ['GET', '/users'],
  ['GET', '/health'],
  ['POST', '/oauth/token'],
  ['POST', '/oauth/revoke'],
  ['GET', '/.well-known/jwks.json'],
  ['GET', '/.well-known/oauth-authorization-server'],
  ['GET', '/openapi.json'],
  ['GET', '/docs'],
] as const

const CONFIGURED = { JWT_ISSUER: ORIGIN }

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  '',
]

/** Header values a client can actually send (no control characters). */
const headerValue = fc.string({ maxLength: 200 }).filter((value) => {
  try {
    new Headers({ authorization: value })
    return true
  } catch {
    return false
  }
})

/** Errors are problem JSON, except on the OAuth routes, which answer RFC 6749 §5.2 JSON. */
async function expectHandled(res: Response, path = '') {
  expect(res.status).toBeLessThan(500)
  const text = await res.clone().text()
  if (res.status >= 400 && path.startsWith('/oauth/')) {
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(JSON.parse(text)).toEqual({
      error: expect.any(String),
      error_description: expect.any(String),
    })
  } else if (res.status >= 400) {
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  }
  expect(text).not.toMatch(/\n\s+at |stack/i)
}

describe('property: arbitrary input never yields a 5xx', () => {
  test.prop(
    [
      fc.constantFrom(...ROUTES),
      fc.oneof(
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.string({ maxLength: 300 }),
        // Form bodies, for the OAuth routes: arbitrary names and values, repeats included.
        fc
          .array(
            fc.tuple(
              fc.constantFrom('grant_type', 'refresh_token', 'token', 'client_secret', 'x'),
              fc.string({ maxLength: 60 }),
            ),
            { maxLength: 5 },
          )
          .map((pairs) => new URLSearchParams(pairs).toString()),
      ),
      fc.constantFrom(...CONTENT_TYPES),
    ],
    { numRuns: 150 },
  )('any body to any route', async ([method, path], body, contentType) => {
    const headers: Record<string, string> = contentType ? { 'Content-Type': contentType } : {}
    await expectHandled(
      // With the authorization server configured (JWT_ISSUER), as a deployment has it: its
      // routes are then judged on the input, not answered 503 for a missing setting.
      await callWithEnv(CONFIGURED, path, {
        method,
        headers,
        body: method === 'GET' ? undefined : body,
      }),
      path,
    )
  })

  test.prop(
    [
      fc.oneof(
        headerValue,
        headerValue.map((v) => `Bearer ${v}`),
      ),
    ],
    { numRuns: 150 },
  )('any Authorization header to /users', async (authorization) => {
    const res = await call('/users', { headers: { Authorization: authorization } })
    await expectHandled(res)
    expect(res.status).toBe(401)
  })

  test.prop([fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), fc.webPath()], {
    numRuns: 150,
  })('any path with any method', async (method, path) => {
    await expectHandled(await call(path.startsWith('/') ? path : `/${path}`, { method }))
  })

  test.prop([fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue(), { maxKeys: 6 })], {
    numRuns: 100,
  })('any object with credentials mixed in', async (extra) => {
    const res = await sendJson('POST', '/login', {
      ...extra,
      username: uniqueUsername(),
      password: PASSWORD,
    })
    await expectHandled(res)
  })
})

describe('named hostile cases', () => {
  it('refuses __proto__ and constructor keys without polluting anything', async () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const body = `{"username":"${uniqueUsername()}","password":"${PASSWORD}","${key}":{"isAdmin":true}}`
      await expectProblem(await sendJson('POST', '/register', body), 400, 'validation_failed')
    }
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined()
  })

  it('answers 413 to a 1 MiB body', async () => {
    const body = JSON.stringify({ username: 'someone', password: 'p'.repeat(1024 * 1024) })
    for (const path of ['/register', '/login', '/token']) {
      await expectProblem(await sendJson('POST', path, body), 413, 'payload_too_large')
    }
  })

  it('never takes a token from the URL', async () => {
    const { tokens } = await signedIn()
    await expectProblem(
      await call(`/users?access_token=${tokens.accessToken}`),
      401,
      'invalid_token',
    )
    const res = await call(`/token?token=${tokens.refreshToken}`, jsonInit('POST', {}))
    await expectProblem(res, 401, 'invalid_refresh_token')
    // Not spent either: its first use still rotates normally.
    expect((await refresh(tokens.refreshToken)).status).toBe(200)
  })

  it('answers 400 to an empty refresh token and 401 to an empty bearer token', async () => {
    await expectProblem(await sendJson('POST', '/token', { token: '' }), 400, 'validation_failed')
    await expectProblem(
      await call('/users', { headers: { Authorization: 'Bearer ' } }),
      401,
      'invalid_token',
    )
  })
})
