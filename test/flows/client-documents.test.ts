// Client ID Metadata Documents: an app whose client_id is an https URL, served here by a double of
// the network (the worker's outbound fetch), authorizes with no registration; and every document
// or URL the rules refuse leads to a page here, never to a redirect or a token.
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as oauth from 'oauth4webapi'
import { bearer, cookieSession, refresh } from '../helpers'
import {
  REDIRECT_URI,
  authorizePath,
  browse,
  cookieHeader,
  discover,
  options,
  pkce,
  tokensFor,
} from '../oauth-server/flow'
import {
  cacheSeconds,
  checkDocument,
  checkDocumentUrl,
} from '../../src/services/oauth-server/client-documents'

const CLIENT_ID = 'https://notes-app.example/oauth/client.json'
/** A document URL no earlier test has had cached. */
const freshId = () => `https://notes-app.example/oauth/${crypto.randomUUID()}.json`

/** The network as the worker sees it: `documents` by URL, anything else refused. */
function serve(documents: Record<string, () => Response>) {
  const seen: string[] = []
  const real = globalThis.fetch
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input)
    const answer = documents[url]
    if (!answer) return real(input, init)
    seen.push(url)
    return answer()
  })
  return seen
}

const json =
  (body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      headers: { 'content-type': 'application/json', ...headers },
    })

const document = (overrides: Record<string, unknown> = {}, clientId = CLIENT_ID) => ({
  client_id: clientId,
  client_name: 'Notes (document)',
  redirect_uris: [REDIRECT_URI],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  ...overrides,
})

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('a client identified by its metadata document', () => {
  it('is advertised, and authorizes end to end with no registration', async () => {
    const as = await discover()
    expect(as.client_id_metadata_document_supported).toBe(true)
    const seen = serve({ [CLIENT_ID]: json(document(), { 'cache-control': 'max-age=600' }) })
    const { cookie } = await cookieSession()
    const client: oauth.Client = { client_id: CLIENT_ID, token_endpoint_auth_method: 'none' }
    const tokens = await tokensFor(as, client, cookie)
    expect(tokens.access_token).toBeTruthy()
    // The consent page fetched it once; the token endpoint read the cache.
    expect(seen).toEqual([CLIENT_ID])
    const res = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.None(),
      tokens.refresh_token!,
      options(),
    )
    expect((await oauth.processRefreshTokenResponse(as, client, res)).access_token).toBeTruthy()
    // The connected apps list names it as the consent page did: it has no registration row.
    const access = ((await (await refresh(cookie)).json()) as { accessToken: string }).accessToken
    const apps = (await (await browse('/users/me/grants', bearer(access))).json()) as {
      clientId: string
      clientName: string
    }[]
    expect(apps).toEqual([
      expect.objectContaining({ clientId: CLIENT_ID, clientName: 'Notes (document)' }),
    ])
  })

  it('names the host that vouches for the app on the consent page', async () => {
    serve({ [CLIENT_ID]: json(document()) })
    const { cookie } = await cookieSession()
    const { challenge } = await pkce()
    const page = await browse(authorizePath(CLIENT_ID, { code_challenge: challenge }), {
      headers: { cookie: cookieHeader(cookie) },
    })
    const text = await page.text()
    expect(page.status).toBe(200)
    expect(text).toContain('notes-app.example')
    expect(text).toContain('Notes (document)')
  })

  it.each([
    ['another client_id', { client_id: 'https://evil.example/client.json' }],
    ['a secret', { client_secret: 'x' }],
    ['client_secret_basic', { token_endpoint_auth_method: 'client_secret_basic' }],
    ['no redirect_uris', { redirect_uris: [] }],
    ['a javascript: redirect', { redirect_uris: ['javascript:alert(1)'] }],
    ['the implicit grant', { grant_types: ['implicit'] }],
    ['an array', null],
  ])('refuses a document with %s: a page, no redirect', async (_, overrides) => {
    const id = freshId()
    serve({ [id]: json(overrides === null ? [document({}, id)] : document(overrides, id)) })
    const { challenge } = await pkce()
    const res = await browse(authorizePath(id, { code_challenge: challenge }))
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
  })

  it('refuses a redirect the document does not list, and never follows a redirect to fetch it', async () => {
    const id = freshId()
    serve({ [id]: json(document({}, id)) })
    const { challenge } = await pkce()
    const other = await browse(
      authorizePath(id, {
        code_challenge: challenge,
        redirect_uri: 'https://notes-app.example/other',
      }),
    )
    expect(other.status).toBe(400)
    expect(other.headers.get('location')).toBeNull()
    const moved = 'https://notes-app.example/oauth/moved.json'
    serve({
      [moved]: () =>
        new Response(null, { status: 302, headers: { location: 'http://169.254.169.254/' } }),
    })
    const res = await browse(authorizePath(moved, { code_challenge: challenge }))
    expect(res.status).toBe(400)
  })

  it('refuses an oversized or non-JSON document', async () => {
    const big = 'https://notes-app.example/big.json'
    const html = 'https://notes-app.example/page.json'
    serve({
      [big]: json(document({ client_id: big, client_name: 'x'.repeat(20_000) })),
      [html]: () => new Response('<html>', { headers: { 'content-type': 'text/html' } }),
    })
    const { challenge } = await pkce()
    for (const id of [big, html]) {
      const res = await browse(authorizePath(id, { code_challenge: challenge }))
      expect(res.status).toBe(400)
    }
  })

  it('fetches a no-store document every time instead of caching it', async () => {
    const id = freshId()
    const seen = serve({ [id]: json(document({}, id), { 'cache-control': 'no-store' }) })
    const { challenge } = await pkce()
    for (let i = 0; i < 2; i++) {
      await browse(authorizePath(id, { code_challenge: challenge }))
    }
    expect(seen).toHaveLength(2)
  })
})

