// The OpenID Provider (issue 23) attacked from outside, with the source: ID tokens carried to the
// wrong client or endpoint, nonce and PKCE games, a prompt=none oracle, UserInfo tokens bent,
// scope games, max_age and login_hint abuse, RP-initiated logout as an open redirect or a CSRF,
// registration and discovery. Each `it` says what must NOT happen; every answer of the worker in
// this file is also checked to be under 500. The happy path: openid-provider.test.ts.
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as oauth from 'oauth4webapi'
import { protectedResource } from '../../resource/index'
import { toBase64Url } from '../../src/auth/encoding'
import {
  ORIGIN,
  PASSWORD,
  REFRESH_COOKIE,
  bearer,
  call,
  jsonInit,
  serverSigningKey,
} from '../helpers'
import { post, withCookie } from '../pages/forms'
import {
  AS_ENV,
  OTHER_RESOURCE,
  REDIRECT_URI,
  RESOURCE,
  authorizeAs,
  authorizePath,
  browse,
  codeFor,
  cookieHeader,
  expectNoServerErrors,
  redeem,
  refreshGrant,
  registerApp,
  registerRaw,
  tokenJson,
  tokenRequest,
  workerFetch,
} from '../oauth-server/flow'
import {
  LOGOUT_URI,
  OPENID,
  discoverOpenId,
  endSession,
  openIdTokens,
  signedInRp,
} from '../oauth-server/openid-flow'

// The one 5xx allowed: the 503 of an OpenID Provider without asymmetric keys (HS256), where a test sets that up.
expectNoServerErrors([503])
afterEach(() => vi.useRealTimers())

// ---- Tokens made up by the attacker (or by the server's own key, for what must still fail).

const b64json = (value: unknown) => toBase64Url(new TextEncoder().encode(JSON.stringify(value)))

