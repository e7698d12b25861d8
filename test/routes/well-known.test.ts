import { env } from 'cloudflare:workers'
import { createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { Hono } from 'hono'
import { sign } from 'hono/jwt'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  ORIGIN,
  PASSWORD,
  bearer,
  call,
  callWithEnv,
  expectProblem,
  freezeTime,
  jsonInit,
  registerUser,
  serverSigningKey,
  signedIn,
  uniqueUsername,
} from '../helpers'
import { generateKey } from '../auth/keys'

const configuredKeys = () =>
  (JSON.parse(env.JWT_PRIVATE_KEYS) as { keys: Record<string, string>[] }).keys
const configuredRsaKeys = () =>
  (JSON.parse(env.OIDC_RSA_KEYS) as { keys: Record<string, string>[] }).keys

describe('GET /.well-known/jwks.json', () => {
  it('publishes the public half of every configured key, cacheable, readable from any origin', async () => {
    const res = await call('/.well-known/jwks.json', {
      headers: { Origin: 'https://other.example' },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('public, max-age=300')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] }
    const configured = configuredKeys()
    const rsa = configuredRsaKeys()
    // The access-token ring's keys first, then OIDC_RSA_KEYS' (RS256, ID tokens only).
    expect(keys).toHaveLength(configured.length + rsa.length)
    configured.forEach(({ kid, kty, crv, x, y }, i) => {
      expect(keys[i]).toEqual({ kid, kty, crv, x, y, alg: 'ES256', use: 'sig' })
    })
    rsa.forEach(({ kid, n, e }, i) => {
      expect(keys[configured.length + i]).toEqual({
        kid,
        kty: 'RSA',
        n,
        e,
        alg: 'RS256',
        use: 'sig',
      })
    })
    const text = JSON.stringify(keys)
    for (const key of configured) expect(text).not.toContain(key.d)
    for (const key of rsa) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
        expect(text).not.toContain(key[member])
    }
  })

  it('publishes the ring alone without OIDC_RSA_KEYS, and fails closed (500, nothing published) when it is malformed', async () => {
    const without = await callWithEnv({ OIDC_RSA_KEYS: '' }, '/.well-known/jwks.json')
    const { keys } = (await without.json()) as { keys: { kid: string }[] }
    expect(keys.map((key) => key.kid)).toEqual(configuredKeys().map((key) => key.kid))
    const rsa = configuredRsaKeys()[0]!
    const malformed = JSON.stringify({ keys: [{ ...rsa, kid: undefined }] })
    const res = await callWithEnv({ OIDC_RSA_KEYS: malformed }, '/.well-known/jwks.json')
    const body = await expectProblem(res, 500, 'server_misconfigured')
    expect(JSON.stringify(body)).not.toContain(rsa.d)
    expect(JSON.stringify(body)).not.toContain(rsa.n)
  })

  it("lets jose's createRemoteJWKSet verify the worker's access tokens, as another service would", async () => {
    const { tokens, user } = await signedIn()
    const jwks = createRemoteJWKSet(new URL(`${ORIGIN}/.well-known/jwks.json`), {
      [customFetch]: (url: string, init: RequestInit) => call(new URL(url).pathname, init),
    })
    const { payload, protectedHeader } = await jwtVerify(tokens.accessToken, jwks, {
      issuer: ORIGIN,
      audience: 'edge-auth',
      algorithms: ['ES256'],
    })
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: configuredKeys()[0]!.kid })
    expect(payload).toMatchObject({ sub: user.id, token_use: 'access' })
  })

  it('is empty with HS256, whose shared secret has no public half; HS256 still works end to end', async () => {
    const hs256 = { JWT_ALG: 'HS256' }
    const res = await callWithEnv(hs256, '/.well-known/jwks.json')
    expect(await res.json()).toEqual({ keys: [] })
    const username = uniqueUsername()
    const credentials = jsonInit('POST', { username, password: PASSWORD })
    expect((await callWithEnv(hs256, '/register', credentials)).status).toBe(201)
    const login = await callWithEnv(
      hs256,
      '/login',
      jsonInit('POST', { username, password: PASSWORD }),
    )
    const { accessToken } = (await login.json()) as { accessToken: string }
    expect(decodeProtectedHeader(accessToken)).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect((await callWithEnv(hs256, '/users', bearer(accessToken))).status).toBe(200)
    // The same token means nothing to an ES256 deployment, and the reverse.
    expect((await call('/users', bearer(accessToken))).status).toBe(401)
  })
})

