import { describe, expect, it } from 'vitest'
import { MAX_BODY_BYTES } from '../../src/app'
import { call, callWithEnv, jsonInit, sendJson } from '../helpers'

// Written out here, not imported from src/http/security-headers.ts, so a header dropped or
// weakened there fails this test. The values are hono/secure-headers' defaults (which this
// service used until issue 26) with Referrer-Policy same-origin.
const EXPECTED = {
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'same-origin',
  'strict-transport-security': 'max-age=15552000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
}

function expectSecured(res: Response) {
  for (const [name, value] of Object.entries(EXPECTED)) {
    expect(res.headers.get(name), name).toBe(value)
  }
  expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  expect(res.headers.has('x-powered-by')).toBe(false)
}

describe('security headers and the request id', () => {
  it('are on every kind of answer: success, not found, 401, OAuth error, 413, page, docs', async () => {
    const answers: [string, Response, number][] = [
      ['health', await call('/health'), 200],
      ['unknown path', await call('/no-such-route'), 404],
      ['no token', await call('/users'), 401],
      ['bad token', await call('/users', { headers: { Authorization: 'Bearer x.y.z' } }), 401],
      ['oauth error', await sendJson('POST', '/oauth/token', { grant_type: 'nonsense' }), 400],
      [
        'too large',
        await call('/login', jsonInit('POST', { password: 'x'.repeat(MAX_BODY_BYTES) })),
        413,
      ],
      ['page', await call('/signin'), 200],
      ['openapi', await call('/openapi.json'), 200],
    ]
    for (const [what, res, status] of answers) {
      expect(res.status, what).toBe(status)
      expectSecured(res)
    }
  })

  it('replace what a handler set: the page cannot loosen framing', async () => {
    // The pages set their own CSP; X-Frame-Options stays the service's.
    const res = await call('/signin')
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
  })

  it('are on a CORS preflight, which no route answers', async () => {
    const origin = 'https://app.example.com'
    const res = await callWithEnv({ ALLOWED_ORIGINS: origin }, '/login', {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe(origin)
    expectSecured(res)
  })

  it('each request gets its own id', async () => {
    const ids = new Set<string | null>()
    for (let i = 0; i < 3; i++) ids.add((await call('/health')).headers.get('x-request-id'))
    expect(ids.size).toBe(3)
  })
})
