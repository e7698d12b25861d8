// The worker as an OpenID Provider, driven by oauth4webapi as a strict relying party: discovery
// (issuer equality), the code flow with a nonce, ID token validation, UserInfo with the same sub,
// refresh with a new ID token, offline_access, prompt, max_age, login_hint, and RP-initiated
// logout. Attacks on it: test/flows/openid-provider.attacks.test.ts.
import { env } from 'cloudflare:workers'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as oauth from 'oauth4webapi'
import { ORIGIN, PASSWORD, call, cookieSession, freezeTime, refreshCookieOf } from '../helpers'
import {
  AS_ENV,
  REDIRECT_URI,
  authorizeAs,
  browse,
  cookieHeader,
  discover,
  expectNoServerErrors,
  options,
  registerApp,
  tokenRequest,
} from '../oauth-server/flow'
import {
  LOGOUT_URI,
  OPENID,
  atHash,
  discoverOpenId,
  endSession,
  openIdTokens,
  refreshedTokens,
  signedInRp,
} from '../oauth-server/openid-flow'

expectNoServerErrors()
afterEach(() => vi.useRealTimers())

describe('discovery', () => {
  it('serves /.well-known/openid-configuration, the same document as RFC 8414, to a strict OIDC client', async () => {
    const as = await discoverOpenId()
    expect(as.issuer).toBe(ORIGIN)
    expect(as).toMatchObject({
      authorization_endpoint: `${ORIGIN}/authorize`,
      token_endpoint: `${ORIGIN}/oauth/token`,
      userinfo_endpoint: `${ORIGIN}/userinfo`,
      end_session_endpoint: `${ORIGIN}/end-session`,
      jwks_uri: `${ORIGIN}/.well-known/jwks.json`,
      registration_endpoint: `${ORIGIN}/oauth/register`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      // RS256 first (OIDC_RSA_KEYS is set in the tests), then the access tokens' algorithm.
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      code_challenge_methods_supported: ['S256'],
      prompt_values_supported: ['none', 'login', 'consent'],
      request_uri_parameter_supported: false,
      request_parameter_supported: false,
    })
    expect(as.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'offline_access', 'notes:read']),
    )
    expect(as.claims_supported).toEqual(
      expect.arrayContaining(['sub', 'preferred_username', 'email', 'email_verified', 'nonce']),
    )
    expect(as.token_endpoint_auth_methods_supported).toContain('client_secret_post')
    const rfc8414 = await discover()
    expect(rfc8414).toEqual(as)
  })
})

