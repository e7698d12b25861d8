// private_key_jwt: a client registered with its public keys authenticates at the token endpoint
// with a JWT it signs (oauth4webapi's PrivateKeyJwt); every way to bend the assertion is refused
// with 401 invalid_client and issues nothing.
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as oauth from 'oauth4webapi'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { ORIGIN, cookieSession, freezeTime } from '../helpers'
import {
  REDIRECT_URI,
  authorizeAs,
  browse,
  discover,
  options,
  registerApp,
  tokensFor,
} from '../oauth-server/flow'

async function keyedApp() {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
  const as = await discover()
  const client = await registerApp(as, {
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [jwk] },
  } as Partial<oauth.Client>)
  return { as, client, privateKey }
}

/** An assertion as a client makes one, with `claims` changed. */
const assertion = (
  privateKey: CryptoKey,
  clientId: string,
  claims: Record<string, unknown> = {},
  expiresIn = '2m',
) =>
  new SignJWT({ jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(ORIGIN)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(privateKey)

const send = (fields: Record<string, string>) =>
  browse('/oauth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: 'app.x',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      ...fields,
    }),
  })

describe('private_key_jwt', () => {
  it('is advertised, and a keyed client gets tokens with its signed assertion', async () => {
    const { as, client, privateKey } = await keyedApp()
    expect(as.token_endpoint_auth_methods_supported).toContain('private_key_jwt')
    expect(client.client_secret).toBeUndefined()
    const { cookie } = await cookieSession()
    const { location, verifier, state } = await authorizeAs(cookie, client.client_id)
    const callback = oauth.validateAuthResponse(as, client, location, state)
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.PrivateKeyJwt({ key: privateKey, kid: 'k1' }),
      callback,
      REDIRECT_URI,
      verifier,
      options(),
    )
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, res)
    expect(tokens.refresh_token).toMatch(/^app\./)
    const refreshed = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.PrivateKeyJwt({ key: privateKey, kid: 'k1' }),
      tokens.refresh_token!,
      options(),
    )
    expect(
      (await oauth.processRefreshTokenResponse(as, client, refreshed)).access_token,
    ).toBeTruthy()
  })

  it('refuses a private key in the registration', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const res = await browse('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [await exportJWK(privateKey)] },
      }),
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'invalid_client_metadata' })
  })

  it.each([
    ['another audience', { aud: 'https://elsewhere.example' }, '2m'],
    ['another subject', { sub: 'someone-else' }, '2m'],
    ['no jti', { jti: undefined }, '2m'],
    ['a life of an hour', {}, '1h'],
    ['an expiry in the past', {}, '-1m'],
  ])('refuses an assertion with %s', async (_, claims, expiresIn) => {
    const { client, privateKey } = await keyedApp()
    let jwt = await assertion(privateKey, client.client_id, claims, expiresIn)
    if ('aud' in claims || 'sub' in claims) {
      const builder = new SignJWT({ jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(client.client_id)
        .setSubject((claims as { sub?: string }).sub ?? client.client_id)
        .setAudience((claims as { aud?: string }).aud ?? ORIGIN)
        .setIssuedAt()
        .setExpirationTime('2m')
      jwt = await builder.sign(privateKey)
    }
    const res = await send({ client_id: client.client_id, client_assertion: jwt })
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ error: 'invalid_client' })
  })

  it('refuses an assertion used a second time, a foreign key, and a secret sent alongside', async () => {
    const { client, privateKey } = await keyedApp()
    const jwt = await assertion(privateKey, client.client_id)
    // The first use authenticates (the refresh token itself is then unknown: 400).
    expect((await send({ client_assertion: jwt })).status).toBe(400)
    const again = await send({ client_assertion: jwt })
    expect(again.status).toBe(401)
    const other = await generateKeyPair('ES256')
    const forged = await assertion(other.privateKey, client.client_id)
    expect((await send({ client_assertion: forged })).status).toBe(401)
    const both = await send({
      client_assertion: await assertion(privateKey, client.client_id),
      client_secret: 'x',
    })
    expect(both.status).toBe(401)
  })

  it('refuses a secret or no authentication from a keyed client, and an assertion from a public one', async () => {
    const { client } = await keyedApp()
    expect((await send({ client_id: client.client_id, client_assertion_type: '' })).status).toBe(
      401,
    )
    const as = await discover()
    const pub = await registerApp(as)
    const { privateKey } = await generateKeyPair('ES256')
    const res = await send({ client_assertion: await assertion(privateKey, pub.client_id) })
    expect(res.status).toBe(401)
    const { cookie } = await cookieSession()
    const tokens = await tokensFor(as, pub, cookie)
    expect(tokens.access_token).toBeTruthy()
  })
})

describe('private_key_jwt with a jwks_uri', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.useRealTimers()
  })

  it('refuses (401, never 500) when the client serves junk as its key set', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    const jwksUri = `https://keys-${crypto.randomUUID()}.example/jwks.json`
    const real = globalThis.fetch
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input)
      return url === jwksUri ? Response.json({ keys: [null] }) : real(input, init)
    })
    const as = await discover()
    const client = await registerApp(as, {
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: jwksUri,
    } as Partial<oauth.Client>)
    const junk = await send({ client_assertion: await assertion(privateKey, client.client_id) })
    expect(junk.status).toBe(401)
    expect(await junk.json()).toMatchObject({ error: 'invalid_client' })
  })

  it('fetches the set again for a key it lacks (a rotation), at most once a minute', async () => {
    const clock = freezeTime()
    const a = await generateKeyPair('ES256', { extractable: true })
    const b = await generateKeyPair('ES256', { extractable: true })
    const jwksUri = `https://keys-${crypto.randomUUID()}.example/jwks.json`
    let served = [{ ...(await exportJWK(a.publicKey)), kid: 'k1' }]
    let fetches = 0
    const real = globalThis.fetch
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input)
      if (url !== jwksUri) return real(input, init)
      fetches++
      return Response.json({ keys: served })
    })
    const as = await discover()
    const client = await registerApp(as, {
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: jwksUri,
    } as Partial<oauth.Client>)
    const signed = (key: CryptoKey, kid: string) =>
      new SignJWT({ jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(client.client_id)
        .setSubject(client.client_id)
        .setAudience(ORIGIN)
        .setIssuedAt()
        .setExpirationTime('2m')
        .sign(key)
    // Authenticated (the refresh token is then unknown: 400, not 401).
    expect((await send({ client_assertion: await signed(a.privateKey, 'k1') })).status).toBe(400)
    expect(fetches).toBe(1)
    // The client rotates to k2. Within the minute the set is not fetched again.
    served = [{ ...(await exportJWK(b.publicKey)), kid: 'k2' }]
    expect((await send({ client_assertion: await signed(b.privateKey, 'k2') })).status).toBe(401)
    expect(fetches).toBe(1)
    clock.advance(61_000)
    expect((await send({ client_assertion: await signed(b.privateKey, 'k2') })).status).toBe(400)
    expect(fetches).toBe(2)
  })
})
