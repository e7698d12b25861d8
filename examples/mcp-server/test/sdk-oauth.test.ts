// The MCP TypeScript SDK's own client, with its OAuth client provider, against the example MCP
// server protected by edge-auth/resource, with edge-auth (under Miniflare) as the authorization
// server: discovery from the 401 (RFC 9728, RFC 8414), registration (once by RFC 7591, once by a
// Client ID Metadata Document this test serves), sign-in and consent on the hosted pages (a
// scripted browser: the pages are plain forms), the code exchange, a tool call, and refreshes,
// parallel ones included.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EdgeAuth, startEdgeAuth } from './edge-auth-server'
import { type ExampleMcpServer, freePort, startExampleMcpServer } from './harness'

const REDIRECT_URL = 'http://127.0.0.1:33418/callback'
const DOCUMENT_URL = 'https://mcp-client.example/oauth/client.json'
const PASSWORD = 'correct horse battery staple'

let auth: EdgeAuth
let mcp: ExampleMcpServer
const documentFetches: string[] = []

beforeAll(async () => {
  const [authPort, mcpPort] = [await freePort(), await freePort()]
  const resource = `http://127.0.0.1:${mcpPort}/mcp`
  auth = await startEdgeAuth({
    port: authPort,
    vars: {
      PROTECTED_RESOURCES: JSON.stringify([
        { resource, name: 'Notes', scopes: ['notes:read', 'notes:write'], accessTokenTtl: 60 },
      ]),
    },
    // The client's metadata document, as its host would serve it.
    outbound: (request) => {
      if (request.url !== DOCUMENT_URL) return undefined
      documentFetches.push(request.url)
      return Response.json({
        client_id: DOCUMENT_URL,
        client_name: 'MCP client (by document)',
        redirect_uris: [REDIRECT_URL],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      })
    },
  })
  mcp = await startExampleMcpServer({ issuer: auth.issuer, resource })
}, 60_000)

afterAll(async () => {
  await mcp?.stop()
  await auth?.stop()
})

/** What an MCP host keeps for one server: the client registration, tokens, PKCE verifier. */
class MemoryProvider implements OAuthClientProvider {
  client?: OAuthClientInformationMixed
  saved?: OAuthTokens
  verifier = ''
  lastState = ''
  authorizationUrl?: URL
  tokenSaves = 0

  constructor(readonly clientMetadataUrl?: string) {}

  get redirectUrl() {
    return REDIRECT_URL
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'MCP client (registered)',
      redirect_uris: [REDIRECT_URL],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }
  }
  state() {
    this.lastState = crypto.randomUUID()
    return this.lastState
  }
  clientInformation() {
    return this.client
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info
  }
  tokens() {
    return this.saved
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens
    this.tokenSaves++
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier
  }
  codeVerifier() {
    return this.verifier
  }
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery') {
    if (scope === 'all' || scope === 'client') this.client = undefined
    if (scope === 'all' || scope === 'tokens') this.saved = undefined
  }
}

/**
 * A person in a browser: follows the authorization URL with a cookie jar, signs in on the hosted
 * /signin form, presses Allow on the consent page, and stops at the redirect to the client.
 */
async function signInAndAllow(start: URL, username: string): Promise<URL> {
  const jar = new Map<string, string>()
  const cookie = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
  const go = async (url: URL, init: RequestInit = {}) => {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: cookie() },
    })
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const at = pair!.indexOf('=')
      jar.set(pair!.slice(0, at), pair!.slice(at + 1))
    }
    return res
  }
  const form = (url: URL, fields: Record<string, string>) =>
    go(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: new URL(auth.issuer).origin,
      },
      body: new URLSearchParams(fields),
    })
  let url = start
  let res = await go(url)
  for (let hop = 0; hop < 10; hop++) {
    const location = res.headers.get('location')
    if (location) {
      url = new URL(location, url)
      if (url.href.startsWith(REDIRECT_URL)) return url
      res = await go(url)
      continue
    }
    expect(res.status).toBe(200)
    const page = await res.text()
    // Back from a sign-in form, the way on to the app is a page that refreshes to it.
    const refresh = /http-equiv="refresh" content="0;url=([^"]+)"/.exec(page)?.[1]
    if (refresh) {
      url = new URL(refresh.replaceAll('&amp;', '&'))
      if (url.href.startsWith(REDIRECT_URL)) return url
      res = await go(url)
      continue
    }
    if (url.pathname === '/signin') {
      const returnTo = /name="return_to" value="([^"]+)"/.exec(page)![1]!.replaceAll('&amp;', '&')
      res = await form(new URL('/signin', auth.issuer), {
        username,
        password: PASSWORD,
        return_to: returnTo,
      })
    } else {
      const request = /name="request" value="([^"]+)"/.exec(page)
      expect(request, `a consent page at ${url.pathname}`).not.toBeNull()
      res = await form(new URL('/authorize/consent', auth.issuer), {
        request: request![1]!,
        decision: 'allow',
      })
    }
  }
  throw new Error('the browser never got back to the client')
}

