// A federated sign-in for the bench, in Node and offline: a stand-in OpenID provider on a loopback
// port, and the scenario that drives edge-auth's GET /signin/{id} and its callback against it.
//
// The stand-in is the least a real provider does for an authorization-code sign-in with PKCE:
// discovery (its `issuer` exactly its http://127.0.0.1:<port> origin, which a loopback issuer
// may be: src/federation/providers.ts), a JWKS with one ES256 key, `/authorize` that signs the
// one bench person in at once and redirects back with a single-use code bound to the request's
// nonce, code_challenge, client and redirect_uri, and `/token` that checks the client (HTTP
// Basic), the code and its S256 verifier and answers an ID token signed with that key. It counts
// the calls made to each endpoint, so the bench can say which of a sign-in's outbound round trips
// a user waits on (the token endpoint's, every time; discovery and the keys are cached).
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { createServer } from 'node:http'

/** The provider id the bench configures: the routes are /signin/bench and its callback. */
export const PROVIDER = 'bench'
export const STATE_COOKIE = `__Host-federation-${PROVIDER}`
export const REFRESH_COOKIE = '__Host-refresh_token'

const CLIENT_ID = 'edge-auth-bench'
/** A code is redeemed within this long, or never (real providers: 30 s to 10 minutes). */
const CODE_TTL_MS = 10 * 60 * 1000
const ID_TOKEN_TTL_S = 300

const b64url = (data) => Buffer.from(data).toString('base64url')
const sha256 = (data) => createHash('sha256').update(data).digest()

/** The person who signs in at the stand-in: the same subject every time (a returning user). */
const PERSON = {
  sub: 'bench-person-1',
  email: 'bench-person@example.org',
  email_verified: true,
}