describe('the code flow', () => {
  it('issues an ID token oauth4webapi validates (nonce, iss, aud, at_hash), and UserInfo answers for the same sub', async () => {
    const { as, client, session, tokens, claims } = await signedInRp()
    expect(claims).toMatchObject({
      iss: ORIGIN,
      sub: session.user.id,
      aud: client.client_id,
      preferred_username: session.username,
      amr: ['pwd'],
    })
    expect(claims.auth_time).toBeTypeOf('number')
    // No verified address: neither email nor email_verified is released.
    expect(claims).not.toHaveProperty('email')
    expect(claims).not.toHaveProperty('email_verified')
    // at_hash is the left half of the access token's SHA-256 (RS256).
    expect(claims.at_hash).toBe(await atHash(tokens.access_token))
    const res = await oauth.userInfoRequest(as, client, tokens.access_token, options())
    const info = await oauth.processUserInfoResponse(as, client, claims.sub, res)
    expect(info).toEqual({ sub: session.user.id, preferred_username: session.username })
  })

  it('gives a refresh token only with offline_access, and a refresh returns a new ID token for the same sub', async () => {
    const { as, client, session, tokens, claims } = await signedInRp()
    expect(tokens.refresh_token).toBeTypeOf('string')
    const refreshed = await refreshedTokens(as, client, tokens.refresh_token!)
    const again = oauth.getValidatedIdTokenClaims(refreshed)!
    expect(again.sub).toBe(claims.sub)
    expect(again.auth_time).toBe(claims.auth_time)
    expect(again).not.toHaveProperty('nonce')
    expect(refreshed.id_token).not.toBe(tokens.id_token)

    const without = await openIdTokens(as, client, session.cookie, { scope: 'openid profile' })
    expect(without.tokens.refresh_token).toBeUndefined()
    expect(without.tokens.id_token).toBeTypeOf('string')
  })

  it('keeps auth_time the sign-in’s on refresh, not the code exchange’s', async () => {
    const signedInAt = Date.UTC(2026, 11, 7, 0, 0, 0, 900)
    const clock = freezeTime(signedInAt)
    const as = await discoverOpenId()
    const client = await registerApp(as, {})
    const session = await cookieSession()
    // The app redeems its code seconds after the sign-in (here across a second's boundary).
    clock.advance(5_000)
    const { tokens, claims } = await openIdTokens(as, client, session.cookie, {})
    expect(claims.auth_time).toBe(Math.floor(signedInAt / 1000))
    clock.advance(60_000)
    const refreshed = await refreshedTokens(as, client, tokens.refresh_token!)
    expect(oauth.getValidatedIdTokenClaims(refreshed)!.auth_time).toBe(
      Math.floor(signedInAt / 1000),
    )
  })

  it('releases email and email_verified only for a verified address', async () => {
    const { as, client, session } = await signedInRp({ scope: 'openid' })
    const { env } = await import('cloudflare:test')
    await env.DB.prepare('UPDATE users SET email = ?, email_verified_at = ? WHERE id = ?')
      .bind('alice@example.com', new Date().toISOString(), session.user.id)
      .run()
    const { claims, tokens } = await openIdTokens(as, client, session.cookie, {
      scope: 'openid email',
    })
    expect(claims).toMatchObject({ email: 'alice@example.com', email_verified: true })
    const res = await oauth.userInfoRequest(as, client, tokens.access_token, options())
    expect(await oauth.processUserInfoResponse(as, client, claims.sub, res)).toEqual({
      sub: session.user.id,
      email: 'alice@example.com',
      email_verified: true,
    })
  })

  it('takes UserInfo by POST, with the token in the header or the form', async () => {
    const { tokens, session } = await signedInRp()
    const byHeader = await browse('/userinfo', {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(await byHeader.json()).toMatchObject({ sub: session.user.id })
    const byForm = await browse('/userinfo', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: tokens.access_token }),
    })
    expect(byForm.status).toBe(200)
    expect(await byForm.json()).toMatchObject({ sub: session.user.id })
  })

  it('lets a confidential relying party use its nonce instead of PKCE (RFC 9700 §2.1.1), and refuses a verifier then', async () => {
    const as = await discoverOpenId()
    const client = await registerApp(as, { token_endpoint_auth_method: 'client_secret_basic' })
    const { session } = await signedInRp()
    const nonce = oauth.generateRandomNonce()
    const { location } = await authorizeAs(session.cookie, client.client_id, {
      ...OPENID,
      nonce,
      code_challenge: undefined,
      code_challenge_method: undefined,
    })
    const code = location.searchParams.get('code')!
    expect(code).toBeTruthy()
    const basic = `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`
    const withVerifier = await tokenRequest(
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: oauth.generateRandomCodeVerifier(),
      },
      { authorization: basic },
    )
    expect(withVerifier.status).toBe(400)
    expect(await withVerifier.json()).toMatchObject({ error: 'invalid_grant' })

    const { location: again } = await authorizeAs(session.cookie, client.client_id, {
      ...OPENID,
      nonce,
      code_challenge: undefined,
      code_challenge_method: undefined,
    })
    const res = await tokenRequest(
      {
        grant_type: 'authorization_code',
        code: again.searchParams.get('code')!,
        redirect_uri: REDIRECT_URI,
      },
      { authorization: basic },
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toHaveProperty('id_token')
  })
})

