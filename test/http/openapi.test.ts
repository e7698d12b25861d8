import { describe, expect, it } from 'vitest'
import { app } from '../../src/app'
import { DOCS_CSP } from '../../src/http/openapi'
import { pageRoutes } from '../../src/pages/routes'
import { ORIGIN, call } from '../helpers'

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