/** Starts the stand-in provider; resolves once it listens. */
export async function startStandInProvider() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const kid = b64url(randomBytes(8))
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }
  const clientSecret = b64url(randomBytes(32))
  /** code → what it was issued for; deleted when redeemed or refused. */
  const codes = new Map()
  const calls = { discovery: 0, jwks: 0, authorize: 0, token: 0 }
  let issuer = ''

  const idToken = (claims) => {
    const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid }))
    const payload = b64url(JSON.stringify(claims))
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), {
      key: privateKey,
      dsaEncoding: 'ieee-p1363',
    })
    return `${header}.${payload}.${b64url(signature)}`
  }

  const send = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(body === null ? undefined : JSON.stringify(body))
  }

  /** RFC 6749 §2.3.1: Basic credentials, each part form-encoded. */
  const clientOf = (header) => {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '')
    if (!match) return null
    const [id, secret] = Buffer.from(match[1], 'base64').toString('utf8').split(':')
    const decode = (part) => decodeURIComponent((part ?? '').replace(/\+/g, ' '))
    return { id: decode(id), secret: decode(secret) }
  }

  function authorize(url, res) {
    const q = url.searchParams
    const redirectUri = q.get('redirect_uri')
    if (
      q.get('response_type') !== 'code' ||
      q.get('client_id') !== CLIENT_ID ||
      q.get('code_challenge_method') !== 'S256' ||
      !q.get('code_challenge') ||
      !q.get('nonce') ||
      !q.get('state') ||
      !redirectUri ||
      !q.get('scope')?.split(' ').includes('openid')
    ) {
      return send(res, 400, { error: 'invalid_request' })
    }
    const code = b64url(randomBytes(24))
    codes.set(code, {
      redirectUri,
      nonce: q.get('nonce'),
      challenge: q.get('code_challenge'),
      expiresAt: Date.now() + CODE_TTL_MS,
    })
    const back = new URL(redirectUri)
    back.searchParams.set('code', code)
    back.searchParams.set('state', q.get('state'))
    back.searchParams.set('iss', issuer) // RFC 9207, as discovery promises
    send(res, 302, null, { location: back.href })
  }

  function token(req, body, res) {
    const client = clientOf(req.headers.authorization)
    if (client?.id !== CLIENT_ID || client.secret !== clientSecret) {
      return send(res, 401, { error: 'invalid_client' })
    }
    const form = new URLSearchParams(body)
    const code = form.get('code') ?? ''
    const issued = codes.get(code)
    codes.delete(code) // single use, whatever the outcome
    const verifier = form.get('code_verifier') ?? ''
    if (
      form.get('grant_type') !== 'authorization_code' ||
      !issued ||
      issued.expiresAt <= Date.now() ||
      form.get('redirect_uri') !== issued.redirectUri ||
      b64url(sha256(verifier)) !== issued.challenge
    ) {
      return send(res, 400, { error: 'invalid_grant' })
    }
    const iat = Math.floor(Date.now() / 1000)
    send(res, 200, {
      access_token: b64url(randomBytes(24)),
      token_type: 'Bearer',
      expires_in: 3600,
      id_token: idToken({
        iss: issuer,
        aud: CLIENT_ID,
        sub: PERSON.sub,
        nonce: issued.nonce,
        iat,
        exp: iat + ID_TOKEN_TTL_S,
        email: PERSON.email,
        email_verified: PERSON.email_verified,
      }),
    })
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url, issuer)
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      const route = `${req.method} ${url.pathname}`
      if (route === 'GET /.well-known/openid-configuration') {
        calls.discovery++
        return send(res, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['ES256'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic'],
          authorization_response_iss_parameter_supported: true,
        })
      }
      if (route === 'GET /jwks') {
        calls.jwks++
        return send(res, 200, { keys: [jwk] })
      }
      if (route === 'GET /authorize') {
        calls.authorize++
        return authorize(url, res)
      }
      if (route === 'POST /token') {
        calls.token++
        return token(req, Buffer.concat(chunks).toString('utf8'), res)
      }
      send(res, 404, { error: 'not_found' })
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${server.address().port}`

  return {
    issuer,
    /** The worker's bindings for it: AUTH_PROVIDERS and the client secret, as a deploy sets them. */
    bindings: {
      AUTH_PROVIDERS: JSON.stringify({
        [PROVIDER]: { type: 'oidc', issuer, clientId: CLIENT_ID, name: 'Bench IdP' },
      }),
      [`PROVIDER_${PROVIDER.toUpperCase()}_CLIENT_SECRET`]: clientSecret,
    },
    /** Calls to each endpoint since the last take, and resets them. */
    takeCalls() {
      const taken = { ...calls }
      for (const key of Object.keys(calls)) calls[key] = 0
      return taken
    },
    stop: () => new Promise((resolve) => server.close(resolve)),
  }
}

/** The value a Set-Cookie line (among `lines`) gives cookie `name`, or undefined. */
const cookieIn = (lines, name) =>
  [lines]
    .flat()
    .find((line) => line?.startsWith(`${name}=`))
    ?.split(';')[0]
    .slice(name.length + 1)

/**
 * One sign-in up to the callback, as a browser gets there: GET /signin/bench (its state cookie
 * and the authorization URL), then the stand-in's /authorize (the callback URL it redirects to).
 * Returns the callback's path and query and the cookie to bring.
 */
export async function startedSignIn(workerUrl) {
  const start = await fetch(`${workerUrl}/signin/${PROVIDER}?return_to=%2Faccount`, {
    redirect: 'manual',
  })
  const state = cookieIn(start.headers.getSetCookie(), STATE_COOKIE)
  const authorizeUrl = start.headers.get('location')
  if (start.status !== 302 || !state || !authorizeUrl) {
    throw new Error(`GET /signin/${PROVIDER}: ${start.status} ${await start.text()}`)
  }
  const authorized = await fetch(authorizeUrl, { redirect: 'manual' })
  const back = new URL(authorized.headers.get('location') ?? '', workerUrl)
  await authorized.body?.cancel()
  if (authorized.status !== 302 || back.origin !== new URL(workerUrl).origin) {
    throw new Error(`stand-in /authorize: ${authorized.status}`)
  }
  return { path: back.pathname + back.search, cookie: `${STATE_COOKIE}=${state}` }
}

/** `count` started sign-ins, `parallel` at a time (preparing them is not what is measured). */
export async function startedSignIns(workerUrl, count, parallel = 8) {
  const out = []
  const next = async () => {
    while (out.length < count) {
      const slot = out.length
      out.push(null)
      out[slot] = await startedSignIn(workerUrl)
    }
  }
  await Promise.all(Array.from({ length: parallel }, next))
  return out
}

/**
 * autocannon's options for GET /signin/bench/callback: each request takes a started sign-in from
 * `pool` (one it has not used: codes and states are single-use). A callback that works answers
 * 303 with the refresh cookie (the run counts any other status as a failure; a 303 without the
 * cookie is counted in `refused`). Keep the pool larger than the run can use.
 */
export const callbacks = (pool, refused) => () => ({
  requests: [
    {
      method: 'GET',
      setupRequest: (req) => {
        const next = pool.shift()
        if (!next) throw new Error('bench: the started sign-ins ran out; make the pool larger')
        return { ...req, path: next.path, headers: { cookie: next.cookie } }
      },
      onResponse: (status, _body, _context, headers) => {
        const setCookie = Object.entries(headers).find(([name]) => /^set-cookie$/i.test(name))?.[1]
        if (status === 303 && !cookieIn(setCookie, REFRESH_COOKIE)) refused.count++
      },
    },
  ],
})

/** The provider calls each of `count` requests made one after another (after the runs) waits on. */
async function outboundPer(worker, provider, count, request) {
  provider.takeCalls()
  for (let i = 0; i < count; i++) {
    const res = await request(i)
    await res.body?.cancel()
    if (res.status >= 400) throw new Error(`bench: a federated sign-in answered ${res.status}`)
  }
  const calls = provider.takeCalls()
  return {
    discovery: calls.discovery / count,
    jwks: calls.jwks / count,
    token: calls.token / count,
  }
}

const get = (worker, path, cookie) =>
  fetch(worker.url + path, { headers: cookie ? { cookie } : {}, redirect: 'manual' })

/**
 * The scenario: GET /signin/bench (the start, no storage), then its callback for a returning
 * user, each measured like the other sign-ins (one connection). `run(target, options,
 * connections, { status })` is the bench's own measurement; `seconds` the warm-up and run it
 * does, `stepCount` the requests each half of its storage-steps count makes.
 */
export async function federatedSignInRuns({ worker, provider, run, seconds, stepCount }) {
  // The first sign-in creates the account (and warms discovery and the keys): every measured
  // callback after it is the same person coming back.
  const [first] = await startedSignIns(worker.url, 1)
  const created = await get(worker, first.path, first.cookie)
  await created.body?.cancel()
  if (created.status !== 303) throw new Error(`first federated sign-in: ${created.status}`)
  const startPath = `/signin/${PROVIDER}?return_to=%2Faccount`
  const start = await run(worker, () => ({ path: startPath }), 1, { status: 302 })

  // Started sign-ins are single-use: enough for the warm-up, the run and the steps' two passes,
  // at four times the rate a short sequential sample shows. autocannon's 8 connections beat one
  // fetch at a time by more than twice when the machine is otherwise busy (a CI run that ran out
  // at twice).
  const sample = await startedSignIns(worker.url, 10)
  const began = performance.now()
  for (const { path, cookie } of sample) {
    await (await get(worker, path, cookie)).text()
  }
  const perSecond = (sample.length * 1000) / (performance.now() - began)
  const pool = await startedSignIns(
    worker.url,
    Math.ceil(perSecond * seconds * 4) + 2 * stepCount + 20,
  )
  const refused = { count: 0 }
  const callback = await run(worker, callbacks(pool, refused), 1, { status: 303 })
  const more = await startedSignIns(worker.url, 20)
  return {
    federatedStart: {
      ...start,
      outbound: await outboundPer(worker, provider, 20, () => get(worker, startPath)),
    },
    federatedCallback: {
      ...callback,
      // A 303 without the refresh cookie signed no one in either.
      non2xx: callback.non2xx + refused.count,
      outbound: await outboundPer(worker, provider, 20, (i) =>
        get(worker, more[i].path, more[i].cookie),
      ),
    },
  }
}
