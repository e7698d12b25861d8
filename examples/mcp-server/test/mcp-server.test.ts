// The example MCP server end to end: the Worker under Miniflare, a stub issuer on a loopback
// port, and the MCP SDK's own Client over Streamable HTTP with a Bearer token.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ExampleMcpServer, startExampleMcpServer } from './harness'
import { startStubIssuer } from './stub-issuer'

let issuer: Awaited<ReturnType<typeof startStubIssuer>>
let server: ExampleMcpServer

beforeAll(async () => {
  issuer = await startStubIssuer()
  server = await startExampleMcpServer({ issuer: issuer.issuer })
}, 20_000)

afterAll(async () => {
  await server?.stop()
  await issuer?.stop()
})

async function connect(token?: string) {
  const client = new Client({ name: 'edge-auth-test', version: '1.0.0' })
  const transport = new StreamableHTTPClientTransport(new URL(server.resource), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
  })
  await client.connect(transport)
  return client
}

/** A raw JSON-RPC POST, for the status and headers the SDK client does not show. */
function post(body: unknown, token?: string) {
  return fetch(server.resource, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  })
}

const callTool = (name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name, arguments: args },
})

const textOf = (result: Awaited<ReturnType<Client['callTool']>>) =>
  (result.content as { type: string; text: string }[])[0]!.text

describe('with a token for this resource', () => {
  it('lists the tools and calls whoami through the SDK client', async () => {
    const token = await issuer.mint(server.resource, { sub: 'user-42', client_id: 'app-7' })
    const client = await connect(token)
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual(['add_note', 'whoami'])
    const result = await client.callTool({ name: 'whoami', arguments: {} })
    expect(JSON.parse(textOf(result))).toEqual({
      sub: 'user-42',
      client_id: 'app-7',
      scopes: ['notes:read'],
    })
    await client.close()
  })

  it('calls the notes:write tool when the token carries that scope', async () => {
    const token = await issuer.mint(server.resource, { scope: 'notes:read notes:write' })
    const client = await connect(token)
    const result = await client.callTool({ name: 'add_note', arguments: { text: 'hello' } })
    expect(result.isError).toBeFalsy()
    expect(JSON.parse(textOf(result))).toMatchObject({ author: 'user-1', text: 'hello' })
    await client.close()
  })

  it('fetched the issuer keys once for all of these requests', async () => {
    const token = await issuer.mint(server.resource)
    for (let i = 0; i < 3; i++) expect((await post(callTool('whoami'), token)).status).toBe(200)
    expect(issuer.hits.jwks).toBe(1)
  })
})

describe('without a usable token', () => {
  it('no token: 401 pointing at the metadata, which names the issuer', async () => {
    const response = await post(callTool('whoami'))
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBe(
      `Bearer scope="notes:read", resource_metadata="${server.metadataUrl}"`,
    )
    // Browser clients must be able to read the challenge.
    expect(response.headers.get('Access-Control-Expose-Headers')).toContain('WWW-Authenticate')

    const metadata = await fetch(server.metadataUrl)
    expect(metadata.status).toBe(200)
    expect(metadata.headers.get('Access-Control-Allow-Origin')).toBe('*')
    expect(await metadata.json()).toEqual({
      resource: server.resource,
      authorization_servers: [issuer.issuer],
      bearer_methods_supported: ['header'],
      scopes_supported: ['notes:read', 'notes:write'],
      resource_name: 'Notes (edge-auth example)',
    })
    await expect(connect()).rejects.toThrow()
  })

  it('a token for another audience: 401 invalid_token, and the SDK client cannot connect', async () => {
    const token = await issuer.mint('https://other.example.com/mcp')
    const response = await post(callTool('whoami'), token)
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toContain('error="invalid_token"')
    expect(await response.text()).not.toContain(token.slice(0, 30))
    await expect(connect(token)).rejects.toThrow()
  })

  it('a first-party access token of the same issuer: 401', async () => {
    const response = await post(callTool('whoami'), await issuer.mintFirstParty())
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toContain('error="invalid_token"')
  })

  it('an expired token: 401', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = await issuer.mint(server.resource, { iat: now - 600, exp: now - 60 })
    expect((await post(callTool('whoami'), token)).status).toBe(401)
  })
})

describe('scopes', () => {
  it('a tool needing notes:write with a notes:read token: 403 naming the scopes needed', async () => {
    const token = await issuer.mint(server.resource, { scope: 'notes:read' })
    const response = await post(callTool('add_note', { text: 'x' }), token)
    expect(response.status).toBe(403)
    expect(response.headers.get('WWW-Authenticate')).toBe(
      `Bearer error="insufficient_scope", scope="notes:read notes:write", resource_metadata="${server.metadataUrl}"`,
    )

    // The SDK client connects and may whoami, but the call is refused, and no note is made.
    const client = await connect(token)
    await expect(
      client.callTool({ name: 'add_note', arguments: { text: 'x' } }),
    ).rejects.toMatchObject({ code: 403, message: expect.stringContaining('insufficient_scope') })
    expect((await client.callTool({ name: 'whoami', arguments: {} })).isError).toBeFalsy()
    await client.close()
  })

  it('a token without the base scope cannot even initialize', async () => {
    const token = await issuer.mint(server.resource, { scope: 'notes:write' })
    const response = await post(callTool('whoami'), token)
    expect(response.status).toBe(403)
    await expect(connect(token)).rejects.toThrow()
  })

  it('a batch that hides a notes:write call among reads still needs notes:write', async () => {
    const token = await issuer.mint(server.resource, { scope: 'notes:read' })
    const batch = [callTool('whoami'), { ...callTool('add_note', { text: 'x' }), id: 2 }]
    expect((await post(batch, token)).status).toBe(403)
  })
})

describe('the HTTP surface', () => {
  it('answers GET and DELETE on /mcp with 405 (stateless), and preflights for browsers', async () => {
    expect((await fetch(server.resource)).status).toBe(405)
    expect((await fetch(server.resource, { method: 'DELETE' })).status).toBe(405)
    const preflight = await fetch(server.resource, { method: 'OPTIONS' })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('Access-Control-Allow-Headers')).toContain('Authorization')
  })

  it('judges the token before reading the body: no token and a huge body is a 401', async () => {
    const response = await fetch(server.resource, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: 'x'.repeat(1024 * 1024),
    })
    expect(response.status).toBe(401)
  })

  it('refuses an oversized body streamed without Content-Length, and one that is not JSON', async () => {
    const token = await issuer.mint(server.resource)
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk)
        else controller.close()
      },
    })
    const init = { method: 'POST', body: stream, duplex: 'half' } as RequestInit
    init.headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
    expect((await fetch(server.resource, init)).status).toBe(413)

    const response = await fetch(server.resource, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: '{',
    })
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32700)
  })

  it.each([['constructor'], ['__proto__'], ['toString']])(
    'a tool named %s is an unknown tool, not a crash',
    async (name) => {
      const token = await issuer.mint(server.resource)
      const response = await post(callTool(name), token)
      expect(response.status).toBe(200)
      const body = (await response.json()) as { result?: { isError?: boolean }; error?: unknown }
      expect(body.error ?? body.result?.isError).toBeTruthy()
    },
  )
})
