import { afterEach, describe, expect, it, vi } from 'vitest'
import { methodsOf } from '../../src/http/cors'
import {
  PASSWORD,
  callWithEnv,
  captureLogs,
  expectProblem,
  jsonInit,
  uniqueUsername,
} from '../helpers'

const APP = 'https://app.example.com'
const preflight = (origin: string, method = 'POST') => ({
  method: 'OPTIONS',
  headers: {
    Origin: origin,
    'Access-Control-Request-Method': method,
    'Access-Control-Request-Headers': 'content-type, authorization',
  },
})

/** Every (method, path) the OpenAPI document declares, a path parameter filled in. */
async function documentedOperations(): Promise<{ method: string; path: string }[]> {
  const doc = (await (await callWithEnv({}, '/openapi.json')).json()) as {
    paths: Record<string, Record<string, unknown>>
  }
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => ({
      method: method.toUpperCase(),
      path: path.replace(/\{\w+\}/g, 'x1'),
    })),
  )
}

/** Whether a browser would let the page send `method` with credentials after this preflight. */
function grants(res: Response, origin: string, method: string): boolean {
  const allowed = (res.headers.get('access-control-allow-methods') ?? '').split(',')
  return (
    res.status >= 200 &&
    res.status < 300 &&
    res.headers.get('access-control-allow-origin') === origin &&
    res.headers.get('access-control-allow-credentials') === 'true' &&
    allowed.map((m) => m.trim()).includes(method)
  )
}

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

  it('passes the preflight of every operation in the OpenAPI document from a listed origin', async () => {
    const operations = await documentedOperations()
    // The methods the SDK needs beyond GET, POST and DELETE are among them.
    expect(operations.map((op) => op.method)).toEqual(expect.arrayContaining(['PATCH', 'PUT']))
    const allowed = { ALLOWED_ORIGINS: APP }
    const refused: string[] = []
    for (const { method, path } of operations) {
      const res = await callWithEnv(allowed, path, preflight(APP, method))
      if (!grants(res, APP, method)) refused.push(`${method} ${path}`)
    }
    expect(refused).toEqual([])
  })

  it('grants nothing to an unlisted origin, for any method', async () => {
    const allowed = { ALLOWED_ORIGINS: APP }
    for (const { method, path } of await documentedOperations()) {
      // UserInfo takes a bearer token and no cookie: any origin may call it (checked below).
      if (path === '/userinfo') continue
      for (const origin of ['https://evil.example', `${APP}.evil.example`, 'null']) {
        const res = await callWithEnv(allowed, path, preflight(origin, method))
        expect(grants(res, origin, method)).toBe(false)
        expect(res.headers.get('access-control-allow-origin')).toBeNull()
        expect(res.headers.get('access-control-allow-credentials')).toBeNull()
        expect(res.headers.get('access-control-allow-methods')).toBeNull()
        expect(res.headers.get('vary')).toMatch(/\bOrigin\b/)
      }
    }
  })

  it('lets any origin call UserInfo with a bearer token, never with credentials', async () => {
    for (const method of ['GET', 'POST']) {
      const res = await callWithEnv(
        { ALLOWED_ORIGINS: APP },
        '/userinfo',
        preflight('https://rp.example', method),
      )
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      expect(res.headers.get('access-control-allow-credentials')).toBeNull()
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
        'authorization',
      )
    }
  })

  it('derives the methods from the route table: no middleware, no duplicates, no OPTIONS', () => {
    const routes = ['GET', 'ALL', 'PATCH', 'POST', 'GET', 'PUT', 'OPTIONS', 'DELETE'].map(
      (method) => ({ method }),
    )
    expect(methodsOf(routes)).toEqual(['DELETE', 'GET', 'PATCH', 'POST', 'PUT'])
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