const claimsOf = (jwt: string) =>
  JSON.parse(
    new TextDecoder().decode(
      Uint8Array.from(atob(jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')), (ch) =>
        ch.charCodeAt(0),
      ),
    ),
  ) as Record<string, unknown>

const headerOf = (jwt: string) =>
  JSON.parse(atob(jwt.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/'))) as Record<
    string,
    unknown
  >

/** The server's own ES256 key, for tokens whose only flaw is elsewhere than the signature. */
async function serverKey(): Promise<CryptoKey> {
  const { kty, crv, x, y, d } = serverSigningKey() as JsonWebKey
  return crypto.subtle.importKey(
    'jwk',
    { kty, crv, x, y, d },
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  )
}

/** A key the server never held. */
const foreignKey = async () =>
  (
    (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
  ).privateKey

/** A compact JWS with any header and claims, signed ES256 by `key`. */
async function forge(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key?: CryptoKey,
): Promise<string> {
  const input = `${b64json(header)}.${b64json(claims)}`
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    key ?? (await serverKey()),
    new TextEncoder().encode(input),
  )
  return `${input}.${toBase64Url(signature)}`
}

const kid = () => (serverSigningKey() as { kid: string }).kid

/** A token's signature swapped for another payload's: the classic tamper. */
const tamper = (jwt: string, change: Record<string, unknown>) => {
  const [h, , s] = jwt.split('.')
  return `${h}.${b64json({ ...claimsOf(jwt), ...change })}.${s}`
}

/** alg none, as an attacker would send it. */
const unsigned = (jwt: string, typ = 'JWT') =>
  `${b64json({ alg: 'none', typ })}.${jwt.split('.')[1]}.`

// ---- Requests.

/** GET /authorize as the browser (with this cookie or none); redirects not followed. */
const authorizeRaw = (
  cookie: string | null,
  clientId: string,
  params: Record<string, string | undefined>,
) =>
  browse(
    authorizePath(clientId, params),
    cookie === null ? {} : { headers: { cookie: cookieHeader(cookie) } },
  )

/** An error offered on a page (400, no redirect, no code, nothing set). */
async function expectRefusedPage(res: Response, error?: string) {
  expect(res.status).toBe(400)
  expect(res.headers.get('location')).toBeNull()
  expect(res.headers.get('set-cookie')).toBeNull()
  const page = await res.text()
  expect(page).not.toMatch(/[?&]code=/)
  if (error) expect(page).toContain(error)
}

const userinfo = (token: string, init: RequestInit = {}) =>
  browse('/userinfo', { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } })

async function expectInvalidToken(res: Response) {
  expect(res.status).toBe(401)
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
  expect(await res.text()).not.toContain('"sub"')
}

/** Whether the browser's sign-in (this cookie) still stands. */
const alive = async (cookie: string) =>
  (await call('/account', { headers: withCookie(cookie), redirect: 'manual' })).status === 200

/** A second sign-in of the same user, in cookie mode: another browser's session. */
async function secondBrowser(username: string) {
  const res = await call('/login', {
    ...jsonInit('POST', { username, password: PASSWORD, mode: 'cookie' }),
    headers: { 'Content-Type': 'application/json', Origin: ORIGIN },
  })
  expect(res.status).toBe(200)
  return /__Host-refresh_token=([^;]+)/.exec(res.headers.get('set-cookie')!)![1]!
}

const confirmLogout = (fields: Record<string, string>, headers: Record<string, string>) =>
  browse('/end-session/confirm', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  })

const EVIL = 'https://evil.example/landing'

describe('ID token substitution across clients', () => {
  it("does not let client B's logout use A's ID token (B's client_id, B's post-logout URI)", async () => {
    const a = await signedInRp()
    const b = await registerApp(a.as, { post_logout_redirect_uris: [EVIL] })
    const withB = await endSession(a.session.cookie, {
      id_token_hint: a.tokens.id_token!,
      client_id: b.client_id,
      post_logout_redirect_uri: EVIL,
    })
    await expectRefusedPage(withB, 'two different apps')
    const uriOfB = await endSession(a.session.cookie, {
      id_token_hint: a.tokens.id_token!,
      post_logout_redirect_uri: EVIL,
    })
    await expectRefusedPage(uriOfB)
    expect(await alive(a.session.cookie)).toBe(true)
  })

  it('takes no ID token as a bearer token: not at /userinfo, /users/me or /users', async () => {
    const { tokens } = await signedInRp()
    await expectInvalidToken(await userinfo(tokens.id_token!))
    expect((await call('/users/me', bearer(tokens.id_token!))).status).toBe(401)
    expect([401, 403]).toContain((await call('/users', bearer(tokens.id_token!))).status)
  })

  it("never gives B an ID token for A's code, and B's relying party refuses A's ID token (aud)", async () => {
    const a = await signedInRp({ scope: 'openid' })
    const b = await registerApp(a.as)
    const { code, verifier } = await codeFor(a.session.cookie, a.client.client_id, {
      ...OPENID,
      nonce: 'n-a',
    })
    const stolen = await redeem(b.client_id, code, verifier, { resource: undefined })
    expect(stolen.status).toBe(400)
    const body = (await stolen.json()) as Record<string, unknown>
    expect(body).toMatchObject({ error: 'invalid_grant' })
    expect(body).not.toHaveProperty('id_token')
    // A's genuine token response replayed to B's relying party: oauth4webapi checks aud.
    const replay = new Response(JSON.stringify(a.tokens), {
      headers: { 'content-type': 'application/json' },
    })
    await expect(
      oauth.processAuthorizationCodeResponse(a.as, b, replay, {
        expectedNonce: oauth.expectNoNonce,
        requireIdToken: true,
      }),
    ).rejects.toThrow(/aud|nonce/)
    expect(claimsOf(a.tokens.id_token!).aud).toBe(a.client.client_id)
  })

  it("does not refresh A's refresh token for B, and mints no ID token for it", async () => {
    const a = await signedInRp()
    const b = await registerApp(a.as)
    const res = await refreshGrant(b.client_id, a.tokens.refresh_token!)
    expect(res.status).toBe(400)
    const body = (await res.json()) as Record<string, unknown>
    expect(body.error).toBe('invalid_grant')
    expect(body).not.toHaveProperty('id_token')
    // A's own refresh still works: B's attempt ended nothing.
    expect((await refreshGrant(a.client.client_id, a.tokens.refresh_token!)).status).toBe(200)
  })
})

describe('nonce', () => {
  it('redeems a code once: the replay gets no second ID token for the same nonce', async () => {
    const { client, session } = await signedInRp({ scope: 'openid' })
    const { code, verifier } = await codeFor(session.cookie, client.client_id, {
      ...OPENID,
      nonce: 'once',
    })
    const first = await redeem(client.client_id, code, verifier, { resource: undefined })
    expect(first.status).toBe(200)
    const again = await redeem(client.client_id, code, verifier, { resource: undefined })
    expect(again.status).toBe(400)
    expect(await again.json()).not.toHaveProperty('id_token')
  })

  it('offers an error, and issues no code, for an empty nonce or one over 512 characters', async () => {
    const { client, session } = await signedInRp({ scope: 'openid' })
    for (const nonce of ['', 'n'.repeat(513)]) {
      const res = await authorizeRaw(session.cookie, client.client_id, {
        ...OPENID,
        scope: 'openid',
        code_challenge: 'a'.repeat(43),
        nonce,
      })
      await expectRefusedPage(res, 'nonce must be 1 to 512 characters')
    }
  })

  it("never carries request 1's nonce into request 2's ID token, nor into a refresh's", async () => {
    const { as, client, session, claims } = await signedInRp()
    const first = claims.nonce
    const second = await openIdTokens(as, client, session.cookie)
    expect(second.claims.nonce).not.toBe(first)
    // No nonce asked: none in the ID token (not the previous one).
    const { code, verifier } = await codeFor(session.cookie, client.client_id, OPENID)
    const res = await redeem(client.client_id, code, verifier, { resource: undefined })
    const { id_token: idToken, refresh_token: rt } = (await res.json()) as Record<string, string>
    expect(claimsOf(idToken!)).not.toHaveProperty('nonce')
    const refreshed = (await (await refreshGrant(client.client_id, rt!)).json()) as Record<
      string,
      string
    >
    expect(claimsOf(refreshed.id_token!)).not.toHaveProperty('nonce')
  })
})

describe('the PKCE-or-nonce rule', () => {
  const noPkce = { code_challenge: undefined, code_challenge_method: undefined }

  it('refuses a public client that sends openid and a nonce but no PKCE', async () => {
    const { client, session } = await signedInRp({ scope: 'openid' })
    const res = await authorizeRaw(session.cookie, client.client_id, {
      ...OPENID,
      ...noPkce,
      nonce: 'n',
    })
    await expectRefusedPage(res, 'PKCE is required')
  })

  it('refuses a confidential client without PKCE that sends no nonce, or no openid', async () => {
    const as = await discoverOpenId()
    const conf = await registerApp(as, { token_endpoint_auth_method: 'client_secret_basic' })
    const { session } = await signedInRp({ scope: 'openid' })
    for (const params of [
      { ...OPENID, ...noPkce },
      { ...noPkce, nonce: 'n' },
      { ...noPkce, scope: 'notes:read openid-ish', nonce: 'n' },
      { ...OPENID, code_challenge_method: 'S256', code_challenge: undefined, nonce: 'n' },
      { ...OPENID, code_challenge_method: undefined, code_challenge: 'a'.repeat(43), nonce: 'n' },
      { ...OPENID, code_challenge_method: 'plain', code_challenge: 'a'.repeat(43), nonce: 'n' },
    ]) {
      const res = await authorizeRaw(session.cookie, conf.client_id, params)
      await expectRefusedPage(res)
    }
  })

  it('refuses a code issued with a challenge when the confidential client leaves out the verifier', async () => {
    const as = await discoverOpenId()
    const conf = await registerApp(as, { token_endpoint_auth_method: 'client_secret_basic' })
    const { session } = await signedInRp({ scope: 'openid' })
    const { code } = await codeFor(session.cookie, conf.client_id, { ...OPENID, nonce: 'n' })
    const res = await tokenRequest(
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
      { authorization: `Basic ${btoa(`${conf.client_id}:${conf.client_secret}`)}` },
    )
    expect(res.status).toBe(400)
    const body = (await res.json()) as Record<string, unknown>
    expect(body.error).toBe('invalid_grant')
    expect(body).not.toHaveProperty('id_token')
  })
})

describe('prompt=none as an oracle', () => {
  /** An attacker's app (freshly registered, or `clientId`), and how it asks prompt=none in any browser. */
  async function probe(clientId?: string) {
    const as = await discoverOpenId()
    const attacker = clientId === undefined ? await registerApp(as) : { client_id: clientId }
    return async (cookie: string | null, extra: Record<string, string> = {}) => {
      const res = await authorizeRaw(cookie, attacker.client_id, {
        ...OPENID,
        scope: 'openid profile',
        prompt: 'none',
        state: 'probe',
        code_challenge: 'a'.repeat(43),
        ...extra,
      })
      return {
        status: res.status,
        location: res.headers.get('location'),
        cookie: res.headers.get('set-cookie'),
      }
    }
  }

  it('answers a freshly registered app the same, to the byte, whoever is signed in', async () => {
    const ask = await probe()
    const victim = await signedInRp({ scope: 'openid' })
    const other = await signedInRp({ scope: 'openid' })
    const answers = [
      await ask(null),
      await ask(victim.session.cookie),
      await ask(other.session.cookie),
      await ask('made-up-cookie-value'),
      await ask(victim.session.cookie, { max_age: '0' }),
      await ask(null, { max_age: '0' }),
    ]
    expect(answers[0]!.status).toBe(303)
    const location = new URL(answers[0]!.location!)
    expect(location.searchParams.get('error')).toBe('login_required')
    expect(location.searchParams.get('state')).toBe('probe')
    expect(location.searchParams.has('code')).toBe(false)
    for (const answer of answers) expect(answer).toEqual(answers[0])
    // Another app's ID token as the hint is refused on a page, whoever is signed in.
    for (const cookie of [victim.session.cookie, null]) {
      const res = await ask(cookie, { id_token_hint: victim.tokens.id_token! })
      expect(res).toMatchObject({ status: 400, location: null })
    }
  })

  it("does not tell a signed-in browser from a signed-out one when the app sends its own user's ID token as id_token_hint (a red-team finding, fixed)", async () => {
    // The attacker signs in once, as themselves, to their own app: their own ID token.
    const attacker = await signedInRp({ scope: 'openid' })
    const ask = await probe(attacker.client.client_id)
    const victim = await signedInRp({ scope: 'openid' })
    const hint = { id_token_hint: attacker.tokens.id_token! }
    const signedOut = await ask(null, hint)
    const signedIn = await ask(victim.session.cookie, hint)
    expect(signedOut.status).toBe(303)
    expect(new URL(signedOut.location!).searchParams.get('error')).toBe('login_required')
    // The error_description once differed: "The user must sign in" (nobody) against "The
    // user the app expects is not signed in" (somebody).
    expect(signedIn).toEqual(signedOut)
  })
})

describe('UserInfo', () => {
  it("refuses a resource's at+jwt (openid with resource=X): its aud is the resource", async () => {
    const { as, client, session } = await signedInRp({ scope: 'openid' })
    const { code, verifier } = await codeFor(session.cookie, client.client_id, {
      scope: 'openid notes:read',
      resource: RESOURCE,
      nonce: 'n',
    })
    const tokens = await tokenJson(await redeem(client.client_id, code, verifier))
    expect(claimsOf(tokens.access_token!).aud).toBe(RESOURCE)
    await expectInvalidToken(await userinfo(tokens.access_token!))
    void as
  })

  it("answers 401 once the app's grant is removed, though the token has not expired", async () => {
    const { tokens, session } = await signedInRp()
    expect((await userinfo(tokens.access_token)).status).toBe(200)
    const grants = (await (
      await browse('/users/me/grants', bearer(session.accessToken))
    ).json()) as {
      id: string
    }[]
    for (const grant of grants) {
      const removed = await browse(`/users/me/grants/${grant.id}`, {
        method: 'DELETE',
        ...bearer(session.accessToken),
      })
      expect(removed.status).toBe(204)
    }
    await expectInvalidToken(await userinfo(tokens.access_token))
  })

  it('answers 401 once the user is deleted', async () => {
    const { tokens, session } = await signedInRp()
    const deleted = await call(
      '/users/me',
      jsonInit(
        'DELETE',
        { password: PASSWORD },
        { Authorization: `Bearer ${session.accessToken}` },
      ),
    )
    expect(deleted.status).toBeLessThan(300)
    await expectInvalidToken(await userinfo(tokens.access_token))
  })

  it('cannot be reached with a token lacking openid: refused at /authorize, 403 after a narrowing refresh', async () => {
    const { client, session, tokens } = await signedInRp()
    // profile without openid: no resource defines it, so no code.
    for (const params of [
      { resource: undefined, scope: 'profile' },
      { resource: undefined, scope: 'profile email' },
      { resource: RESOURCE, scope: 'profile' },
    ]) {
      const res = await authorizeRaw(session.cookie, client.client_id, {
        ...params,
        code_challenge: 'a'.repeat(43),
      })
      await expectRefusedPage(res)
    }
    // Narrowing the refresh to drop openid: a UserInfo token without openid, and no ID token.
    const res = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: client.client_id,
      scope: 'profile',
    })
    expect(res.status).toBe(200)
    const narrowed = (await res.json()) as Record<string, string>
    expect(narrowed).not.toHaveProperty('id_token')
    const info = await userinfo(narrowed.access_token!)
    expect(info.status).toBe(403)
    expect(info.headers.get('www-authenticate')).toMatch(/insufficient_scope/)
    expect(await info.text()).not.toContain('preferred_username')
  })

  it('refuses a token sent both in the header and the form', async () => {
    const { tokens } = await signedInRp()
    const res = await browse('/userinfo', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ access_token: tokens.access_token }),
    })
    expect(res.status).toBe(400)
    expect(await res.text()).not.toContain('"sub"')
  })

  it('refuses an expired token', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const { tokens } = await signedInRp()
    vi.setSystemTime(Date.now() + 301_000)
    await expectInvalidToken(await userinfo(tokens.access_token))
  })

  it('refuses forgeries: a foreign key, alg none, tampered claims, other typ or alg, a first-party token', async () => {
    const { tokens, session } = await signedInRp()
    const real = tokens.access_token
    const claims = claimsOf(real)
    const header = headerOf(real)
    for (const token of [
      await forge(header, claims, await foreignKey()),
      unsigned(real, 'at+jwt'),
      tamper(real, { scope: 'openid profile email' }),
      tamper(real, { sub: 'someone-else' }),
      await forge({ ...header, typ: 'JWT' }, claims),
      await forge({ ...header, typ: 'AT+JWT' }, claims),
      await forge({ ...header, alg: 'es256' }, claims),
      await forge({ ...header, alg: 'HS256' }, claims),
      await forge({ ...header, kid: 'other' }, claims),
      await forge({ ...header, crit: ['exp'] }, claims),
      await forge(header, { ...claims, iss: 'https://other.example' }),
      await forge(header, { ...claims, aud: [claims.aud] }),
      await forge(header, { ...claims, exp: undefined }),
      session.accessToken,
      tokens.id_token!,
    ]) {
      await expectInvalidToken(await userinfo(token))
    }
  })

  it('lets any origin call it, but never with credentials', async () => {
    const { tokens } = await signedInRp()
    const preflight = await browse('/userinfo', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    })
    expect(preflight.status).toBeLessThan(300)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull()
    const res = await userinfo(tokens.access_token, { headers: { origin: 'https://evil.example' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-credentials')).toBeNull()
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(res.headers.get('cache-control')).toContain('no-store')
  })

  it('gives a UserInfo token no standing at a resource (edge-auth/resource checks aud exactly)', async () => {
    const { tokens } = await signedInRp()
    const fetcher = workerFetch()
    const notes = protectedResource({
      issuer: ORIGIN,
      resource: RESOURCE,
      fetch: ((input: RequestInfo | URL, init?: RequestInit) =>
        fetcher(String(input instanceof Request ? input.url : input), init)) as typeof fetch,
    })
    const result = await notes.verify(tokens.access_token)
    expect(result).toMatchObject({ ok: false })
    // The same verifier for UserInfo's audience would accept it: the refusal is the aud alone.
    const asUserInfo = protectedResource({
      issuer: ORIGIN,
      resource: `${ORIGIN}/userinfo`,
      fetch: ((input: RequestInfo | URL, init?: RequestInit) =>
        fetcher(String(input instanceof Request ? input.url : input), init)) as typeof fetch,
    })
    expect(await asUserInfo.verify(tokens.access_token)).toMatchObject({ ok: true })
  })
})

