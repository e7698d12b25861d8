import { createRemoteJWKSet, customFetch as joseFetch, jwtVerify } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  ORIGIN,
  bearer,
  call,
  callWithEnv,
  captureLogs,
  expectProblem,
  freezeTime,
  refresh,
  signedIn,
} from '../helpers'

const form = (
  params: Record<string, string>,
  headers: Record<string, string> = {},
): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(params).toString(),
})

const tokenGrant = (refreshToken: string) =>
  call('/oauth/token', form({ grant_type: 'refresh_token', refresh_token: refreshToken }))

async function expectOAuthError(res: Response, status: number, error: string) {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(res.headers.get('cache-control')).toBe('no-store')
  const body = (await res.json()) as Record<string, unknown>
  expect(body).toEqual({ error, error_description: expect.any(String) })
  return body
}

/** Routes oauth4webapi's and jose's requests into the worker instead of the network. */
const viaWorker = (url: string | URL, init?: RequestInit) => call(new URL(url).pathname, init)

describe('POST /oauth/token (refresh_token grant)', () => {
  afterEach(() => vi.useRealTimers())

  it('answers RFC 6749 §5.1 JSON, not cacheable, with a rotated refresh token', async () => {
    const { tokens } = await signedIn()
    const res = await tokenGrant(tokens.refreshToken)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('pragma')).toBe('no-cache')
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 20,
      refresh_token: expect.any(String),
    })
    expect(body.refresh_token).not.toBe(tokens.refreshToken)
    expect((await call('/users', bearer(body.access_token as string))).status).toBe(200)
  })

  it('shares rotation with POST /token: one chain, either wire format, same reuse rules', async () => {
    const { tokens } = await signedIn()
    const clock = freezeTime()
    const viaOAuth = (await (await tokenGrant(tokens.refreshToken)).json()) as Record<
      string,
      string
    >
    // A repeat through the seed route gets the same successor the OAuth route issued.
    const viaSeed = (await (await refresh(tokens.refreshToken)).json()) as Record<string, string>
    expect(viaSeed.refreshToken).toBe(viaOAuth.refresh_token)
    // Once the chain moves on through the seed route, a replay after the window through the
    // OAuth route is reuse: the family ends, its newest token included.
    const newest = (await (await refresh(viaSeed.refreshToken!)).json()) as Record<string, string>
    clock.advance(11_000)
    await expectOAuthError(await tokenGrant(tokens.refreshToken), 400, 'invalid_grant')
    await expectProblem(await refresh(newest.refreshToken!), 401, 'refresh_token_reused')
  })

  it.each([
    [
      'an unknown token',
      { grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) },
      'invalid_grant',
    ],
    ['no refresh_token', { grant_type: 'refresh_token' }, 'invalid_request'],
    [
      'an empty refresh_token',
      { grant_type: 'refresh_token', refresh_token: '' },
      'invalid_request',
    ],
    ['no grant_type', { refresh_token: 'x' }, 'invalid_request'],
    [
      'the password grant',
      { grant_type: 'password', username: 'a', password: 'b' },
      'unsupported_grant_type',
    ],
    [
      'the client_credentials grant',
      { grant_type: 'client_credentials', client_id: 'c' },
      'unsupported_grant_type',
    ],
    [
      'a client_secret',
      { grant_type: 'refresh_token', refresh_token: 'x', client_secret: 's' },
      'invalid_client',
    ],
  ])('refuses %s with the RFC 6749 §5.2 error', async (_, params, error) => {
    const lines = captureLogs()
    const res = await call('/oauth/token', form(params))
    const body = await expectOAuthError(res, error === 'invalid_client' ? 401 : 400, error)
    expect(JSON.stringify(body)).not.toMatch(/access_token|refresh_token"/)
    expect(lines.join('\n')).not.toContain('x'.repeat(43))
  })

  it('answers the authorization_code grant with 503 while the authorization server is off (no JWT_ISSUER)', async () => {
    const res = await call('/oauth/token', form({ grant_type: 'authorization_code', code: 'c' }))
    const body = await expectOAuthError(res, 503, 'temporarily_unavailable')
    expect(JSON.stringify(body)).toContain('JWT_ISSUER')
    expect(res.headers.get('retry-after')).toBe('3600')
  })

  it('refuses a parameter sent twice, and a JSON body', async () => {
    const twice = 'grant_type=refresh_token&refresh_token=a&refresh_token=b'
    const init = { ...form({}), body: twice }
    await expectOAuthError(await call('/oauth/token', init), 400, 'invalid_request')
    const json = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }
    await expectOAuthError(await call('/oauth/token', json), 400, 'invalid_request')
  })

  it('issues nothing for an access token presented as the refresh token', async () => {
    const { tokens } = await signedIn()
    await expectOAuthError(await tokenGrant(tokens.accessToken), 400, 'invalid_grant')
  })
})

