// panva's openid-client (v6), a strict certified relying party, against edge-auth: discovery
// (the issuer must equal the URL asked), the authorization code flow with PKCE and a nonce, the
// ID token's checks (and its RS256 signature against the published JWKS), UserInfo for the same
// subject, a refresh that returns a new ID token for the same person, and RP-initiated logout
// that ends the person's edge-auth session. And the refusals a strict client relies on.
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../mcp-server/test/harness'
import { Browser } from './browser'
import {
  type Person,
  type Provider,
  newPerson,
  onEdgeAuthPages,
  registerClient,
  startProvider,
} from './edge-auth'

// Nothing listens here: the browser stops at these URLs and the test reads them.
const APP = 'http://127.0.0.1:1' // port 1: never served
const REDIRECT_URI = `${APP}/callback`
const POST_LOGOUT_URI = `${APP}/signed-out`

let op: Provider
let config: client.Configuration
let clientId: string

beforeAll(async () => {
  op = await startProvider(await freePort())
  const registered = await registerClient(op, {
    client_name: 'openid-client app',
    redirect_uris: [REDIRECT_URI],
    token_endpoint_auth_method: 'client_secret_post',
    post_logout_redirect_uris: [POST_LOGOUT_URI],
  })
  clientId = registered.client_id
  // No algorithm asked: OpenID Connect's default, RS256, which edge-auth's answer confirms.
  expect(registered.id_token_signed_response_alg).toBe('RS256')
  config = await client.discovery(
    new URL(op.issuer),
    clientId,
    // Pin what the registration answered, so nothing else is accepted.
    { id_token_signed_response_alg: registered.id_token_signed_response_alg },
    client.ClientSecretPost(registered.client_secret!),
    // The loopback issuer is plain http, which openid-client refuses unless told.
    { execute: [client.allowInsecureRequests] },
  )
}, 60_000)

afterAll(async () => {
  await op?.stop()
})

type Checks = { verifier: string; nonce: string; state: string }

/** An authorization request as the library builds it, and the person's way back to the app. */
async function authorize(browser: Browser, person: Person, scope: string) {
  const checks: Checks = {
    verifier: client.randomPKCECodeVerifier(),
    nonce: client.randomNonce(),
    state: client.randomState(),
  }
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(checks.verifier),
    code_challenge_method: 'S256',
    nonce: checks.nonce,
    state: checks.state,
  })
  const callback = await browser.walk(
    url,
    (next) => next.href.startsWith(REDIRECT_URI),
    onEdgeAuthPages(person),
  )
  return { callback, checks }
}

const exchange = (callback: URL, checks: Checks) =>
  client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: checks.verifier,
    expectedNonce: checks.nonce,
    expectedState: checks.state,
    idTokenExpected: true,
  })