describe('scope games', () => {
  it('refuses openid with a resource scope and no resource when several resources exist', async () => {
    const { client, session } = await signedInRp({ scope: 'openid' })
    const res = await authorizeRaw(session.cookie, client.client_id, {
      resource: undefined,
      scope: 'openid notes:read',
      code_challenge: 'a'.repeat(43),
    })
    await expectRefusedPage(res, 'invalid_target')
  })

  it('gives no refresh token for offline_access to a client that did not register refresh_token', async () => {
    const as = await discoverOpenId()
    const client = await registerApp(as, { grant_types: ['authorization_code'] })
    const { session } = await signedInRp({ scope: 'openid' })
    const { code, verifier } = await codeFor(session.cookie, client.client_id, OPENID)
    const res = await redeem(client.client_id, code, verifier, { resource: undefined })
    const body = (await res.json()) as Record<string, string>
    expect(res.status).toBe(200)
    expect(body).not.toHaveProperty('refresh_token')
    expect(body.scope!.split(' ')).not.toContain('offline_access')
    expect(body.id_token).toBeTypeOf('string')
  })

  it('mints no ID token when a refresh drops openid, and none wider than the grant', async () => {
    const { client, tokens } = await signedInRp()
    const narrowed = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: client.client_id,
      scope: 'offline_access',
    })
    expect(narrowed.status).toBe(200)
    const body = (await narrowed.json()) as Record<string, string>
    expect(body).not.toHaveProperty('id_token')
    const wider = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: body.refresh_token!,
      client_id: client.client_id,
      scope: 'openid profile email',
    })
    expect(wider.status).toBe(400)
    expect(await wider.json()).not.toHaveProperty('id_token')
  })

  it('does not let a refresh move a UserInfo grant to a resource', async () => {
    const { client, tokens } = await signedInRp()
    const res = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: client.client_id,
      resource: OTHER_RESOURCE,
    })
    expect(res.status).toBe(400)
    expect(await res.json()).not.toHaveProperty('access_token')
  })
})