describe('prompt, max_age and login_hint', () => {
  it('answers prompt=none with login_required to an app the user never allowed, signed in or not', async () => {
    const as = await discoverOpenId()
    const client = await registerApp(as)
    const { session } = await signedInRp()
    for (const cookie of [session.cookie, null]) {
      const res = await browse(
        `/authorize?${new URLSearchParams({
          client_id: client.client_id,
          response_type: 'code',
          redirect_uri: REDIRECT_URI,
          scope: 'openid',
          prompt: 'none',
          state: 's1',
          code_challenge: 'a'.repeat(43),
          code_challenge_method: 'S256',
        })}`,
        cookie === null ? {} : { headers: { cookie: cookieHeader(cookie) } },
      )
      expect(res.status).toBe(303)
      const location = new URL(res.headers.get('location')!)
      expect(location.origin + location.pathname).toBe(REDIRECT_URI)
      expect(location.searchParams.get('error')).toBe('login_required')
      expect(location.searchParams.get('state')).toBe('s1')
      expect(location.searchParams.has('code')).toBe(false)
    }
  })

  it('answers prompt=none with a code once allowed, and consent_required for more than was allowed', async () => {
    const { client, session } = await signedInRp({ scope: 'openid profile' })
    const { location } = await authorizeAs(session.cookie, client.client_id, {
      ...OPENID,
      scope: 'openid profile',
      prompt: 'none',
    })
    expect(location.searchParams.get('code')).toBeTruthy()
    const wider = await authorizeAs(session.cookie, client.client_id, {
      ...OPENID,
      scope: 'openid profile email',
      prompt: 'none',
    })
    expect(wider.location.searchParams.get('error')).toBe('consent_required')
  })

  it('answers prompt=none with id_token_hint silently for the user it names, and login_required for anyone else', async () => {
    const { client, session, tokens, claims } = await signedInRp({ scope: 'openid' })
    const same = await authorizeAs(session.cookie, client.client_id, {
      ...OPENID,
      scope: 'openid',
      prompt: 'none',
      id_token_hint: tokens.id_token,
    })
    expect(same.location.searchParams.get('code')).toBeTruthy()
    // Another user signed in in this browser: the app expected the first one.
    const other = await signedInRp({ scope: 'openid' })
    expect(other.claims.sub).not.toBe(claims.sub)
    const res = await authorizeAs(other.session.cookie, client.client_id, {
      ...OPENID,
      scope: 'openid',
      prompt: 'none',
      id_token_hint: tokens.id_token,
    })
    expect(res.location.searchParams.get('error')).toBe('login_required')
    expect(res.location.searchParams.has('code')).toBe(false)
    // A hint this service did not sign is an error offered on a page, never a code.
    const [header, payload] = tokens.id_token!.split('.')
    const forged = await browse(
      `/authorize?${new URLSearchParams({
        client_id: client.client_id,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: 'a'.repeat(43),
        code_challenge_method: 'S256',
        id_token_hint: `${header}.${payload}.${'A'.repeat(86)}`,
      })}`,
      { headers: { cookie: cookieHeader(session.cookie) } },
    )
    expect(forged.status).toBe(400)
    expect(forged.headers.get('location')).toBeNull()
  })

  it('sends a sign-in older than max_age to sign in again, with login_hint in the form', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const { client, session } = await signedInRp({ scope: 'openid' })
    vi.setSystemTime(Date.now() + 120_000)
    const params = new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      max_age: '60',
      login_hint: session.username,
      code_challenge: 'a'.repeat(43),
      code_challenge_method: 'S256',
    })
    const res = await browse(`/authorize?${params}`, {
      headers: { cookie: cookieHeader(session.cookie) },
    })
    expect(res.status).toBe(303)
    const signin = new URL(res.headers.get('location')!, ORIGIN)
    expect(signin.pathname).toBe('/signin')
    expect(signin.searchParams.get('login_hint')).toBe(session.username)
    const page = await browse(signin.pathname + signin.search)
    expect(await page.text()).toContain(`value="${session.username}"`)

    params.set('max_age', '600')
    const recent = await browse(`/authorize?${params}`, {
      headers: { cookie: cookieHeader(session.cookie) },
    })
    expect(recent.status).toBe(303)
    expect(new URL(recent.headers.get('location')!).searchParams.get('code')).toBeTruthy()
  })
})