describe('openid-client v6 with edge-auth as its OpenID Provider', () => {
  it('discovers edge-auth: the issuer is the URL asked, the endpoints the contract’s', () => {
    const metadata = config.serverMetadata()
    expect(metadata.issuer).toBe(op.issuer)
    expect(metadata).toMatchObject({
      authorization_endpoint: `${op.issuer}/authorize`,
      token_endpoint: `${op.issuer}/oauth/token`,
      userinfo_endpoint: expect.stringMatching(new RegExp(`^${op.issuer}/`)),
      registration_endpoint: `${op.issuer}/oauth/register`,
      end_session_endpoint: `${op.issuer}/end-session`,
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      code_challenge_methods_supported: ['S256'],
    })
    expect(metadata.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']),
    )
  })

  it('signs in with code, PKCE and nonce; the ID token and UserInfo name the same person', async () => {
    const person = await newPerson(op, 'verified')
    const { callback, checks } = await authorize(new Browser(), person, 'openid profile email')
    expect(callback.searchParams.get('iss')).toBe(op.issuer)
    const tokens = await exchange(callback, checks)
    expect(tokens.claims()).toMatchObject({
      iss: op.issuer,
      aud: clientId,
      sub: person.id,
      nonce: checks.nonce,
      preferred_username: person.username,
      email: person.email,
      email_verified: true,
    })
    // openid-client trusts the token endpoint's ID token; check its signature too.
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256')
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!))
    await jwtVerify(tokens.id_token!, jwks, {
      issuer: op.issuer,
      audience: clientId,
      algorithms: ['RS256'],
    })
    // No offline_access, no refresh token.
    expect(tokens.refresh_token).toBeUndefined()

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, person.id)
    expect(userinfo).toMatchObject({
      sub: person.id,
      preferred_username: person.username,
      email: person.email,
      email_verified: true,
    })
    // The library refuses UserInfo for someone other than the ID token's subject.
    await expect(
      client.fetchUserInfo(config, tokens.access_token, crypto.randomUUID()),
    ).rejects.toThrow()
  }, 20_000)

  it('releases no email claims for an address that was never verified', async () => {
    const person = await newPerson(op, 'unverified')
    const { callback, checks } = await authorize(new Browser(), person, 'openid profile email')
    const tokens = await exchange(callback, checks)
    const claims = tokens.claims()!
    expect(claims.sub).toBe(person.id)
    expect(claims.email).toBeUndefined()
    expect(claims.email_verified).toBeUndefined()
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, person.id)
    expect(userinfo.email).toBeUndefined()
  }, 20_000)

  it('refuses a callback with another state, and an ID token with another nonce', async () => {
    const person = await newPerson(op, 'verified')
    const browser = new Browser()
    const first = await authorize(browser, person, 'openid')
    await expect(
      exchange(first.callback, { ...first.checks, state: client.randomState() }),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/"state"/) } })
    const second = await authorize(browser, person, 'openid')
    await expect(
      exchange(second.callback, { ...second.checks, nonce: client.randomNonce() }),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/"nonce"/) } })
    // A code is single-use: the one just exchanged (and refused for its nonce) is spent.
    await expect(exchange(second.callback, second.checks)).rejects.toThrow()
  }, 20_000)

  it('refreshes with offline_access: a new ID token for the same person', async () => {
    const person = await newPerson(op, 'verified')
    const { callback, checks } = await authorize(
      new Browser(),
      person,
      'openid profile email offline_access',
    )
    const tokens = await exchange(callback, checks)
    expect(tokens.refresh_token).toBeTruthy()
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
    expect(refreshed.id_token).toBeTruthy()
    expect(refreshed.id_token).not.toBe(tokens.id_token)
    expect(refreshed.claims()).toMatchObject({ iss: op.issuer, aud: clientId, sub: person.id })
    expect(refreshed.refresh_token).toBeTruthy()
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)
  }, 20_000)

  it('logs out from edge-auth: back at the registered URI with state, the session gone', async () => {
    const person = await newPerson(op, 'verified')
    const browser = new Browser()
    const { callback, checks } = await authorize(browser, person, 'openid')
    const tokens = await exchange(callback, checks)
    // Still signed in at edge-auth: a second authorization needs no password.
    const again = await authorize(browser, person, 'openid')
    expect(again.callback.searchParams.get('code')).toBeTruthy()

    const state = client.randomState()
    const logout = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: POST_LOGOUT_URI,
      state,
    })
    const back = await browser.walk(
      logout,
      (next) => next.href.startsWith(POST_LOGOUT_URI),
      () => {
        throw new Error('a page between the logout request and the app')
      },
    )
    expect(back.origin + back.pathname).toBe(POST_LOGOUT_URI)
    expect(back.searchParams.get('state')).toBe(state)

    // Signed out: the next authorization goes to the sign-in page.
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: client.randomState(),
    })
    const res = await browser.fetch(url)
    expect(new URL(res.headers.get('location')!, op.issuer).pathname).toBe('/signin')
  }, 20_000)

  it('never sends the browser to a post-logout URI that was not registered', async () => {
    const person = await newPerson(op, 'verified')
    const browser = new Browser()
    const { callback, checks } = await authorize(browser, person, 'openid')
    const tokens = await exchange(callback, checks)
    const logout = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'https://attacker.example/landing',
      state: client.randomState(),
    })
    const res = await browser.fetch(logout)
    // Refused where it stands: no redirect at all, to the attacker or anywhere else.
    expect(res.headers.get('location')).toBeNull()
  }, 20_000)
})