describe('max_age', () => {
  it('offers an error for a negative, non-numeric, fractional or eleven-digit max_age', async () => {
    const { client, session } = await signedInRp({ scope: 'openid' })
    for (const maxAge of ['-1', 'abc', '1.5', '1e3', ' 60', '12345678901', '']) {
      const res = await authorizeRaw(session.cookie, client.client_id, {
        ...OPENID,
        scope: 'openid',
        code_challenge: 'a'.repeat(43),
        max_age: maxAge,
      })
      await expectRefusedPage(res, 'max_age')
    }
    // Ten digits is three centuries: the sign-in of a moment ago is within it.
    const huge = await authorizeAs(session.cookie, client.client_id, {
      ...OPENID,
      scope: 'openid',
      max_age: '9999999999',
    })
    expect(huge.location.searchParams.get('code')).toBeTruthy()
  })

  it('answers prompt=none with an old sign-in and max_age=0 with login_required, not a code', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const { client, session } = await signedInRp({ scope: 'openid' })
    vi.setSystemTime(Date.now() + 1000)
    const res = await authorizeRaw(session.cookie, client.client_id, {
      ...OPENID,
      scope: 'openid',
      prompt: 'none',
      max_age: '0',
      state: 's',
      code_challenge: 'a'.repeat(43),
    })
    expect(res.status).toBe(303)
    const location = new URL(res.headers.get('location')!)
    expect(location.origin + location.pathname).toBe(REDIRECT_URI)
    expect(location.searchParams.get('error')).toBe('login_required')
    expect(location.searchParams.has('code')).toBe(false)
  })

  it('takes the fresh sign-in after the detour as enough for max_age=0 (no loop)', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const { client, session } = await signedInRp({ scope: 'openid' })
    vi.setSystemTime(Date.now() + 5000)
    const res = await authorizeRaw(session.cookie, client.client_id, {
      ...OPENID,
      scope: 'openid',
      max_age: '0',
      code_challenge: 'a'.repeat(43),
    })
    expect(res.status).toBe(303)
    const signin = new URL(res.headers.get('location')!, ORIGIN)
    expect(signin.pathname).toBe('/signin')
    const [, name, sealed] = /(__Host-authorize-[^=]+)=([^;]+)/.exec(
      res.headers.get('set-cookie')!,
    )!
    vi.setSystemTime(Date.now() + 5000)
    const signedIn = await post('/signin', {
      username: session.username,
      password: PASSWORD,
      return_to: signin.searchParams.get('return_to')!,
    })
    expect(signedIn.status).toBe(303)
    const back = signedIn.headers.get('location')!
    expect(back).toMatch(/^\/authorize\/resume\?id=/)
    const fresh = /__Host-refresh_token=([^;]+)/.exec(signedIn.headers.get('set-cookie')!)![1]!
    vi.setSystemTime(Date.now() + 2000)
    const resumed = await browse(back, {
      headers: { cookie: `${name}=${sealed}; ${REFRESH_COOKIE}=${fresh}` },
    })
    expect(resumed.status).toBe(200)
    const page = await resumed.text()
    expect(page).toMatch(/[?&]code=/)
    expect(page).not.toContain('/signin')
  })
})

