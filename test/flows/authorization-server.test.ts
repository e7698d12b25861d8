// The authorization server end to end, with oauth4webapi as a strict client: discovery, dynamic
// registration, sign-in and consent, the code with iss (RFC 9207), the exchange with PKCE and a
// resource (RFC 8707), an RFC 9068 access token a resource verifies offline, refresh, revocation,
// and the user's connected apps.
import { describe, expect, it } from 'vitest'
import * as oauth from 'oauth4webapi'
import { createLocalJWKSet, jwtVerify } from 'jose'
import {
  ORIGIN,
  PASSWORD,
  bearer,
  call,
  cookieSession,
  refresh,
  refreshCookieOf,
  registerUser,
} from '../helpers'
import { setCookie } from '../federation/flow'
import {
  AS_ENV,
  REDIRECT_URI,
  authorizePath,
  consentRequestOf,
  cookieHeader,
  decide,
  discover,
  expectRefreshRefused,
  pkce,
  registerApp,
  OTHER_RESOURCE,
  RESOURCE,
  appAndUser,
  browse,
  options,
  tokensFor,
} from '../oauth-server/flow'

async function verifyAtResource(token: string, resource = RESOURCE) {
  const jwks = (await (await browse('/.well-known/jwks.json')).json()) as { keys: [] }
  return jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: ORIGIN,
    audience: resource,
    typ: 'at+jwt',
    algorithms: ['ES256'],
  })
}

