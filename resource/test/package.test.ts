// The module as shipped (edge-auth/resource → resource/dist/index.js) in plain Node: built,
// imported, and verifying a token against a key set served by a real local HTTP server.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, expect, it } from 'vitest'
import { bundle } from '../build.mjs'
import type * as Resource from '../index'
import { accessClaims, generateSigningKey, mintAccessToken } from './tokens'

const dir = mkdtempSync(join(tmpdir(), 'edge-auth-resource-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('is exported as edge-auth/resource, pointing at what the build writes', () => {
  const pkg = JSON.parse(
    readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url).href), 'utf8'),
  )
  expect(pkg.exports['./resource']).toEqual({
    types: './resource/dist/index.d.ts',
    import: './resource/dist/index.js',
  })
  expect(pkg.files).toContain('resource/dist')
})

it('runs in Node from its bundle, which imports nothing, against a JWKS over HTTP', async () => {
  const outfile = join(dir, 'index.js')
  await bundle(outfile)
  const code = readFileSync(outfile, 'utf8')
  expect(code).not.toMatch(/^\s*import\s/m)
  const { protectedResource } = (await import(pathToFileURL(outfile).href)) as typeof Resource

  const key = await generateSigningKey('EdDSA')
  let hits = 0
  const server = createServer((req, res) => {
    hits++
    res.writeHead(req.url === '/.well-known/jwks.json' ? 200 : 404, {
      'Content-Type': 'application/json',
      'Cache-Control': 'max-age=60',
    })
    res.end(JSON.stringify({ keys: [key.publicJwk] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const resource = 'https://notes.example.com/mcp'
    const rs = protectedResource({ issuer, resource })
    const token = await mintAccessToken(key, accessClaims(issuer, resource))
    const request = new Request(resource, { headers: { Authorization: `Bearer ${token}` } })
    const result = await rs.authenticate(request)
    expect(result.ok && result.token.sub).toBe('user-1')
    const stranger = await mintAccessToken(key, accessClaims('https://other.example', resource))
    const refused = await rs.authenticate(
      new Request(resource, { headers: { Authorization: `Bearer ${stranger}` } }),
    )
    expect(!refused.ok && refused.response.status).toBe(401)
    expect(hits).toBe(1)
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})