describe('login_hint', () => {
  it('escapes markup and quotes from the hint in the sign-in form', async () => {
    const { client, session } = await signedInRp({ scope: 'openid' })
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 120_000 })
    for (const hint of [
      '"><script>alert(1)</script>',
      "' autofocus onfocus='alert(1)",
      '<img src=x onerror=alert(1)>',
    ]) {
      const res = await authorizeRaw(session.cookie, client.client_id, {
        ...OPENID,
        scope: 'openid',
        max_age: '1',
        code_challenge: 'a'.repeat(43),
        login_hint: hint,
      })
      expect(res.status).toBe(303)
      // The hint never signs anyone in: no session is set on the way.
      expect(res.headers.get('set-cookie')).not.toContain(REFRESH_COOKIE)
      const signin = new URL(res.headers.get('location')!, ORIGIN)
      expect(signin.searchParams.get('login_hint')).toBe(hint)
      const page = await (await browse(signin.pathname + signin.search)).text()
      expect(page).not.toContain('<script>alert')
      expect(page).not.toContain('<img src=x')
      expect(page).not.toMatch(/ onfocus='alert/)
    }
  })

  it('passes no hint over 254 characters, and /signin cuts one sent straight to it', async () => {
    const { client, session } = await signedInRp({ scope: 'openid' })
    const long = `${'a'.repeat(250)}@example.com`
    const res = await authorizeRaw(null, client.client_id, {
      ...OPENID,
      scope: 'openid',
      code_challenge: 'a'.repeat(43),
      login_hint: long,
    })
    expect(res.status).toBe(303)
    expect(new URL(res.headers.get('location')!, ORIGIN).searchParams.has('login_hint')).toBe(false)
    const page = await (await browse(`/signin?login_hint=${'b'.repeat(300)}`)).text()
    expect(page).toContain(`value="${'b'.repeat(254)}"`)
    expect(page).not.toContain('b'.repeat(255))
    void session
  })

  it('fills only the username field: never the password, never anything else', async () => {
    const page = await (
      await browse(`/signin?login_hint=${encodeURIComponent('hinted-user')}&password=x`)
    ).text()
    const inputs = page.match(/<input[^>]*>/g) ?? []
    const filled = inputs.filter((input) => input.includes('hinted-user'))
    expect(filled).toHaveLength(1)
    expect(filled[0]).toMatch(/name="username"/)
    for (const input of inputs.filter((i) => /type="password"/.test(i))) {
      expect(input).not.toMatch(/value="[^"]/)
    }
  })
})

