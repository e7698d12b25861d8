import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import wranglerToml from '../../wrangler.toml?raw'
import { app } from '../../src/app'
import { DOCS_CSP, OPENAPI_ASSET } from '../../src/http/openapi'
import { openApiDocumentOf } from '../../src/http/openapi-document'
import { pageRoutes } from '../../src/pages/routes'
import { ORIGIN, call, callWithEnv } from '../helpers'

type Document = {
  openapi: string
  servers: { url: string }[]
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>
}

const document = async () => (await (await call('/openapi.json')).json()) as Document

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document served for the origin it was asked at', async () => {
    const res = await call('/openapi.json')
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    const doc = (await res.json()) as Document
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.servers).toEqual([{ url: ORIGIN }])
    expect(res.headers.get('vary')).toBe('Host')
  })

  it('documents every API route the app registers, and no route it does not', async () => {
    const doc = await document()
    // The hosted pages are HTML for people, deliberately not in the document.
    const pages = new Set(pageRoutes.routes.map((route) => `${route.method} ${route.path}`))
    // Hono lists middleware as routes with method ALL; handlers have a real method.
    const registered = new Set(
      app.routes
        .filter((route) => route.method !== 'ALL' && !pages.has(`${route.method} ${route.path}`))
        // Hono writes path parameters as :id, OpenAPI as {id}.
        .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`),
    )
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    )
    expect([...registered].sort()).toEqual([...documented].sort())
    expect(registered.size).toBeGreaterThanOrEqual(13)
  })

  it('describes request bodies with the schemas that validate them', async () => {
    const { paths } = await document()
    const schemaOf = (path: string, type = 'application/json') =>
      JSON.stringify(paths[path]!.post!.requestBody!.content[type])
    expect(schemaOf('/register')).toContain('RegisterRequest')
    expect(schemaOf('/token')).toContain('RefreshTokenRequest')
    expect(schemaOf('/oauth/token', 'application/x-www-form-urlencoded')).toContain(
      'OAuthTokenRequest',
    )
    // A rule in the schema is enforced on the wire: the strict object refuses unknown fields.
    const res = await call('/register', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'someone', password: 'long enough pw', admin: true }),
    })
    expect(res.status).toBe(400)
  })
})

describe('GET /openapi.json, generated at build time', () => {
  /** An ASSETS binding that answers every read with `res`, counting the reads. */
  const assets = (res: () => Response) => {
    const reads: string[] = []
    const binding = {
      fetch: async (input: RequestInfo | URL) => {
        reads.push(new URL(input instanceof Request ? input.url : input).pathname)
        return res()
      },
    } as unknown as Fetcher
    return { binding, reads }
  }

  it('is what the routes declared now generate (else run node scripts/assets.mjs)', async () => {
    const { servers, ...served } = (await (await call('/openapi.json')).json()) as Record<
      string,
      unknown
    >
    expect(servers).toEqual([{ url: ORIGIN }])
    // The generator runs here, in the tests only: scripts/assets.mjs wrote the file the worker
    // serves from the same declarations, in Node, before this pool started.
    expect(served).toEqual(JSON.parse(JSON.stringify(openApiDocumentOf(app))))
  })

  it('is read from the static assets, where only the worker serves it', () => {
    // The asset path is claimed by the worker, so the bare file (no servers, no headers) is never
    // what a client gets; and the worker reaches it through the ASSETS binding.
    const section = wranglerToml.match(/^\[assets\]\n([\s\S]*?)(?=^\[)/m)?.[1] ?? ''
    expect(section).toMatch(/^binding = "ASSETS"$/m)
    expect(section).toMatch(new RegExp(`^run_worker_first = \\[.*"${OPENAPI_ASSET}"`, 'm'))
    expect(OPENAPI_ASSET).toBe('/openapi.json')
  })

  it('names the origin each request came to, the rest of the document unchanged', async () => {
    const res = await exports.default.fetch(new Request('https://other.example/openapi.json'))
    const { servers, ...rest } = (await res.json()) as Record<string, unknown>
    expect(servers).toEqual([{ url: 'https://other.example' }])
    const { servers: _, ...mine } = (await (await call('/openapi.json')).json()) as Record<
      string,
      unknown
    >
    expect(rest).toEqual(mine)
    // A Host cannot break out of the servers entry: the origin is JSON-encoded, and a URL's
    // origin holds no quote anyway.
    expect(res.headers.get('vary')).toBe('Host')
  })

  it('keeps the headers it had: caching, Vary, secure headers, CORS for a listed origin', async () => {
    const app_ = 'https://app.example'
    const res = await callWithEnv({ ALLOWED_ORIGINS: app_ }, '/openapi.json', {
      headers: { Origin: app_ },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('cache-control')).toBe('public, max-age=300')
    expect(res.headers.get('access-control-allow-origin')).toBe(app_)
    expect(res.headers.get('vary')?.split(/,\s*/).sort()).toEqual(['Host', 'Origin'])
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('strict-transport-security')).toContain('max-age=')
    const head = await call('/openapi.json', { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('reads the file once per isolate, not once per request', async () => {
    const text = JSON.stringify(openApiDocumentOf(app))
    const { binding, reads } = assets(() => new Response(text))
    for (let i = 0; i < 3; i++) {
      const res = await callWithEnv({ ASSETS: binding }, '/openapi.json')
      expect(res.status).toBe(200)
    }
    expect(reads).toEqual([OPENAPI_ASSET])
  })

  it('fails closed, and is not remembered, when the file is missing or not the document', async () => {
    for (const wrong of [
      () => new Response('Not Found', { status: 404 }),
      () => new Response('<!doctype html><title>Index</title>'),
      () => new Response('{"openapi":"3.1.0"'),
      () => new Response('{"openapi":"3.0.0","paths":{}}'),
    ]) {
      const { binding, reads } = assets(wrong)
      for (let i = 0; i < 2; i++) {
        const res = await callWithEnv({ ASSETS: binding }, '/openapi.json')
        expect(res.status).toBe(500)
        const body = await res.text()
        expect(JSON.parse(body)).toMatchObject({ code: 'internal_error' })
        expect(body).not.toContain('Index')
        expect(res.headers.get('cache-control')).not.toBe('public, max-age=300')
      }
      // A failed read is tried again on the next request, not served from memory.
      expect(reads).toEqual([OPENAPI_ASSET, OPENAPI_ASSET])
    }
    // The real binding still serves it.
    expect((await call('/openapi.json')).status).toBe(200)
  })
})

describe('GET /docs', () => {
  it('serves Swagger UI from this worker alone, under a policy that allows nothing else', async () => {
    const res = await call('/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(res.headers.get('content-security-policy')).toBe(DOCS_CSP)
    expect(DOCS_CSP).toContain("script-src 'self'")
    expect(DOCS_CSP).toContain("frame-ancestors 'none'")
    const html = await res.text()
    // Every script and stylesheet is a path on this origin; no inline script.
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    expect(sources).toEqual([
      '/docs/vendor/swagger-ui.css',
      '/docs/vendor/swagger-ui-bundle.js',
      '/docs/init.js',
    ])
    expect(html).not.toMatch(/<script>[^<]/)
  })
})