describe('client id URLs', () => {
  it.each([
    ['http', 'http://notes-app.example/client.json'],
    ['the root path', 'https://notes-app.example/'],
    ['a dot segment', 'https://notes-app.example/a/../client.json'],
    ['an encoded dot segment', 'https://notes-app.example/a/%2e%2e/client.json'],
    ['a fragment', 'https://notes-app.example/client.json#x'],
    ['userinfo', 'https://me@notes-app.example/client.json'],
    ['an IP address', 'https://127.0.0.1/client.json'],
    ['link-local', 'https://[fe80::1]/client.json'],
    ['a port', 'https://notes-app.example:8443/client.json'],
    ['localhost', 'https://localhost/client.json'],
  ])('refuses %s before any fetch', (_, url) => {
    expect(checkDocumentUrl(url)).toBeNull()
  })

  it('accepts a named https host with a path (and a query)', () => {
    expect(checkDocumentUrl(CLIENT_ID)?.href).toBe(CLIENT_ID)
    expect(checkDocumentUrl(`${CLIENT_ID}?v=2`)).not.toBeNull()
  })

  it.each([
    ['a pairwise subject', { subject_type: 'pairwise' }],
    ['signed UserInfo', { userinfo_signed_response_alg: 'RS256' }],
    ['encrypted ID tokens', { id_token_encrypted_response_alg: 'RSA-OAEP' }],
    ['request objects', { request_object_signing_alg: 'RS256' }],
  ])('refuses a document asking for %s, as registration does', (_, asked) => {
    expect(checkDocument(CLIENT_ID, document(asked))).toHaveProperty('refused')
    expect(checkDocument(CLIENT_ID, document())).not.toHaveProperty('refused')
  })

  it('caches as Cache-Control says, within a day', () => {
    expect(cacheSeconds(null)).toBe(300)
    expect(cacheSeconds('public, max-age=120')).toBe(120)
    expect(cacheSeconds('max-age=9999999')).toBe(86400)
    expect(cacheSeconds('no-store')).toBe(0)
    expect(cacheSeconds('max-age=-1')).toBe(0)
  })
})