describe('RP-initiated logout', () => {
  it('redirects nowhere unregistered: another client, prefix, suffix, case, slash, another loopback port', async () => {
    const as = await discoverOpenId()
    const loopback = 'http://127.0.0.1:4000/out'
    const client = await registerApp(as, {
      redirect_uris: [REDIRECT_URI],
      post_logout_redirect_uris: [LOGOUT_URI, loopback],
    })
    const other = await registerApp(as, { post_logout_redirect_uris: [EVIL] })
    const { session } = await signedInRp()
    for (const uri of [
      EVIL,
      'https://app.example/signed-ou',
      `${LOGOUT_URI}x`,
      `${LOGOUT_URI}/`,
      `${LOGOUT_URI}?next=${EVIL}`,
      `${LOGOUT_URI}#x`,
      'https://APP.example/signed-out',
      'HTTPS://app.example/signed-out',
      'https://app.example/Signed-out',
      'https://app.example:443/signed-out',
      'https://app.example/./signed-out',
      'https://app.example.evil.example/signed-out',
      'http://127.0.0.1:4001/out',
      'http://localhost:4000/out',
      'http://[::1]:4000/out',
      'javascript:alert(1)',
    ]) {
      for (const cookie of [session.cookie, null]) {
        const res = await endSession(cookie, {
          client_id: client.client_id,
          post_logout_redirect_uri: uri,
        })
        await expectRefusedPage(res)
      }
    }
    // A registered URI of another client, named with this client's id.
    await expectRefusedPage(
      await endSession(session.cookie, {
        client_id: client.client_id,
        post_logout_redirect_uri: EVIL,
      }),
    )
    // No client at all: a URI alone is nobody's.
    await expectRefusedPage(await endSession(null, { post_logout_redirect_uri: LOGOUT_URI }))
    expect(await alive(session.cookie)).toBe(true)
    void other
  })

  it('refuses forged hints (alg none, tampered, another issuer, a foreign key, an access token) and ends nothing', async () => {
    // An ES256 ID token: the forgeries below are signed with the server's ES256 key.
    const { tokens, session } = await signedInRp({}, AS_ENV, {
      id_token_signed_response_alg: 'ES256',
    })
    const hint = tokens.id_token!
    const claims = claimsOf(hint)
    const header = headerOf(hint)
    for (const forged of [
      unsigned(hint),
      tamper(hint, { sub: 'someone-else' }),
      await forge(header, { ...claims, iss: 'https://other.example' }),
      await forge(header, claims, await foreignKey()),
      await forge({ ...header, kid: 'nope' }, claims),
      await forge({ ...header, typ: 'at+jwt' }, claims),
      await forge(header, { ...claims, at_hash: undefined }),
      await forge(header, { ...claims, aud: [claims.aud] }),
      session.accessToken,
      tokens.access_token,
      'not.a.jwt',
    ]) {
      const res = await endSession(session.cookie, {
        id_token_hint: forged,
        post_logout_redirect_uri: LOGOUT_URI,
      })
      await expectRefusedPage(res)
    }
    expect(await alive(session.cookie)).toBe(true)
    expect(kid()).toBe(header.kid)
  })

  it('asks, and ends nothing, when the hint names user A while user B is signed in', async () => {
    const a = await signedInRp()
    const b = await signedInRp()
    const res = await endSession(b.session.cookie, {
      id_token_hint: a.tokens.id_token!,
      post_logout_redirect_uri: LOGOUT_URI,
      state: 's',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('location')).toBeNull()
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(await res.text()).toContain('action="/end-session/confirm"')
    expect(await alive(b.session.cookie)).toBe(true)
    expect(await alive(a.session.cookie)).toBe(true)
  })

  it('refuses the confirmation without an Origin, from a foreign one, or cross-site: the session stands', async () => {
    const { client, session } = await signedInRp()
    const fields = {
      client_id: client.client_id,
      post_logout_redirect_uri: LOGOUT_URI,
      decision: 'signout',
    }
    for (const headers of [
      {},
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: ORIGIN, 'sec-fetch-site': 'cross-site' },
      { origin: ORIGIN, 'sec-fetch-site': 'none' },
    ] as Record<string, string>[]) {
      const res = await confirmLogout(fields, { ...headers, cookie: cookieHeader(session.cookie) })
      expect(res.status).toBe(403)
      expect(res.headers.get('location')).toBeNull()
      expect(res.headers.get('set-cookie')).toBeNull()
    }
    expect(await alive(session.cookie)).toBe(true)
  })

  it("ends only this browser's session: another browser and the app's offline refresh token survive", async () => {
    const { client, session, tokens } = await signedInRp()
    const otherBrowser = await secondBrowser(session.username)
    const res = await endSession(session.cookie, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: LOGOUT_URI,
    })
    expect(res.status).toBe(303)
    expect(await alive(session.cookie)).toBe(false)
    expect(await alive(otherBrowser)).toBe(true)
    expect((await refreshGrant(client.client_id, tokens.refresh_token!)).status).toBe(200)
  })

  it("refuses a state over 1024 characters, a repeated parameter, and a client_id that is not the hint's", async () => {
    const { tokens, session } = await signedInRp()
    const b = await registerApp(await discoverOpenId(), { post_logout_redirect_uris: [LOGOUT_URI] })
    await expectRefusedPage(
      await endSession(session.cookie, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: LOGOUT_URI,
        state: 's'.repeat(1025),
      }),
      'too long',
    )
    const twice = new URLSearchParams({ id_token_hint: tokens.id_token! })
    twice.append('post_logout_redirect_uri', LOGOUT_URI)
    twice.append('post_logout_redirect_uri', EVIL)
    await expectRefusedPage(
      await browse(`/end-session?${twice}`, { headers: { cookie: cookieHeader(session.cookie) } }),
      'twice',
    )
    await expectRefusedPage(
      await endSession(session.cookie, {
        id_token_hint: tokens.id_token!,
        client_id: b.client_id,
        post_logout_redirect_uri: LOGOUT_URI,
      }),
      'two different apps',
    )
    expect(await alive(session.cookie)).toBe(true)
  })

  it('answers a POSTed logout as the same GET (which carries the cookie), refusing a repeated post-logout URI there', async () => {
    const { tokens, session } = await signedInRp()
    for (const order of [
      [LOGOUT_URI, EVIL],
      [EVIL, LOGOUT_URI],
    ]) {
      const body = new URLSearchParams({ id_token_hint: tokens.id_token! })
      for (const uri of order) body.append('post_logout_redirect_uri', uri)
      const res = await browse('/end-session', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      })
      expect(res.status).toBe(303)
      const again = new URL(res.headers.get('location')!, ORIGIN)
      expect(again.origin + again.pathname).toBe(`${ORIGIN}/end-session`)
      expect(again.searchParams.getAll('post_logout_redirect_uri')).toEqual(order)
      const followed = await browse(again.pathname + again.search, {
        headers: { cookie: cookieHeader(session.cookie) },
      })
      expect(followed.status).toBe(400)
      expect(followed.headers.get('location')).toBeNull()
      expect(followed.headers.get('set-cookie')).toBeNull()
    }
  })

  it("lists only 'self' and the registered post-logout origin in the confirmation's form-action", async () => {
    const { client, session } = await signedInRp()
    const res = await endSession(session.cookie, {
      client_id: client.client_id,
      post_logout_redirect_uri: LOGOUT_URI,
    })
    expect(res.status).toBe(200)
    const csp = res.headers.get('content-security-policy')!
    const formAction = csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .find(([name]) => name === 'form-action')!
    expect(formAction.slice(1).sort()).toEqual(["'self'", 'https://app.example'].sort())
    // Without a post-logout URI, the form may go nowhere but here.
    const plain = await endSession(session.cookie, { client_id: client.client_id })
    const plainAction = plain.headers
      .get('content-security-policy')!
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .find(([name]) => name === 'form-action')!
    expect(plainAction.slice(1)).toEqual(["'self'"])
  })

  it('escapes a client_name holding markup on the confirmation page, and registers no bidi controls', async () => {
    const as = await discoverOpenId()
    const name = '<img src=x onerror=alert(1)>"Bank'
    const client = await registerApp(as, {
      client_name: name,
      post_logout_redirect_uris: [LOGOUT_URI],
    })
    const { session } = await signedInRp()
    const res = await endSession(session.cookie, { client_id: client.client_id })
    const page = await res.text()
    expect(page).not.toContain('<img src=x')
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;')
    for (const bidi of ['Bank\u202egnp.exe', 'a\u2066b', 'a\u200fb']) {
      const refused = await registerRaw({
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'none',
        client_name: bidi,
      })
      expect(refused.status).toBe(400)
    }
  })

  it("does not 303 a signed-out visitor to an attacker-registered URI on the strength of the attacker's own (old) ID token (a red-team finding, fixed)", async () => {
    // The attacker registers an app whose post-logout URI is theirs, signs in to it once as
    // themselves and keeps the ID token: an expired one is taken as a hint all the same.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const as = await discoverOpenId()
    const rogue = await registerApp(as, { post_logout_redirect_uris: [EVIL] })
    const { session: own } = await signedInRp()
    const { tokens } = await openIdTokens(as, rogue, own.cookie)
    vi.setSystemTime(Date.now() + 30 * 24 * 3600 * 1000)
    // Any visitor not signed in here, sent to this link, lands on the attacker's page.
    const res = await endSession(null, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: EVIL,
    })
    expect(res.status).toBeLessThan(500)
    expect(res.headers.get('location')).toBeNull()
  })
})