async function newUser(): Promise<string> {
  const username = `mcp-${crypto.randomUUID().slice(0, 8)}`
  const res = await fetch(new URL('/register', auth.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  expect(res.status).toBe(201)
  return username
}

/** connect() as an MCP host does: on UnauthorizedError, the browser step, finishAuth, again. */
async function connect(provider: MemoryProvider, username: string): Promise<Client> {
  const transport = () =>
    new StreamableHTTPClientTransport(new URL(mcp.resource), { authProvider: provider })
  const client = new Client({ name: 'edge-auth-ci', version: '1.0.0' })
  try {
    await client.connect(transport())
    return client
  } catch (err) {
    if (!(err instanceof UnauthorizedError)) throw err
  }
  const callback = await signInAndAllow(provider.authorizationUrl!, username)
  expect(callback.searchParams.get('state')).toBe(provider.lastState)
  // The SDK's v1 client ignores iss (RFC 9207); a host should check it, as here.
  expect(callback.searchParams.get('iss')).toBe(auth.issuer)
  const finishing = transport()
  await finishing.finishAuth(callback.searchParams.get('code')!)
  const signedIn = new Client({ name: 'edge-auth-ci', version: '1.0.0' })
  await signedIn.connect(transport())
  return signedIn
}

const whoami = async (client: Client) => {
  const result = await client.callTool({ name: 'whoami', arguments: {} })
  return JSON.parse((result.content as { text: string }[])[0]!.text) as Record<string, unknown>
}

describe('the MCP SDK client with edge-auth as its authorization server', () => {
  it('registers by RFC 7591, signs in, consents, calls a tool, and refreshes', async () => {
    const provider = new MemoryProvider()
    const username = await newUser()
    const client = await connect(provider, username)
    expect(provider.client?.client_id).toBeTruthy()
    expect(provider.saved?.refresh_token).toMatch(/^app\./)
    const me = await whoami(client)
    expect(me).toMatchObject({ client_id: provider.client!.client_id })
    // The SDK asks for the scope the 401 challenge named: the example's base scope.
    expect(me.scopes).toEqual(['notes:read'])

    // The access token is refused (as once it has expired): the SDK refreshes and retries.
    const before = provider.saved!
    provider.saved = { ...before, access_token: 'expired' }
    await whoami(client)
    expect(provider.saved!.refresh_token).not.toBe(before.refresh_token)
    await client.close()
  }, 30_000)

  it('brings a returning user straight back: signed in again, consent remembered', async () => {
    const provider = new MemoryProvider()
    const username = await newUser()
    await (await connect(provider, username)).close()
    // The host lost its tokens (a new machine, a cleared store): the same client authorizes again.
    provider.invalidateCredentials('tokens')
    const again = await connect(provider, username)
    expect(await whoami(again)).toMatchObject({ client_id: provider.client!.client_id })
    await again.close()
  }, 30_000)

  it('keeps every parallel caller signed in when they race one refresh token', async () => {
    const provider = new MemoryProvider()
    const client = await connect(provider, await newUser())
    const clients = [
      client,
      ...(await Promise.all(
        [1, 2].map(async () => {
          const more = new Client({ name: 'edge-auth-ci', version: '1.0.0' })
          await more.connect(
            new StreamableHTTPClientTransport(new URL(mcp.resource), { authProvider: provider }),
          )
          return more
        }),
      )),
    ]
    provider.saved = { ...provider.saved!, access_token: 'expired' }
    const answers = await Promise.all(clients.map(whoami))
    expect(answers).toHaveLength(3)
    // Still signed in: one more call needs no new authorization.
    await whoami(client)
    expect(provider.authorizationUrl).toBeDefined()
    await Promise.all(clients.map((c) => c.close()))
  }, 30_000)

  it('uses a Client ID Metadata Document when the server offers it, with no registration', async () => {
    const provider = new MemoryProvider(DOCUMENT_URL)
    const client = await connect(provider, await newUser())
    expect(provider.client?.client_id).toBe(DOCUMENT_URL)
    expect(documentFetches.length).toBeGreaterThan(0)
    expect(await whoami(client)).toMatchObject({ client_id: DOCUMENT_URL })
    await client.close()
  }, 30_000)
})
