// The authorization server for third-party apps, benched beside @cloudflare/workers-oauth-provider
// on the same workerd (issue 22): the code exchange, the refresh of a grant, the resource's
// check of an access token, and (issue 26) UserInfo with an OpenID app's access token. Each side
// through its real flows over HTTP.
//
// edge-auth runs with JWT_ISSUER = its own loopback origin and one PROTECTED_RESOURCES entry. A
// public client registers by POST /oauth/register; a user signs in by cookie, allows the client
// once on the consent page, and every later GET /authorize (consent remembered) answers 303 with
// a code. Codes are single-use and live 60 s (src/services/oauth-server/authorize.ts), so a pool
// is minted just before each exchange run, outside the measurement, large enough for it. The
// resource side is bench/resource/worker.mjs: edge-auth/resource's authenticate() with the key
// set fetched once from edge-auth and then cached in the isolate (the warm path every request
// but an isolate's first takes).
import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { refreshChains } from './harness/load.mjs'
import { bundleInstrumented, startWorker } from './harness/workers.mjs'

/** The one protected resource: http on a loopback host, as local development may name one. */
export const RESOURCE = 'http://localhost:8788/notes'
const SCOPES = ['notes:read', 'notes:write']
/** What a relying party asks to sign a user in and read their profile at UserInfo. */
const OPENID_SCOPE = 'openid profile'
const REDIRECT_URI = 'http://127.0.0.1/callback' // loopback: never followed, the code is read off
const FORM = 'application/x-www-form-urlencoded'
const REFRESH_COOKIE = '__Host-refresh_token'
/** Codes the measured runs may not use up: the minting must finish well within their 60 s life. */
const CODE_LIFE_BUDGET_MS = 45_000
/** Exchanges made to learn the rate the pool must feed (autocannon's, roughly). */
const SAMPLE_EXCHANGES = 48

const b64url = (buffer) => Buffer.from(buffer).toString('base64url')

/** A port free on loopback now, for a worker that must know its origin before it starts. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** edge-auth's bindings that turn the authorization server on, for a worker at `origin`. */
export const authorizationServerBindings = (origin) => ({
  JWT_ISSUER: origin,
  PROTECTED_RESOURCES: JSON.stringify([
    { resource: RESOURCE, name: 'Bench notes', scopes: SCOPES },
  ]),
})

/** The resource server Worker, trusting `issuer`'s tokens for RESOURCE. */
export async function startResource(issuer) {
  return startWorker({
    name: 'edge-auth-resource',
    scriptPath: await bundleInstrumented(
      'edge-auth-resource',
      join(new URL('.', import.meta.url).pathname, 'resource/worker.mjs'),
    ),
    bindings: { ISSUER: issuer, RESOURCE },
  })
}

/**
 * Single-use items taken by a run's requests. When they run out, `take()` still answers (with
 * `spent`, which the server refuses, so the run fails on its non-2xx count) and counts it, so the
 * bench can say why instead of crashing autocannon mid-run.
 */
export function singleUsePool(items, spent) {
  return {
    items,
    ranOut: 0,
    take() {
      const next = this.items.shift()
      if (next) return next
      this.ranOut++
      return spent
    },
  }
}

/** `count` results of `mint()`, `parallel` at a time, in the order they were minted. */
async function mintMany(mint, count, parallel = 8) {
  const out = []
  let started = 0
  const next = async () => {
    while (started < count) {
      const slot = started++
      out[slot] = await mint()
    }
  }
  await Promise.all(Array.from({ length: parallel }, next))
  return out
}

const pkcePair = () => {
  const verifier = b64url(randomBytes(32))
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) }
}