describe('RP-initiated logout', () => {
  it('with an ID token naming the signed-in user: ends the session and returns to the registered URI with state', async () => {
    const { as, client, session, tokens } = await signedInRp()
    const res = await endSession(session.cookie, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: LOGOUT_URI,
      state: 'bye',
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${LOGOUT_URI}?state=bye`)
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/)
    // The browser's session is over: prompt=none now needs a sign-in.
    const after = await authorizeAs(session.cookie, client.client_id, {
      ...OPENID,
      prompt: 'none',
    })
    expect(after.location.searchParams.get('error')).toBe('login_required')
    // The app's own offline grant is not the browser's session: it still refreshes.
    const refresh = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.None(),
      tokens.refresh_token!,
      options(),
    )
    expect(refresh.status).toBe(200)
  })

  it('without a hint asks first, and signs out only when the user confirms', async () => {
    const { client, session } = await signedInRp()
    const res = await endSession(session.cookie, {
      client_id: client.client_id,
      post_logout_redirect_uri: LOGOUT_URI,
      state: 'bye',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('set-cookie')).toBeNull()
    const page = await res.text()
    expect(page).toContain('action="/end-session/confirm"')
    expect(res.headers.get('content-security-policy')).toContain('https://app.example')
    const confirm = await browse('/end-session/confirm', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: ORIGIN,
        cookie: cookieHeader(session.cookie),
      },
      body: new URLSearchParams({
        client_id: client.client_id,
        post_logout_redirect_uri: LOGOUT_URI,
        state: 'bye',
        decision: 'signout',
      }),
    })
    expect(confirm.status).toBe(303)
    expect(confirm.headers.get('location')).toBe(`${LOGOUT_URI}?state=bye`)
    expect(confirm.headers.get('set-cookie')).toMatch(/Max-Age=0/)
  })

  it("asks first when the hint was issued before this browser's sign-in (an old ID token ends nothing silently)", async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const { session, tokens } = await signedInRp()
    // The same user signs in again in this browser, later: the RP's token predates it.
    vi.setSystemTime(Date.now() + 5_000)
    const login = await call('/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: ORIGIN },
      body: JSON.stringify({ username: session.username, password: PASSWORD, mode: 'cookie' }),
    })
    const cookie = refreshCookieOf(login)!.value
    const res = await endSession(cookie, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: LOGOUT_URI,
    })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('action="/end-session/confirm"')
    expect(res.headers.get('set-cookie')).toBeNull()
  })

  it('sends nobody anywhere by itself when no one is signed in here: a page with a link back', async () => {
    const { tokens } = await signedInRp()
    const res = await endSession(null, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: LOGOUT_URI,
      state: 'bye',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('location')).toBeNull()
    expect(await res.text()).toContain(`href="${LOGOUT_URI}?state=bye"`)
  })

  it('never redirects to a URI the client did not register', async () => {
    const { client, session, tokens } = await signedInRp()
    for (const uri of [
      'https://evil.example/logout',
      `${LOGOUT_URI}?x=1`,
      `${LOGOUT_URI}/`,
      REDIRECT_URI,
    ]) {
      const res = await endSession(session.cookie, {
        id_token_hint: tokens.id_token!,
        client_id: client.client_id,
        post_logout_redirect_uri: uri,
      })
      expect(res.status).toBe(400)
      expect(res.headers.get('location')).toBeNull()
      expect(res.headers.get('set-cookie')).toBeNull()
    }
  })
})

describe('registration', () => {
  it('takes and echoes the OIDC fields, and refuses what it cannot honour', async () => {
    const as = await discoverOpenId()
    const client = await registerApp(as, {
      post_logout_redirect_uris: [LOGOUT_URI],
      application_type: 'web',
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    })
    expect(client).toMatchObject({
      post_logout_redirect_uris: [LOGOUT_URI],
      application_type: 'web',
      id_token_signed_response_alg: 'ES256',
    })
    expect(client.client_secret).toBeTypeOf('string')
    const raw = (body: Record<string, unknown>) =>
      browse('/oauth/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [REDIRECT_URI], ...body }),
      })
    for (const [body, error] of [
      [{ id_token_signed_response_alg: 'RS512' }, 'invalid_client_metadata'],
      [{ id_token_signed_response_alg: 'none' }, 'invalid_client_metadata'],
      [{ userinfo_signed_response_alg: 'ES256' }, 'invalid_client_metadata'],
      [{ subject_type: 'pairwise' }, 'invalid_client_metadata'],
      [{ application_type: 'desktop' }, 'invalid_client_metadata'],
      [{ post_logout_redirect_uris: ['javascript:alert(1)'] }, 'invalid_client_metadata'],
      [
        { application_type: 'web', redirect_uris: ['http://127.0.0.1:8080/cb'] },
        'invalid_redirect_uri',
      ],
    ] as const) {
      const res = await raw(body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(((await res.json()) as { error: string }).error).toBe(error)
    }
    // A native app (or an MCP client sending no type) keeps its loopback redirect.
    expect((await raw({ redirect_uris: ['http://127.0.0.1:8080/cb'] })).status).toBe(201)
  })
})

describe('an OpenID-only deployment', () => {
  it('needs no PROTECTED_RESOURCES: sign-in and UserInfo work with none configured', async () => {
    const env = { ...AS_ENV, PROTECTED_RESOURCES: '' }
    const { as, client, session, tokens } = await signedInRp({}, env)
    const res = await oauth.userInfoRequest(as, client, tokens.access_token, options(env))
    expect(await res.json()).toMatchObject({ sub: session.user.id })
  })
})

// ---- RS256 ID tokens (OIDC_RSA_KEYS), OpenID Connect's default.

const WITHOUT_RSA = { ...AS_ENV, OIDC_RSA_KEYS: '' } as typeof AS_ENV

const rawRegister = (body: Record<string, unknown>, env = AS_ENV) =>
  browse(
    '/oauth/register',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'none',
        ...body,
      }),
    },
    env,
  )

const storedAlg = async (clientId: string) =>
  (
    await env.DB.prepare('SELECT id_token_alg FROM oauth_clients WHERE id = ?')
      .bind(clientId)
      .first<{ id_token_alg: string | null }>()
  )?.id_token_alg

const rsaKids = () =>
  (JSON.parse(env.OIDC_RSA_KEYS) as { keys: { kid: string }[] }).keys.map((key) => key.kid)

describe('RS256 ID tokens', () => {
  it('are the default: the registration says RS256, and jose verifies the ID token against the JWKS', async () => {
    const { as, client, tokens } = await signedInRp()
    expect(client.id_token_signed_response_alg).toBe('RS256')
    const header = decodeProtectedHeader(tokens.id_token!)
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: rsaKids()[0] })
    const jwks = (await (await browse('/.well-known/jwks.json')).json()) as { keys: JsonWebKey[] }
    const { payload } = await jwtVerify(tokens.id_token!, createLocalJWKSet(jwks as never), {
      issuer: as.issuer,
      audience: client.client_id,
      algorithms: ['RS256'],
    })
    expect(payload.at_hash).toBe(await atHash(tokens.access_token))
    // A refresh returns an RS256 ID token too, which oauth4webapi checks against the registration.
    const refreshed = await refreshedTokens(as, client, tokens.refresh_token!)
    expect(decodeProtectedHeader(refreshed.id_token!).alg).toBe('RS256')
  })

  it('stay ES256 for a client that registers ES256, on the exchange and on refresh', async () => {
    const { as, client, tokens } = await signedInRp({}, AS_ENV, {
      id_token_signed_response_alg: 'ES256',
    })
    expect(client.id_token_signed_response_alg).toBe('ES256')
    expect(await storedAlg(client.client_id)).toBe('ES256')
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('ES256')
    const refreshed = await refreshedTokens(as, client, tokens.refresh_token!)
    expect(decodeProtectedHeader(refreshed.id_token!).alg).toBe('ES256')
  })

  it('are not offered without OIDC_RSA_KEYS: the default is then the ring, and RS256 is refused', async () => {
    const as = await discoverOpenId(WITHOUT_RSA)
    expect(as.id_token_signing_alg_values_supported).toEqual(['ES256'])
    const plain = await rawRegister({}, WITHOUT_RSA)
    expect(plain.status).toBe(201)
    const registered = (await plain.json()) as {
      client_id: string
      id_token_signed_response_alg: string
    }
    expect(registered.id_token_signed_response_alg).toBe('ES256')
    expect(await storedAlg(registered.client_id)).toBe('ES256')
    const rs = await rawRegister({ id_token_signed_response_alg: 'RS256' }, WITHOUT_RSA)
    expect(rs.status).toBe(400)
    expect(await rs.json()).toMatchObject({
      error: 'invalid_client_metadata',
      error_description: 'id_token_signed_response_alg must be ES256',
    })
    // And the sign-in works, ES256, for a client that named no algorithm.
    const { tokens } = await signedInRp({}, WITHOUT_RSA)
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('ES256')
  })

  it('registration: absent or RS256 gives RS256, ES256 gives ES256; EdDSA, RS512, PS256, none are refused', async () => {
    for (const [asked, expected] of [
      [undefined, 'RS256'],
      ['RS256', 'RS256'],
      ['ES256', 'ES256'],
    ] as const) {
      const res = await rawRegister(
        asked === undefined ? {} : { id_token_signed_response_alg: asked },
      )
      expect(res.status).toBe(201)
      const body = (await res.json()) as { client_id: string; id_token_signed_response_alg: string }
      expect(body.id_token_signed_response_alg).toBe(expected)
      expect(await storedAlg(body.client_id)).toBe(expected)
    }
    for (const alg of ['EdDSA', 'RS512', 'PS256', 'none', 'rs256', '']) {
      const res = await rawRegister({ id_token_signed_response_alg: alg })
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({
        error: 'invalid_client_metadata',
        error_description: 'id_token_signed_response_alg must be RS256 or ES256',
      })
    }
  })

  it('a client registered before the choice (no stored alg) keeps ES256, as its registration said', async () => {
    const as = await discoverOpenId()
    const client = await registerApp(as, { post_logout_redirect_uris: [LOGOUT_URI] })
    await env.DB.prepare('UPDATE oauth_clients SET id_token_alg = NULL WHERE id = ?')
      .bind(client.client_id)
      .run()
    const legacy = { ...client, id_token_signed_response_alg: 'ES256' }
    const { cookie } = await cookieSession()
    const { tokens } = await openIdTokens(as, legacy, cookie)
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('ES256')
  })

  it('an RS256 hint is read at /end-session (silent sign-out) and at /authorize (prompt=none)', async () => {
    const first = await signedInRp()
    expect(decodeProtectedHeader(first.tokens.id_token!).alg).toBe('RS256')
    const { location } = await authorizeAs(first.session.cookie, first.client.client_id, {
      ...OPENID,
      prompt: 'none',
      id_token_hint: first.tokens.id_token!,
    })
    expect(location.searchParams.get('code')).toBeTruthy()
    expect(location.searchParams.get('error')).toBeNull()
    const res = await endSession(first.session.cookie, {
      id_token_hint: first.tokens.id_token!,
      post_logout_redirect_uri: LOGOUT_URI,
      state: 's',
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${LOGOUT_URI}?state=s`)
  })
})