describe('the authorization server, as oauth4webapi sees it', () => {
  it('publishes metadata a strict client accepts', async () => {
    const res = await browse('/.well-known/oauth-authorization-server')
    const metadata = (await res.json()) as Record<string, unknown>
    expect(metadata).toMatchObject({
      issuer: ORIGIN,
      authorization_endpoint: `${ORIGIN}/authorize`,
      token_endpoint: `${ORIGIN}/oauth/token`,
      registration_endpoint: `${ORIGIN}/oauth/register`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      scopes_supported: [
        'openid',
        'profile',
        'email',
        'offline_access',
        'notes:read',
        'notes:write',
        'calendar:read',
      ],
    })
    expect(metadata.token_endpoint_auth_methods_supported).toEqual([
      'none',
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ])
    expect(metadata.client_id_metadata_document_supported).toBe(true)
  })

  it('runs registration, consent, the code and its exchange, and mints an at+jwt for the resource', async () => {
    const { as, client, session } = await appAndUser()
    const tokens = await tokensFor(as, client, session.cookie)
    expect(tokens.token_type).toBe('bearer')
    expect(tokens.scope).toBe('notes:read')
    expect(tokens.refresh_token).toMatch(/^app\./)
    const { payload, protectedHeader } = await verifyAtResource(tokens.access_token)
    expect(protectedHeader.typ).toBe('at+jwt')
    expect(payload).toMatchObject({
      sub: session.user.id,
      aud: RESOURCE,
      client_id: client.client_id,
      scope: 'notes:read',
    })
    expect(typeof payload.jti).toBe('string')
    expect(payload.exp! - payload.iat!).toBe(300)
  })

  it('refreshes within the grant, narrows scope on request, and refuses to widen it', async () => {
    const { as, client, session } = await appAndUser()
    const first = await tokensFor(as, client, session.cookie, { scope: 'notes:read notes:write' })
    const res = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.None(),
      first.refresh_token!,
      {
        ...options(),
        additionalParameters: { scope: 'notes:read' },
      },
    )
    const second = await oauth.processRefreshTokenResponse(as, client, res)
    expect(second.scope).toBe('notes:read')
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect((await verifyAtResource(second.access_token)).payload.scope).toBe('notes:read')

    // The narrowed token does not narrow the grant; but nothing beyond it is ever given.
    const wider = await browse('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: second.refresh_token!,
        client_id: client.client_id,
        scope: 'notes:read calendar:read',
      }),
    })
    expect(wider.status).toBe(400)
    expect(await wider.json()).toMatchObject({ error: 'invalid_scope' })
  })

  it('gives a racing twin of a refresh the same successor instead of ending the grant', async () => {
    const { as, client, session } = await appAndUser()
    const first = await tokensFor(as, client, session.cookie)
    const send = () =>
      oauth.refreshTokenGrantRequest(as, client, oauth.None(), first.refresh_token!, options())
    const [a, b] = await Promise.all([send(), send()])
    const [ta, tb] = await Promise.all([
      oauth.processRefreshTokenResponse(as, client, a),
      oauth.processRefreshTokenResponse(as, client, b),
    ])
    expect(ta.refresh_token).toBe(tb.refresh_token)
  })

  it('keeps grants and first-party sessions apart, in both directions', async () => {
    const { as, client, session } = await appAndUser()
    const tokens = await tokensFor(as, client, session.cookie)
    // The app's refresh token mints nothing first-party.
    const asFirstParty = await call('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: tokens.refresh_token }),
    })
    expect(asFirstParty.status).toBe(401)
    // Its access token is not a first-party access token.
    expect((await call('/users/me', bearer(tokens.access_token))).status).toBe(401)
    // And the user's own refresh token is never a grant's, whoever presents it.
    const own = await cookieSession()
    const res = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.None(),
      `app.${own.cookie}`,
      options(),
    )
    await expect(oauth.processRefreshTokenResponse(as, client, res)).rejects.toThrow()
    // The app's grant session is not among the user's own sessions.
    const sessions = (await (await refresh(session.cookie)).json()) as { accessToken: string }
    const listed = (await (
      await call('/sessions', bearer(sessions.accessToken))
    ).json()) as unknown[]
    expect(listed).toHaveLength(1)
  })

  it('revokes a refresh token for its client only', async () => {
    const { as, client, session } = await appAndUser()
    const tokens = await tokensFor(as, client, session.cookie)
    const stranger = await registerApp(as)
    // Another client's revocation ends nothing.
    await oauth.revocationRequest(as, stranger, oauth.None(), tokens.refresh_token!, options())
    const still = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.None(),
      tokens.refresh_token!,
      options(),
    )
    const next = await oauth.processRefreshTokenResponse(as, client, still)
    const revoked = await oauth.revocationRequest(
      as,
      client,
      oauth.None(),
      next.refresh_token!,
      options(),
    )
    await oauth.processRevocationResponse(revoked)
    await expectRefreshRefused(as, client, next.refresh_token!)
  })

  it("lists the user's connected apps, and removing one stops its refresh tokens", async () => {
    const { as, client, session } = await appAndUser()
    const tokens = await tokensFor(as, client, session.cookie, { scope: 'notes:write' })
    await tokensFor(as, client, session.cookie, {
      resource: OTHER_RESOURCE,
      scope: 'calendar:read',
    })
    const access = ((await (await refresh(session.cookie)).json()) as { accessToken: string })
      .accessToken
    const list = (await (await browse('/users/me/grants', bearer(access))).json()) as {
      id: string
      resource: string
      scopes: string[]
      clientName: string
    }[]
    expect(list.map((g) => g.resource).sort()).toEqual([OTHER_RESOURCE, RESOURCE].sort())
    expect(list.find((g) => g.resource === RESOURCE)).toMatchObject({
      scopes: ['notes:write'],
      clientName: 'Notes app',
    })
    const notes = list.find((g) => g.resource === RESOURCE)!
    const removed = await browse(`/users/me/grants/${notes.id}`, {
      method: 'DELETE',
      ...bearer(access),
    })
    expect(removed.status).toBe(204)
    await expectRefreshRefused(as, client, tokens.refresh_token!)
    const again = await browse(`/users/me/grants/${notes.id}`, {
      method: 'DELETE',
      ...bearer(access),
    })
    expect(again.status).toBe(404)
  })

  it('shows the app on /account, where Remove ends its grant', async () => {
    const { as, client, session } = await appAndUser()
    const tokens = await tokensFor(as, client, session.cookie)
    const account = await browse('/account', { headers: { cookie: cookieHeader(session.cookie) } })
    const page = await account.text()
    expect(page).toContain('Apps you allowed')
    expect(page).toContain('Notes app')
    const id = /action="\/account\/apps\/([^/]+)\/remove"/.exec(page)![1]!
    const post = (origin: string) =>
      browse(`/account/apps/${id}/remove`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin,
          cookie: cookieHeader(session.cookie),
        },
        body: '',
      })
    // From another site: refused, the app keeps its access.
    expect((await post('https://evil.example')).status).toBe(403)
    const still = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.None(),
      tokens.refresh_token!,
      options(),
    )
    const next = await oauth.processRefreshTokenResponse(as, client, still)
    const removed = await post(ORIGIN)
    expect(removed.status).toBe(303)
    expect(removed.headers.get('location')).toBe('/account?done=appremoved')
    await expectRefreshRefused(as, client, next.refresh_token!)
    const gone = await (
      await browse('/account', { headers: { cookie: cookieHeader(session.cookie) } })
    ).text()
    expect(gone).not.toContain('Apps you allowed')
  })

  it('sends a visitor with no session through /signin and back, the request waiting in its cookie', async () => {
    const as = await discover()
    const client = await registerApp(as)
    const { username } = await registerUser()
    const { verifier, challenge, state } = await pkce()
    const start = await browse(
      authorizePath(client.client_id, { code_challenge: challenge, state }),
    )
    expect(start.status).toBe(303)
    const signin = new URL(start.headers.get('location')!, ORIGIN)
    expect(signin.pathname).toBe('/signin')
    const back = signin.searchParams.get('return_to')!
    expect(back).toMatch(/^\/authorize\/resume\?id=[\w-]{16}$/)
    const pendingName = `__Host-authorize-${new URL(back, ORIGIN).searchParams.get('id')}`
    const pending = setCookie(start, pendingName)
    expect(pending).toBeTruthy()
    // The visitor signs in on the hosted page, which returns to the waiting request.
    const signedIn = await browse('/signin', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
      body: new URLSearchParams({ username, password: PASSWORD, return_to: back }),
    })
    expect(signedIn.status).toBe(303)
    expect(signedIn.headers.get('location')).toBe(back)
    const cookie = refreshCookieOf(signedIn)!.value
    const consent = await browse(back, {
      headers: { cookie: `${pendingName}=${pending}; ${cookieHeader(cookie)}` },
    })
    const res = await decide(cookie, await consentRequestOf(consent), 'allow')
    const callback = oauth.validateAuthResponse(
      as,
      client,
      new URL(res.headers.get('location')!),
      state,
    )
    const tokenRes = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      callback,
      REDIRECT_URI,
      verifier,
      options(),
    )
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenRes)
    expect((await verifyAtResource(tokens.access_token)).payload.sub).toBeTruthy()
    // Without the cookie (another browser), the resume link leads nowhere.
    const elsewhere = await browse(back, { headers: { cookie: cookieHeader(cookie) } })
    expect(elsewhere.status).toBe(400)
    expect(elsewhere.headers.get('location')).toBeNull()
  })

  it('answers 503 naming JWT_ISSUER when the issuer would come from the Host', async () => {
    const env = { ...AS_ENV, JWT_ISSUER: '' }
    const res = await browse(
      '/oauth/register',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['https://app.example/cb'] }),
      },
      env,
    )
    expect(res.status).toBe(503)
    expect(((await res.json()) as { error_description: string }).error_description).toContain(
      'JWT_ISSUER',
    )
    const metadata = (await (
      await browse('/.well-known/oauth-authorization-server', {}, env)
    ).json()) as Record<string, unknown>
    expect(metadata.response_types_supported).toEqual([])
    expect(metadata.authorization_endpoint).toBeUndefined()
  })
})
