// @cloudflare/workers-oauth-provider 1.2.3 beside edge-auth: see README.md in this folder.
import { createHash, randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { refreshChains } from '../../harness/load.mjs'

// The worker's canonical resource is http://localhost:8787/api (worker.mjs), and the provider
// checks a token's audience against the request URL, which workerd builds from the Host header.
// Every request the bench sends therefore names that host, as a browser at a deployment would.
const HOST = 'localhost:8787'
const RESOURCE = `http://${HOST}/api`
const REDIRECT_URI = 'http://127.0.0.1/callback' // loopback: never followed, the code is read off
const FORM = 'application/x-www-form-urlencoded'

/** One HTTP request to the worker with `Host` set (fetch() may not set it). */
function send(worker, { method = 'GET', path, headers = {}, body }) {
  const { hostname, port } = new URL(worker.url)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, method, path, headers: { host: HOST, ...headers } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

function expect(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${res.text}`)
  return res
}

const base64url = (buffer) => buffer.toString('base64url')

/**
 * The app's /authorize for the bench user with PKCE (S256): the provider's parseAuthRequest() and
 * completeAuthorization(), which records a grant and redirects with its code (worker.mjs). Each
 * call makes its own grant, so the refresh tokens of two codes are independent.
 */
async function mintCode(worker, clientId) {
  const verifier = base64url(randomBytes(32))
  const state = base64url(randomBytes(16))
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'profile',
    state,
    code_challenge: base64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    resource: RESOURCE,
  })
  const redirect = expect(await send(worker, { path: `/authorize?${query}` }), 302, '/authorize')
  const back = new URL(redirect.headers.location)
  if (back.searchParams.get('state') !== state) throw new Error('/authorize: state mismatch')
  return { code: back.searchParams.get('code'), verifier }
}

/** The code exchange's form, as a public client sends it. */
const exchangeForm = (clientId, { code, verifier }) =>
  new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
    client_id: clientId, // a public client authenticates by client_id alone (method "none")
    resource: RESOURCE,
  }).toString()

/** POST /token with a code from mintCode(): the grant's first tokens. */
async function exchange(worker, clientId, pair) {
  const exchanged = await send(worker, {
    method: 'POST',
    path: '/token',
    headers: { 'content-type': FORM },
    body: exchangeForm(clientId, pair),
  })
  return JSON.parse(expect(exchanged, 200, '/token (authorization_code)').text)
}

/** One authorization of the bench user through the real flow: a code, then its exchange. */
const authorize = async (worker, clientId) =>
  exchange(worker, clientId, await mintCode(worker, clientId))

export const peer = {
  name: 'workers-oauth-provider',
  label: '@cloudflare/workers-oauth-provider@1.2.3, KV',
  entry: new URL('./worker.mjs', import.meta.url).pathname,
  compatibilityFlags: [],
  kvNamespaces: ['OAUTH_KV'],
  d1Databases: [],
  bindings: {},
  sql: [],

  /** A public client registered through DCR, then `chains` + 1 authorizations over HTTP. */
  async setup(worker, { chains }) {
    const registered = await send(worker, {
      method: 'POST',
      path: '/register',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'edge-auth bench',
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none', // a public client, like edge-auth's SDK in a browser
      }),
    })
    const clientId = JSON.parse(expect(registered, 201, '/register').text).client_id

    const tokens = []
    for (let i = 0; i < chains; i++) tokens.push((await authorize(worker, clientId)).refresh_token)
    // The authenticated reads use an access token of a grant of their own (1 hour lifetime).
    const { access_token: accessToken } = await authorize(worker, clientId)
    expect(
      await send(worker, {
        path: '/api/users',
        headers: { authorization: `Bearer ${accessToken}` },
      }),
      200,
      'GET /api/users',
    )
    return { clientId, tokens, accessToken }
  },

  operations: {
    /** POST /token, grant_type=refresh_token: rotates the grant's refresh token. */
    refresh: (ctx) =>
      refreshChains({
        path: '/token',
        tokens: ctx.tokens,
        present: (token) => ({
          headers: { host: HOST, 'content-type': FORM },
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: token,
            client_id: ctx.clientId,
          }).toString(),
        }),
        nextToken: (body) => JSON.parse(body).refresh_token,
      }),

    /** GET /api/users with the opaque access token, which the provider looks up in KV. */
    tokenCheck: (ctx) => () => ({
      path: '/api/users',
      method: 'GET',
      headers: { host: HOST, authorization: `Bearer ${ctx.accessToken}` },
    }),
  },

  /**
   * The code exchange, for bench/authorization-server.mjs: codes minted through the app's
   * /authorize (completeAuthorization()) before the run, each redeemed once at POST /token.
   */
  authorizationServer: {
    mintCode: (worker, ctx) => mintCode(worker, ctx.clientId),
    exchange: (worker, ctx, pair) => exchange(worker, ctx.clientId, pair),
    /** POST /token, grant_type=authorization_code, a code from `pool` (pool.take()) each time. */
    codeExchange: (ctx, pool) => () => ({
      requests: [
        {
          method: 'POST',
          path: '/token',
          setupRequest: (req) => ({
            ...req,
            headers: { host: HOST, 'content-type': FORM },
            body: exchangeForm(ctx.clientId, pool.take()),
          }),
        },
      ],
    }),
  },
}