describe('POST /oauth/revoke (RFC 7009)', () => {
  const revoke = (params: Record<string, string>) => call('/oauth/revoke', form(params))

  it.each([undefined, 'refresh_token', 'access_token', 'something_else'])(
    'ends the session of a refresh token, answering 200 (hint: %s)',
    async (hint) => {
      const { tokens } = await signedIn()
      const params = { token: tokens.refreshToken, ...(hint ? { token_type_hint: hint } : {}) }
      const res = await revoke(params)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('')
      await expectProblem(await refresh(tokens.refreshToken), 401, 'invalid_refresh_token')
    },
  )

  it('ends the session of an access token too; the access token itself lives out its 20 s', async () => {
    const { tokens } = await signedIn()
    expect(
      (await revoke({ token: tokens.accessToken, token_type_hint: 'access_token' })).status,
    ).toBe(200)
    await expectProblem(await refresh(tokens.refreshToken), 401, 'invalid_refresh_token')
  })

  it('answers 200 for unknown, malformed and forged tokens, and changes nothing', async () => {
    const { tokens } = await signedIn()
    for (const token of ['x'.repeat(43), 'not-a-token', 'a.b.c', `${tokens.accessToken}x`]) {
      expect((await revoke({ token })).status).toBe(200)
    }
    expect((await refresh(tokens.refreshToken)).status).toBe(200)
  })

  it('needs the token parameter', async () => {
    await expectOAuthError(
      await revoke({ token_type_hint: 'refresh_token' }),
      400,
      'invalid_request',
    )
  })
})

describe('standard clients against the worker', () => {
  it('oauth4webapi: discovery, refresh_token grant, revocation; jose verifies the tokens', async () => {
    const { tokens, user } = await signedIn()
    const issuer = new URL(ORIGIN)
    const options = { [oauth.customFetch]: viaWorker }

    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }),
    )
    expect(as.token_endpoint).toBe(`${ORIGIN}/oauth/token`)
    const client: oauth.Client = { client_id: 'first-party-spa' }
    const clientAuth = oauth.None()

    const grant = await oauth.refreshTokenGrantRequest(
      as,
      client,
      clientAuth,
      tokens.refreshToken,
      options,
    )
    const result = await oauth.processRefreshTokenResponse(as, client, grant)
    expect(result.token_type).toBe('bearer') // oauth4webapi lower-cases it
    expect(result.expires_in).toBe(20)

    const jwks = createRemoteJWKSet(new URL(as.jwks_uri!), { [joseFetch]: viaWorker })
    const { payload } = await jwtVerify(result.access_token, jwks, {
      issuer: as.issuer,
      audience: 'edge-auth',
    })
    expect(payload.sub).toBe(user.id)

    const revoked = await oauth.revocationRequest(
      as,
      client,
      clientAuth,
      result.refresh_token!,
      options,
    )
    await oauth.processRevocationResponse(revoked)
    const again = await oauth.refreshTokenGrantRequest(
      as,
      client,
      clientAuth,
      result.refresh_token!,
      options,
    )
    const err = await oauth.processRefreshTokenResponse(as, client, again).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(oauth.ResponseBodyError)
    expect((err as oauth.ResponseBodyError).error).toBe('invalid_grant')
  })
})

describe('OAuth errors for failures on the server side', () => {
  const grant = (token: string) => form({ grant_type: 'refresh_token', refresh_token: token })

  it('answers 429 temporarily_unavailable with Retry-After when rate limited', async () => {
    const { tokens } = await signedIn()
    const limiter = { limit: async () => ({ success: false }) }
    const res = await callWithEnv(
      { TOKEN_LIMITER: limiter },
      '/oauth/token',
      grant(tokens.refreshToken),
    )
    await expectOAuthError(res, 429, 'temporarily_unavailable')
    expect(res.headers.get('retry-after')).toBe('60')
  })

  it('answers 503 temporarily_unavailable when KV fails, and issues nothing', async () => {
    const { tokens } = await signedIn()
    const kv = { get: () => Promise.reject(new Error('KV down')) } as unknown as KVNamespace
    captureLogs()
    const res = await callWithEnv(
      { REFRESH_TOKENS: kv },
      '/oauth/token',
      grant(tokens.refreshToken),
    )
    await expectOAuthError(res, 503, 'temporarily_unavailable')
    expect((await refresh(tokens.refreshToken)).status).toBe(200) // the token was not spent
  })

  it('answers 500 server_error when the signing keys are missing', async () => {
    const { tokens } = await signedIn()
    captureLogs()
    const res = await callWithEnv(
      { JWT_PRIVATE_KEYS: undefined },
      '/oauth/token',
      grant(tokens.refreshToken),
    )
    await expectOAuthError(res, 500, 'server_error')
  })
})
