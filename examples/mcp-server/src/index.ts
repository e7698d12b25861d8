// An MCP server on Cloudflare Workers, protected by edge-auth/resource: the MCP TypeScript SDK
// over Streamable HTTP (stateless, JSON responses) at the path of RESOURCE, the RFC 9728
// metadata at its well-known path, and 401/403 challenges that send MCP clients to ISSUER.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { type AccessToken, protectedResource, type ProtectedResource } from 'edge-auth/resource'
import { z } from 'zod'

export type Env = {
  /** The authorization server's issuer URL (edge-auth's JWT_ISSUER). */
  ISSUER: string
  /** This server's resource identifier: the URL of its MCP endpoint. */
  RESOURCE: string
}

/** Every MCP request needs this scope; a tool may need more (TOOL_SCOPES). */
export const BASE_SCOPES = ['notes:read']
/** The scopes each tool needs beyond BASE_SCOPES, checked before the request reaches the SDK. */
export const TOOL_SCOPES = new Map<string, string[]>([
  ['whoami', []],
  ['add_note', ['notes:write']],
])
/** A JSON-RPC request body larger than this is refused unread. */
const MAX_BODY_BYTES = 256 * 1024

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version',
}
const PREFLIGHT = {
  ...CORS,
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers':
    'Authorization, Content-Type, Accept, Mcp-Protocol-Version, Mcp-Session-Id, Last-Event-ID',
  'Access-Control-Max-Age': '86400',
}

// One verifier per isolate (it caches the issuer's keys), rebuilt only if the settings change.
let verifier: { settings: string; rs: ProtectedResource } | undefined
function resourceFor(env: Env): ProtectedResource {
  const settings = `${env.ISSUER} ${env.RESOURCE}`
  if (verifier?.settings !== settings) {
    verifier = {
      settings,
      rs: protectedResource({
        issuer: env.ISSUER,
        resource: env.RESOURCE,
        scopes: ['notes:read', 'notes:write'],
        name: 'Notes (edge-auth example)',
      }),
    }
  }
  return verifier.rs
}

/** The scopes a JSON-RPC message (or batch) needs: the base ones plus each called tool's. */
export function scopesFor(body: unknown): string[] {
  const needed = new Set(BASE_SCOPES)
  for (const message of Array.isArray(body) ? body : [body]) {
    const { method, params } = (message ?? {}) as { method?: unknown; params?: { name?: unknown } }
    if (method === 'tools/call' && typeof params?.name === 'string') {
      // A Map, not an object: a tool named "constructor" must find nothing.
      for (const scope of TOOL_SCOPES.get(params.name) ?? []) needed.add(scope)
    }
  }
  return [...needed]
}

/** A new server per request: the stateless transport serves exactly one. */
function mcpServer(token: AccessToken): McpServer {
  const server = new McpServer({ name: 'edge-auth-example-notes', version: '1.0.0' })
  server.registerTool(
    'whoami',
    { description: 'Who the access token speaks for: user, client and scopes.' },
    () => ({
      content: [
        {
          type: 'text',
          text: JSON.stringify({ sub: token.sub, client_id: token.clientId, scopes: token.scopes }),
        },
      ],
    }),
  )
  server.registerTool(
    'add_note',
    {
      description: 'Adds a note (this example keeps nothing). Needs the notes:write scope.',
      inputSchema: { text: z.string().min(1).max(1000) },
    },
    ({ text }, extra) => {
      // Checked before the SDK too (scopesFor); this guards a tool added without an entry there.
      if (!extra.authInfo?.scopes.includes('notes:write')) {
        return { isError: true, content: [{ type: 'text', text: 'insufficient_scope' }] }
      }
      const note = { id: crypto.randomUUID(), author: token.sub, text }
      return { content: [{ type: 'text', text: JSON.stringify(note) }] }
    },
  )
  return server
}

function withCors(response: Response): Response {
  const headers = new Headers(response.headers)
  for (const [name, value] of Object.entries(CORS)) headers.set(name, value)
  return new Response(response.body, { status: response.status, headers })
}

const jsonRpcError = (status: number, code: number, message: string) =>
  Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status })

/** The body as text, or null past `max` bytes (counted as it streams: no Content-Length trust). */
async function readCapped(request: Request, max: number): Promise<string | null> {
  if (Number(request.headers.get('Content-Length') ?? 0) > max) return null
  const reader = request.body?.getReader()
  if (!reader) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel()
      return null
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(bytes)
}

async function handleMcp(request: Request, rs: ProtectedResource): Promise<Response> {
  // Stateless: no standalone SSE stream (GET) and no session to end (DELETE).
  if (request.method !== 'POST') {
    return new Response(null, { status: 405, headers: { Allow: 'POST, OPTIONS' } })
  }
  // The token first: a request without one never gets its body read.
  const auth = await rs.authenticate(request, { scopes: BASE_SCOPES })
  if (!auth.ok) return auth.response
  const text = await readCapped(request, MAX_BODY_BYTES)
  if (text === null) return jsonRpcError(413, -32600, 'Request body too large')
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return jsonRpcError(400, -32700, 'Parse error')
  }
  // Then the scopes of the tools called: a 403 challenge the client can step up from.
  const needed = scopesFor(body)
  if (!needed.every((scope) => auth.token.scopes.includes(scope))) {
    return rs.challenge('insufficient_scope', needed)
  }
  const { token } = auth
  // authenticate() accepted exactly one well-formed Bearer credential.
  const bearer = /^bearer +(\S+)$/i.exec(request.headers.get('Authorization') ?? '')?.[1]
  const server = mcpServer(token)
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  })
  await server.connect(transport)
  return transport.handleRequest(request, {
    parsedBody: body,
    authInfo: {
      token: bearer ?? '',
      clientId: token.clientId,
      scopes: token.scopes,
      expiresAt: token.expiresAt,
      resource: new URL(rs.resource),
      extra: { sub: token.sub },
    },
  })
}

export default {
  async fetch(request, env): Promise<Response> {
    const rs = resourceFor(env)
    const { pathname } = new URL(request.url)
    if (pathname === rs.metadataPath) {
      if (request.method === 'OPTIONS')
        return new Response(null, { status: 204, headers: PREFLIGHT })
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return new Response(null, { status: 405, headers: { Allow: 'GET, HEAD, OPTIONS' } })
      }
      return rs.metadataResponse()
    }
    if (pathname !== new URL(rs.resource).pathname)
      return new Response('Not found', { status: 404 })
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: PREFLIGHT })
    return withCors(await handleMcp(request, rs))
  },
} satisfies ExportedHandler<Env>