describe('registration of the OIDC fields', () => {
  const base = { redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' }

  it('refuses post_logout_redirect_uris with javascript:, data:, a fragment, or eleven URIs', async () => {
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM oauth_clients').first<{
      n: number
    }>()
    for (const uris of [
      ['javascript:alert(1)'],
      ['data:text/html,<script>alert(1)</script>'],
      [`${LOGOUT_URI}#frag`],
      ['http://evil.example/out'],
      ['https://user:pw@app.example/out'],
      ['https://app.example/a b'],
      'https://app.example/out',
      [42],
      Array.from({ length: 11 }, (_, i) => `https://app.example/out/${i}`),
    ]) {
      const res = await registerRaw({ ...base, post_logout_redirect_uris: uris })
      expect(res.status).toBe(400)
    }
    const after = await env.DB.prepare('SELECT COUNT(*) AS n FROM oauth_clients').first<{
      n: number
    }>()
    expect(after!.n).toBe(before!.n)
  })

  it('refuses application_type web with a custom-scheme or loopback redirect, and unknown types', async () => {
    for (const [type, uri] of [
      ['web', 'com.example.app:/cb'],
      ['web', 'http://127.0.0.1:3000/cb'],
      ['web', 'http://localhost/cb'],
      ['browser', REDIRECT_URI],
    ] as const) {
      const res = await registerRaw({ ...base, redirect_uris: [uri], application_type: type })
      expect(res.status).toBe(400)
    }
  })

  it('refuses id_token_signed_response_alg none, HS256, RS512, and any request_object_signing_alg', async () => {
    for (const extra of [
      { id_token_signed_response_alg: 'none' },
      { id_token_signed_response_alg: 'HS256' },
      // RS256 is offered (OIDC_RSA_KEYS is set in the tests); no other RSA algorithm is.
      { id_token_signed_response_alg: 'RS512' },
      { id_token_signed_response_alg: 'PS256' },
      { id_token_signed_response_alg: 'EdDSA' },
      { request_object_signing_alg: 'none' },
      { request_object_signing_alg: 'ES256' },
      { userinfo_signed_response_alg: 'ES256' },
      { id_token_encrypted_response_alg: 'RSA-OAEP' },
      { subject_type: 'pairwise' },
    ]) {
      const res = await registerRaw({ ...base, ...extra })
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ error: 'invalid_client_metadata' })
    }
  })
})

describe('discovery', () => {
  it('serves the same document twice, every endpoint in it answers, and every resource scope is listed', async () => {
    const oidc = await (await browse('/.well-known/openid-configuration')).json()
    const rfc8414 = await (await browse('/.well-known/oauth-authorization-server')).json()
    expect(oidc).toEqual(rfc8414)
    const doc = oidc as Record<string, unknown>
    expect(doc.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'notes:read', 'notes:write', 'calendar:read']),
    )
    const get = ['authorization_endpoint', 'userinfo_endpoint', 'end_session_endpoint', 'jwks_uri']
    const postOnly = ['token_endpoint', 'revocation_endpoint', 'registration_endpoint']
    for (const name of [...get, ...postOnly]) {
      const url = new URL(doc[name] as string)
      expect(url.origin).toBe(ORIGIN)
      const res = await browse(url.pathname, {
        method: get.includes(name) ? 'GET' : 'POST',
        ...(get.includes(name)
          ? {}
          : { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' }),
      })
      expect(res.status, name).not.toBe(404)
      expect(res.status, name).not.toBe(405)
    }
  })

  it('answers the OpenID configuration with 503 when signing is HS256', async () => {
    const res = await browse('/.well-known/openid-configuration', {}, {
      ...AS_ENV,
      JWT_ALG: 'HS256',
      ACCESS_TOKEN_SECRET: 'h'.repeat(16) + '0123456789abcdef'.repeat(3),
    } as typeof AS_ENV)
    expect(res.status).toBe(503)
  })
})

// ---- RS256 ID tokens (OIDC_RSA_KEYS): the RSA key never stands in for the ring's, and an ID
// token is never signed with another algorithm than the one its client registered.

const WITHOUT_RSA = { ...AS_ENV, OIDC_RSA_KEYS: '' } as typeof AS_ENV

/** The server's own newest RSA key (OIDC_RSA_KEYS), for tokens whose only flaw is elsewhere. */
const serverRsaKey = () =>
  (JSON.parse(env.OIDC_RSA_KEYS) as { keys: (JsonWebKey & { kid: string })[] }).keys[0]!

const RSA_PARAMS = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const

/** A compact JWS with any header and claims, signed RS256 by the server's RSA key (or `key`). */
async function forgeRs256(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key?: CryptoKey,
): Promise<string> {
  const { kty, n, e, d, p, q, dp, dq, qi } = serverRsaKey()
  const signer =
    key ??
    (await crypto.subtle.importKey('jwk', { kty, n, e, d, p, q, dp, dq, qi }, RSA_PARAMS, false, [
      'sign',
    ]))
  const input = `${b64json(header)}.${b64json(claims)}`
  const signature = await crypto.subtle.sign(RSA_PARAMS, signer, new TextEncoder().encode(input))
  return `${input}.${toBase64Url(signature)}`
}

const sameOriginFetch = (fetcher: ReturnType<typeof workerFetch>) =>
  ((input: RequestInfo | URL, init?: RequestInit) =>
    fetcher(String(input instanceof Request ? input.url : input), init)) as typeof fetch