async function expectStatus(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${await res.text()}`)
  return res
}

/** The refresh cookie's value among Set-Cookie lines. */
const refreshCookieIn = (lines) =>
  lines
    .find((line) => line.startsWith(`${REFRESH_COOKIE}=`))
    ?.split(';')[0]
    .slice(REFRESH_COOKIE.length + 1)

/**
 * edge-auth as an app's authorization server: a public client, a user signed in by cookie who
 * has allowed it once, and the ways to mint a code and to redeem one.
 */
async function edgeAuthApp(worker, { username, password }) {
  const url = worker.url
  const registered = await fetch(`${url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'edge-auth bench',
      redirect_uris: [REDIRECT_URI],
      // RFC 7591's default is authorization_code alone: no refresh token, no session.
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none', // a public client, as MCP clients and native apps are
    }),
  })
  const clientId = (await (await expectStatus(registered, 201, '/oauth/register')).json()).client_id
  await expectStatus(
    await fetch(`${url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    }),
    201,
    '/register',
  )
  const login = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ username, password, mode: 'cookie' }),
  })
  await expectStatus(login, 200, '/login (cookie)')
  const cookie = `${REFRESH_COOKIE}=${refreshCookieIn(login.headers.getSetCookie())}`

  /** A request for the resource's scopes, or (`openid`) an OpenID request for UserInfo. */
  const authorizePath = (challenge, { openid = false } = {}) =>
    '/authorize?' +
    new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...(openid
        ? { scope: OPENID_SCOPE, nonce: b64url(randomBytes(12)) }
        : { resource: RESOURCE, scope: SCOPES.join(' ') }),
      state: b64url(randomBytes(12)),
    })
  const codeOf = (res) => {
    const code = new URL(res.headers.get('location') ?? '', url).searchParams.get('code')
    if (res.status !== 303 || !code) throw new Error(`/authorize: ${res.status}, no code`)
    return code
  }

  // Once: the consent page, then Allow; the grant is remembered for every later authorization.
  const consent = async (options) => {
    const { challenge, verifier } = pkcePair()
    const page = await fetch(url + authorizePath(challenge, options), { headers: { cookie } })
    const html = await (await expectStatus(page, 200, '/authorize (consent page)')).text()
    const request = /name="request" value="([^"]+)"/.exec(html)?.[1]
    if (!request) throw new Error('/authorize: no consent form')
    const allowed = await fetch(`${url}/authorize/consent`, {
      method: 'POST',
      headers: { 'content-type': FORM, origin: url, cookie },
      body: new URLSearchParams({ request, decision: 'allow' }),
      redirect: 'manual',
    })
    return { code: codeOf(allowed), verifier }
  }
  await consent()

  /** GET /authorize as the signed-in browser: consent given, so 303 to the app with a code. */
  const mintCode = async () => {
    const { verifier, challenge } = pkcePair()
    const res = await fetch(url + authorizePath(challenge), {
      headers: { cookie },
      redirect: 'manual',
    })
    await res.body?.cancel()
    return { code: codeOf(res), verifier }
  }
  const exchangeBody = ({ code, verifier }, { openid = false } = {}) =>
    new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT_URI,
      client_id: clientId,
      ...(openid ? {} : { resource: RESOURCE }),
    }).toString()
  const exchange = async (pair) => {
    const res = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: exchangeBody(pair),
    })
    const tokens = await (await expectStatus(res, 200, '/oauth/token (authorization_code)')).json()
    if (!tokens.refresh_token?.startsWith('app.')) throw new Error('/oauth/token: no refresh token')
    return tokens
  }
  /**
   * An access token for UserInfo: the user allows an OpenID request (`openid profile`, no
   * resource, a nonce) and its code is redeemed; the token's audience is the UserInfo endpoint.
   */
  const openIdAccessToken = async () => {
    const pair = await consent({ openid: true })
    const res = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: exchangeBody(pair, { openid: true }),
    })
    const tokens = await (await expectStatus(res, 200, '/oauth/token (OpenID code)')).json()
    if (!tokens.id_token) throw new Error('/oauth/token: an OpenID request answered no ID token')
    return tokens.access_token
  }
  return {
    clientId,
    mintCode,
    exchange,
    openIdAccessToken,
    /** POST /oauth/token, grant_type=authorization_code, a code from `pool` each time. */
    codeExchange: (pool) => () => ({
      requests: [
        {
          method: 'POST',
          path: '/oauth/token',
          setupRequest: (req) => ({
            ...req,
            headers: { 'content-type': FORM },
            body: exchangeBody(pool.take()),
          }),
        },
      ],
    }),
    /** POST /oauth/token, grant_type=refresh_token, along chains of `app.` refresh tokens. */
    grantRefresh: (tokens) =>
      refreshChains({
        path: '/oauth/token',
        tokens,
        present: (token) => ({
          headers: { 'content-type': FORM },
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: token,
            client_id: clientId,
          }).toString(),
        }),
        nextToken: (body) => JSON.parse(body).refresh_token,
      }),
  }
}

/**
 * A code-exchange run: a pool of fresh codes minted by `mintCode`, sized from a sample of
 * `exchange` made as the run makes them (8 at a time; autocannon is quicker than fetch), at 2.5
 * times that rate and 500 more, then `measure(pool)`. Fails if the pool ran out or the minting took longer
 * than codes may wait.
 */
async function exchangeRun({ label, mintCode, exchange, measure, seconds, stepCount }) {
  const sample = await mintMany(mintCode, SAMPLE_EXCHANGES)
  const began = performance.now()
  await mintMany(() => exchange(sample.shift()), SAMPLE_EXCHANGES)
  const perSecond = (SAMPLE_EXCHANGES * 1000) / (performance.now() - began)
  // The margin is wide for short runs, where a warm server outpaces the cold sample most.
  const count = Math.ceil(perSecond * seconds * 2.5) + 2 * stepCount + 500
  const minting = performance.now()
  const codes = await mintMany(mintCode, count)
  const mintedIn = performance.now() - minting
  if (mintedIn > CODE_LIFE_BUDGET_MS) {
    throw new Error(`bench: ${count} codes for ${label} took ${Math.round(mintedIn)} ms to mint`)
  }
  const pool = singleUsePool(codes, { code: 'spent', verifier: 'x'.repeat(43) })
  const result = await measure(pool)
  if (pool.ranOut > 0) {
    throw new Error(`bench: ${label} ran out of codes (${pool.ranOut}); make the pool larger`)
  }
  return {
    ...result,
    codesMinted: count,
    codesLeft: pool.items.length,
    mintSeconds: mintedIn / 1000,
  }
}

/**
 * The scenario. `ours`: edge-auth started with authorizationServerBindings(its origin);
 * `resource`: startResource(that origin); `peers`: the loaded peers, of which those with
 * `authorizationServer` join the code exchange. `run(target, options, connections, opts)` is the
 * bench's measurement; `seconds` the warm-up and run it does; `chains` the refresh chains;
 * `steps` whether to count storage steps too (the quick run leaves them out to stay short: every
 * other scenario exercises that machinery).
 */
export async function authorizationServerRuns({
  ours,
  resource,
  peers,
  run,
  seconds,
  stepCount,
  chains,
  user,
  steps,
}) {
  const measure = (target, options) => run(target, options, undefined, { steps })
  const app = await edgeAuthApp(ours, user)
  const out = { codeExchange: {}, grantRefresh: {}, resourceCheck: {}, userInfo: {} }

  out.codeExchange['edge-auth'] = await exchangeRun({
    label: 'edge-auth',
    mintCode: app.mintCode,
    exchange: app.exchange,
    measure: (pool) => measure(ours, app.codeExchange(pool)),
    seconds,
    stepCount,
  })
  for (const { peer, worker, ctx } of peers) {
    const as = peer.authorizationServer
    if (!as) continue
    out.codeExchange[peer.name] = await exchangeRun({
      label: peer.name,
      mintCode: () => as.mintCode(worker, ctx),
      exchange: (pair) => as.exchange(worker, ctx, pair),
      measure: (pool) => measure(worker, as.codeExchange(ctx, pool)),
      seconds,
      stepCount,
    })
  }

  // Chains of `app.` refresh tokens, each from its own code exchange (a session of the grant).
  const tokens = []
  for (let i = 0; i < chains; i++) {
    tokens.push((await app.exchange(await app.mintCode())).refresh_token)
  }
  out.grantRefresh['edge-auth'] = await measure(ours, app.grantRefresh(tokens))

  // An access token minted just before the run (they live PROTECTED_RESOURCES' default 300 s).
  const { access_token: accessToken } = await app.exchange(await app.mintCode())
  const headers = { authorization: `Bearer ${accessToken}` }
  const check = await fetch(`${resource.url}/notes`, { headers })
  await expectStatus(check, 200, 'resource GET /notes')
  out.resourceCheck['edge-auth'] = await measure(resource, () => ({ path: '/notes', headers }))

  // UserInfo with an OpenID app's access token (it lives 5 minutes: minted just before the run).
  // No peer has one: OpenAuth's issuer serves no UserInfo route, workers-oauth-provider neither
  // (both in node_modules), and better-auth's OpenID provider is a plugin this peer does not set
  // up (bench/peers/*/README.md).
  const userInfoToken = await app.openIdAccessToken()
  const userInfoHeaders = { authorization: `Bearer ${userInfoToken}` }
  const claims = await fetch(`${ours.url}/userinfo`, { headers: userInfoHeaders })
  const body = await (await expectStatus(claims, 200, 'GET /userinfo')).json()
  if (body.preferred_username !== user.username) throw new Error('GET /userinfo: not the user')
  out.userInfo = {
    'edge-auth': await measure(ours, () => ({ path: '/userinfo', headers: userInfoHeaders })),
  }
  return out
}
