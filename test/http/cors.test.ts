import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  PASSWORD,
  callWithEnv,
  captureLogs,
  expectProblem,
  jsonInit,
  uniqueUsername,
} from '../helpers'

const APP = 'https://app.example.com'
const preflight = (origin: string) => ({
  method: 'OPTIONS',
  headers: {
    Origin: origin,
    'Access-Control-Request-Method': 'POST',
    'Access-Control-Request-Headers': 'content-type, authorization',
  },
})

describe('CORS', () => {
  it('sends no CORS headers when ALLOWED_ORIGINS is empty (the default)', async () => {
    const res = await callWithEnv({}, '/health', { headers: { Origin: APP } })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    const pre = await callWithEnv({}, '/login', preflight(APP))
    expect(pre.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('allows a listed origin, with the headers a token client needs', async () => {
    const allowed = { ALLOWED_ORIGINS: `https://other.example, ${APP}` }
    const pre = await callWithEnv(allowed, '/login', preflight(APP))
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP)
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
      'authorization',
    )
    // Credentials (the refresh cookie) for listed origins only; never with a wildcard.
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true')
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-request-id')
    const res = await callWithEnv(allowed, '/register', {
      ...jsonInit('POST', { username: uniqueUsername(), password: PASSWORD }),
      headers: { 'Content-Type': 'application/json', Origin: APP },
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('access-control-allow-origin')).toBe(APP)
    expect(res.headers.get('access-control-expose-headers')).toContain('Retry-After')
  })

  it('does not allow an unlisted origin, or a look-alike', async () => {
    const allowed = { ALLOWED_ORIGINS: APP }
    for (const origin of [
      'https://evil.example',
      `${APP}.evil.example`,
      'http://app.example.com',
      'null',
    ]) {
      const res = await callWithEnv(allowed, '/health', { headers: { Origin: origin } })
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
    }
  })

  afterEach(() => vi.restoreAllMocks())

  it('refuses a wildcard or malformed ALLOWED_ORIGINS for browser requests, naming it in the log', async () => {
    for (const value of ['*', 'app.example.com', 'https://app.example.com/path']) {
      const lines = captureLogs()
      const res = await callWithEnv({ ALLOWED_ORIGINS: value }, '/health', {
        headers: { Origin: APP },
      })
      await expectProblem(res, 500, 'server_misconfigured')
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
      const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
      expect(logged).toContainEqual(
        expect.objectContaining({ event: 'config_invalid', variable: 'ALLOWED_ORIGINS' }),
      )
      vi.restoreAllMocks()
    }
  })

  it('varies on Origin even when none was sent, so a shared cache keeps browsers apart', async () => {
    const res = await callWithEnv({ ALLOWED_ORIGINS: APP }, '/openapi.json')
    expect(res.headers.get('vary')).toMatch(/\bOrigin\b/)
    expect(res.headers.get('vary')).toMatch(/\bHost\b/)
    const none = await callWithEnv({}, '/health')
    expect(none.headers.get('vary')).toBeNull()
  })

  it('keeps every request without an Origin working when ALLOWED_ORIGINS is invalid', async () => {
    const broken = { ALLOWED_ORIGINS: '*' }
    expect((await callWithEnv(broken, '/health')).status).toBe(200)
    const body = { username: uniqueUsername(), password: PASSWORD }
    expect((await callWithEnv(broken, '/register', jsonInit('POST', body))).status).toBe(201)
    expect((await callWithEnv(broken, '/login', jsonInit('POST', body))).status).toBe(200)
  })
})