describe('RS256 and the access-token verifiers', () => {
  it("refuses an at+jwt signed with the server's own RSA key at edge-auth/resource (the JWKS publishes it)", async () => {
    const jwks = (await (await browse('/.well-known/jwks.json')).json()) as {
      keys: { kid: string; alg: string }[]
    }
    expect(jwks.keys).toContainEqual(
      expect.objectContaining({ kid: serverRsaKey().kid, alg: 'RS256' }),
    )
    const notes = protectedResource({
      issuer: ORIGIN,
      resource: RESOURCE,
      fetch: sameOriginFetch(workerFetch()),
    })
    const now = Math.floor(Date.now() / 1000)
    const claims = {
      iss: ORIGIN,
      sub: 'user-1',
      aud: RESOURCE,
      client_id: 'client-1',
      scope: 'notes:read',
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 60,
    }
    const rs = await forgeRs256({ alg: 'RS256', typ: 'at+jwt', kid: serverRsaKey().kid }, claims)
    expect(await notes.verify(rs)).toMatchObject({ ok: false })
    // The same claims under the ring's ES256 key pass: the refusal is the algorithm alone.
    const es = await forge({ alg: 'ES256', typ: 'at+jwt', kid: kid() }, claims)
    expect(await notes.verify(es)).toMatchObject({ ok: true })
  })

  it("refuses a first-party access token re-signed RS256 with the server's RSA key, under either kid", async () => {
    const { session } = await signedInRp()
    expect((await call('/users/me', bearer(session.accessToken))).status).toBe(200)
    const claims = claimsOf(session.accessToken)
    for (const keyId of [serverRsaKey().kid, kid()]) {
      const token = await forgeRs256({ alg: 'RS256', typ: 'JWT', kid: keyId }, claims)
      expect((await call('/users/me', bearer(token))).status).toBe(401)
    }
  })
})

describe('RS256 hints', () => {
  it('refuses forged RS256 hints (another issuer, no at_hash, at+jwt, a foreign RSA key under our kid, relabelled algs) and ends nothing', async () => {
    const { tokens, session } = await signedInRp()
    const hint = tokens.id_token!
    const header = headerOf(hint)
    expect(header).toMatchObject({ alg: 'RS256', kid: serverRsaKey().kid })
    const claims = claimsOf(hint)
    const stranger = (
      (await crypto.subtle.generateKey(
        { ...RSA_PARAMS, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
        false,
        ['sign', 'verify'],
      )) as CryptoKeyPair
    ).privateKey
    const [h, p, s] = hint.split('.') as [string, string, string]
    for (const forged of [
      await forgeRs256(header, { ...claims, iss: 'https://other.example' }),
      await forgeRs256(header, { ...claims, at_hash: undefined }),
      await forgeRs256({ ...header, typ: 'at+jwt' }, claims),
      await forgeRs256({ ...header, crit: ['exp'] }, claims),
      await forgeRs256(header, claims, stranger),
      // The genuine RSA signature under another alg, or the ring's kid.
      `${b64json({ ...header, alg: 'ES256' })}.${p}.${s}`,
      `${b64json({ ...header, alg: 'PS256' })}.${p}.${s}`,
      `${b64json({ ...header, kid: kid() })}.${p}.${s}`,
      // An ES256 signature by the ring's key, labelled RS256.
      await forge({ ...header, kid: serverRsaKey().kid }, claims),
      unsigned(hint),
      `${h}.${p}.${s.slice(0, 40)}`,
    ]) {
      const res = await endSession(session.cookie, {
        id_token_hint: forged,
        post_logout_redirect_uri: LOGOUT_URI,
      })
      await expectRefusedPage(res)
    }
    expect(await alive(session.cookie)).toBe(true)
  })

  it('refuses a genuine RS256 hint once OIDC_RSA_KEYS is removed (it can no longer be checked)', async () => {
    const { tokens, session } = await signedInRp()
    const res = await endSession(
      session.cookie,
      { id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGOUT_URI },
      WITHOUT_RSA,
    )
    await expectRefusedPage(res)
    expect(await alive(session.cookie)).toBe(true)
  })
})

describe('OIDC_RSA_KEYS removed after a client registered RS256', () => {
  it('answers the code exchange 503 naming the setting, with no token and no session; nothing falls back to ES256', async () => {
    const { client, session } = await signedInRp()
    expect(client.id_token_signed_response_alg).toBe('RS256')
    const { code, verifier } = await codeFor(session.cookie, client.client_id, {
      ...OPENID,
      nonce: 'n',
    })
    const res = await redeem(
      client.client_id,
      code,
      verifier,
      { resource: undefined },
      {},
      WITHOUT_RSA,
    )
    expect(res.status).toBe(503)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({ error: 'temporarily_unavailable' })
    expect(String(body.error_description)).toContain('OIDC_RSA_KEYS')
    for (const name of ['access_token', 'refresh_token', 'id_token']) {
      expect(body).not.toHaveProperty(name)
    }
    expect(res.headers.get('retry-after')).toBe('3600')
  })

  it('answers a refresh 503 without moving the session on: with the keys back, the same token refreshes', async () => {
    const { client, tokens } = await signedInRp()
    const refused = await refreshGrant(client.client_id, tokens.refresh_token!, WITHOUT_RSA)
    expect(refused.status).toBe(503)
    expect(await refused.json()).not.toHaveProperty('id_token')
    const res = await refreshGrant(client.client_id, tokens.refresh_token!)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { id_token: string; refresh_token: string }
    expect(headerOf(body.id_token).alg).toBe('RS256')
    expect(body.refresh_token).not.toBe(tokens.refresh_token)
  })

  it('still serves an ES256 client, and a non-OpenID grant of an RS256 client', async () => {
    const es = await signedInRp({}, AS_ENV, { id_token_signed_response_alg: 'ES256' })
    const ok = await refreshGrant(es.client.client_id, es.tokens.refresh_token!, WITHOUT_RSA)
    expect(ok.status).toBe(200)
    expect(headerOf(((await ok.json()) as { id_token: string }).id_token).alg).toBe('ES256')
    const rs = await signedInRp()
    const { code, verifier } = await codeFor(rs.session.cookie, rs.client.client_id, {
      resource: RESOURCE,
      scope: 'notes:read',
    })
    const res = await redeem(rs.client.client_id, code, verifier, {}, {}, WITHOUT_RSA)
    expect(res.status).toBe(200)
    expect(await res.json()).not.toHaveProperty('id_token')
  })
})