describe('the issuer', () => {
  it('is the origin the request came to when JWT_ISSUER is unset', async () => {
    const { tokens } = await signedIn()
    const claims = decodeJwt(tokens.accessToken)
    expect(claims.iss).toBe(ORIGIN)
  })

  it('is JWT_ISSUER when set, in tokens and metadata alike', async () => {
    const fixed = { JWT_ISSUER: 'https://auth.example.com' }
    const res = await callWithEnv(fixed, '/.well-known/oauth-authorization-server')
    expect(await res.json()).toMatchObject({
      issuer: 'https://auth.example.com',
      token_endpoint: 'https://auth.example.com/oauth/token',
      jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
    })
    // Nothing in it depends on the Host the request named, so caches may share it.
    expect(res.headers.get('vary')).toBeNull()
    // An issuer that is a name, not a URL, cannot hold endpoints: they stay under the origin.
    const named = await callWithEnv(
      { JWT_ISSUER: 'edge-auth' },
      '/.well-known/oauth-authorization-server',
    )
    expect(await named.json()).toMatchObject({
      issuer: 'edge-auth',
      token_endpoint: `${ORIGIN}/oauth/token`,
    })
    expect(named.headers.get('vary')).toBe('Host')
    const { username } = await registerUser()
    const login = await callWithEnv(
      fixed,
      '/login',
      jsonInit('POST', { username, password: PASSWORD }),
    )
    const { accessToken } = (await login.json()) as { accessToken: string }
    expect(decodeJwt(accessToken).iss).toBe('https://auth.example.com')
    // Tokens name their issuer, so one minted for another issuer is refused here.
    expect((await call('/users', bearer(accessToken))).status).toBe(401)
    expect((await callWithEnv(fixed, '/users', bearer(accessToken))).status).toBe(200)
  })
})

describe('GET /.well-known/oauth-authorization-server', () => {
  it('describes the endpoints (RFC 8414) with the issuer equal to the URL it is served from', async () => {
    const res = await call('/.well-known/oauth-authorization-server')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    // Built from the Host (JWT_ISSUER unset), so a shared cache must key on it.
    expect(res.headers.get('vary')).toBe('Host')
    expect(await res.json()).toEqual({
      issuer: ORIGIN,
      token_endpoint: `${ORIGIN}/oauth/token`,
      revocation_endpoint: `${ORIGIN}/oauth/revoke`,
      jwks_uri: `${ORIGIN}/.well-known/jwks.json`,
      response_types_supported: [],
      grant_types_supported: ['refresh_token'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      service_documentation: `${ORIGIN}/docs`,
    })
  })
})

describe('GET /.well-known/openid-configuration', () => {
  it('lists RS256 first when OIDC_RSA_KEYS is set, then the ring; the ring alone without it', async () => {
    const on = { JWT_ISSUER: ORIGIN }
    const algs = async (overrides: Record<string, string>) => {
      const res = await callWithEnv({ ...on, ...overrides }, '/.well-known/openid-configuration')
      expect(res.status).toBe(200)
      return ((await res.json()) as Record<string, unknown>).id_token_signing_alg_values_supported
    }
    expect(await algs({})).toEqual(['RS256', 'ES256'])
    expect(await algs({ OIDC_RSA_KEYS: '' })).toEqual(['ES256'])
    const ed = JSON.stringify({ keys: [await generateKey('EdDSA')] })
    expect(await algs({ JWT_ALG: 'EdDSA', JWT_PRIVATE_KEYS: ed })).toEqual(['RS256', 'EdDSA'])
    expect(await algs({ JWT_ALG: 'EdDSA', JWT_PRIVATE_KEYS: ed, OIDC_RSA_KEYS: '' })).toEqual([
      'EdDSA',
    ])
    // The RFC 8414 document says the same.
    const rfc8414 = await callWithEnv(on, '/.well-known/oauth-authorization-server')
    expect(await rfc8414.json()).toMatchObject({
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
    })
  })

  it('answers 503 naming the setting while the authorization server is off (no fixed issuer)', async () => {
    const res = await call('/.well-known/openid-configuration')
    await expectProblem(res, 503, 'authorization_server_unavailable')
    expect(res.headers.get('retry-after')).toBe('3600')
  })
})

describe("the README's verifier for other services", () => {
  // The README's example, with jose's fetch pointed at the worker instead of the network.
  const AUTH = ORIGIN
  const jwks = createRemoteJWKSet(new URL(`${AUTH}/.well-known/jwks.json`), {
    [customFetch]: (url: string, init: RequestInit) => call(new URL(url).pathname, init),
  })
  const api = new Hono<{ Variables: { userId: string } }>()
  api.use('/api/*', async (c, next) => {
    const token = /^Bearer (\S+)$/i.exec(c.req.header('Authorization') ?? '')?.[1]
    try {
      if (!token) throw new Error('no token')
      const { payload } = await jwtVerify(token, jwks, {
        issuer: AUTH,
        audience: 'edge-auth',
        algorithms: ['ES256'],
        requiredClaims: ['exp', 'sub'],
      })
      if (payload.token_use !== 'access') throw new Error('not an access token')
      c.set('userId', payload.sub!)
    } catch {
      return c.json({ error: 'invalid_token' }, 401, { 'WWW-Authenticate': 'Bearer' })
    }
    await next()
  })
  api.get('/api/me', (c) => c.json({ userId: c.get('userId') }))
  const me = (token: string) => api.request('/api/me', bearer(token))

  afterEach(() => vi.useRealTimers())

  it("accepts the worker's access token and nothing else", async () => {
    const { tokens, user } = await signedIn()
    const ok = await me(tokens.accessToken)
    expect(await ok.json()).toEqual({ userId: user.id })
    expect((await me(tokens.refreshToken)).status).toBe(401)
    const forged = await sign(
      { ...decodeJwt(tokens.accessToken), token_use: 'refresh' },
      serverSigningKey(),
    )
    expect((await me(forged)).status).toBe(401)
  })

  it('refuses the token once its 20 s are over', async () => {
    const { tokens } = await signedIn()
    const clock = freezeTime()
    clock.advance(21_000)
    expect((await me(tokens.accessToken)).status).toBe(401)
  })
})