describe('a metadata document naming id_token_signed_response_alg', () => {
  afterEach(() => vi.unstubAllGlobals())

  const serveDocument = (clientId: string, extra: Record<string, unknown>) => {
    const real = globalThis.fetch
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input)
      if (url !== clientId) return real(input, init)
      return Response.json({
        client_id: clientId,
        client_name: 'Document app',
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'none',
        ...extra,
      })
    })
  }

  it('gets RS256 when it names none, and ES256 when it names ES256', async () => {
    const as = await discoverOpenId()
    for (const [extra, alg] of [
      [{}, 'RS256'],
      [{ id_token_signed_response_alg: 'ES256' }, 'ES256'],
    ] as const) {
      const clientId = `https://docs-app.example/${crypto.randomUUID()}.json`
      serveDocument(clientId, extra)
      const client: oauth.Client = {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        id_token_signed_response_alg: alg,
      }
      const { cookie } = await cookieSession()
      const { tokens } = await openIdTokens(as, client, cookie, { scope: 'openid' })
      expect(decodeProtectedHeader(tokens.id_token!).alg).toBe(alg)
      vi.unstubAllGlobals()
    }
  })

  it('is refused (a page, no redirect) when the algorithm is not offered', async () => {
    for (const [alg, env] of [
      ['RS512', AS_ENV],
      ['none', AS_ENV],
      ['RS256', WITHOUT_RSA],
    ] as const) {
      const clientId = `https://docs-app.example/${crypto.randomUUID()}.json`
      serveDocument(clientId, { id_token_signed_response_alg: alg })
      const { cookie } = await cookieSession()
      const page = await browse(
        `/authorize?${new URLSearchParams({
          client_id: clientId,
          redirect_uri: REDIRECT_URI,
          response_type: 'code',
          scope: 'openid',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        })}`,
        { headers: { cookie: cookieHeader(cookie) } },
        env,
      )
      expect(page.status).toBe(400)
      expect(page.headers.get('location')).toBeNull()
      vi.unstubAllGlobals()
    }
  })
})
