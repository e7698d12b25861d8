// OIDC discovery and key sets against a real HTTP server on a loopback port (test/global/): the
// issuer is checked exactly, endpoints follow the outbound rules, answers and failures are
// cached, and an unknown `kid` refetches the keys at most once a minute.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  DISCOVERY_FAILURE_TTL_MS,
  DISCOVERY_TTL_MS,
  discover,
  JWKS_REFETCH_MIN_INTERVAL_MS,
  JWKS_TTL_MS,
  ProviderError,
  type ProviderFailure,
  providerKey,
} from '../../src/federation/discovery'
import { type OidcProvider, readProviders } from '../../src/federation/providers'
import { OutboundError } from '../../src/outbound/fetch'
import { failure, captureLogs, freezeTime } from '../helpers'
import { hits, json, script, serverOrigin } from '../global/scripted'

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

/** A loopback OIDC provider with an issuer (and so a cache entry) of its own. */
function loopbackProvider(): { provider: OidcProvider; base: string; issuer: string } {
  const base = `/idp-${crypto.randomUUID()}`
  const issuer = `${serverOrigin()}${base}`
  const read = readProviders(
    JSON.stringify({ local: { type: 'oidc', issuer, clientId: 'client', name: 'Local' } }),
    () => 'secret',
  )
  if ('invalid' in read) throw new Error(read.invalid)
  return { provider: read.providers.get('local') as OidcProvider, base, issuer }
}

const metadata = (issuer: string, overrides: Record<string, unknown> = {}) => ({
  issuer,
  authorization_endpoint: `${issuer}/authorize`,
  token_endpoint: `${issuer}/token`,
  jwks_uri: `${issuer}/jwks`,
  userinfo_endpoint: `${issuer}/userinfo`,
  authorization_response_iss_parameter_supported: true,
  code_challenge_methods_supported: ['S256'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
  ...overrides,
})

async function refused(promise: Promise<unknown>, reason: ProviderFailure) {
  const err = await failure(promise)
  expect(err).toBeInstanceOf(ProviderError)
  expect(err).toMatchObject({ reason, status: 502 })
}

async function publicJwk(kid: string): Promise<JsonWebKey & { kid: string }> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const jwk = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid, alg: 'ES256', use: 'sig' }
}

describe('discover', () => {
  it('returns the checked endpoints and caches them for the TTL', async () => {
    const clock = freezeTime()
    const { provider, base, issuer } = loopbackProvider()
    const path = `${base}/.well-known/openid-configuration`
    await script(json(path, metadata(issuer)))
    expect(await discover(provider)).toEqual({
      issuer,
      authorizationEndpoint: `${issuer}/authorize`,
      tokenEndpoint: `${issuer}/token`,
      jwksUri: `${issuer}/jwks`,
      userinfoEndpoint: `${issuer}/userinfo`,
      issParameterSupported: true,
      codeChallengeMethods: ['S256'],
      tokenAuthMethods: ['client_secret_basic', 'private_key_jwt'],
    })
    clock.advance(DISCOVERY_TTL_MS - 1)
    await discover(provider)
    expect(await hits(path)).toBe(1)
    clock.advance(1)
    await discover(provider)
    expect(await hits(path)).toBe(2)
  })

  it('refuses an issuer that differs in any way, even a trailing slash, and logs which provider', async () => {
    const lines = captureLogs()
    for (const announced of [
      (issuer: string) => `${issuer}/`,
      (issuer: string) => issuer.replace('127.0.0.1', 'localhost'),
      (issuer: string) => issuer.toUpperCase(),
      () => 'https://accounts.google.com',
      () => undefined,
    ]) {
      const { provider, base, issuer } = loopbackProvider()
      await script(
        json(
          `${base}/.well-known/openid-configuration`,
          metadata(issuer, { issuer: announced(issuer) }),
        ),
      )
      await refused(discover(provider), 'issuer_mismatch')
    }
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(logged).toHaveLength(5)
    for (const line of logged) {
      expect(line).toMatchObject({
        event: 'provider_discovery_failed',
        provider: 'local',
        reason: 'issuer_mismatch',
      })
    }
  })

  it('refuses endpoints we would not fetch: http elsewhere, IP hosts, credentials, missing', async () => {
    for (const overrides of [
      { jwks_uri: 'http://idp.example.com/jwks' },
      { token_endpoint: 'https://10.0.0.2/token' },
      { authorization_endpoint: 'https://user@idp.example.com/authorize' },
      { jwks_uri: undefined },
      { token_endpoint: 42 },
      { userinfo_endpoint: 'https://169.254.169.254/' },
    ]) {
      const { provider, base, issuer } = loopbackProvider()
      await script(json(`${base}/.well-known/openid-configuration`, metadata(issuer, overrides)))
      await refused(discover(provider), 'invalid_metadata')
    }
  })

  it('refuses a public provider whose document points an endpoint inside (SSRF by metadata)', async () => {
    const { provider } = loopbackProvider()
    for (const jwks of ['http://127.0.0.1:8080/jwks', 'https://localhost/jwks', 'https://[::1]/']) {
      const issuer = `https://idp-${crypto.randomUUID()}.example.com`
      const remote: OidcProvider = {
        ...provider,
        issuer,
        discoveryUrl: `${issuer}/.well-known/openid-configuration`,
        allowLoopback: false,
      }
      const fetcher = vi
        .spyOn(globalThis, 'fetch')
        .mockResolvedValue(Response.json(metadata(issuer, { jwks_uri: jwks })))
      await refused(discover(remote), 'invalid_metadata')
      expect(fetcher).toHaveBeenCalledTimes(1)
      fetcher.mockRestore()
    }
  })

  it('passes fetch failures on as OutboundError: down (503), redirected, not JSON (502)', async () => {
    const cases: [Record<string, unknown>, string, number][] = [
      [{ status: 500, body: 'oops' }, 'http_status', 503],
      [{ status: 302, headers: { location: 'https://evil.example/' } }, 'redirect_refused', 502],
      [{ headers: { 'content-type': 'text/html' }, body: '<html>' }, 'not_json', 502],
    ]
    for (const [answer, reason, status] of cases) {
      const { provider, base } = loopbackProvider()
      await script({ path: `${base}/.well-known/openid-configuration`, ...answer })
      const err = await failure(discover(provider))
      expect(err).toBeInstanceOf(OutboundError)
      expect(err).toMatchObject({ reason, status })
    }
  })

  it('remembers a failure for 30 seconds, then asks again', async () => {
    const clock = freezeTime()
    const { provider, base, issuer } = loopbackProvider()
    const path = `${base}/.well-known/openid-configuration`
    await script(json(path, {}, 503))
    await failure(discover(provider))
    await failure(discover(provider))
    expect(await hits(path)).toBe(1)
    // The provider recovers; within the window we still fail fast, after it we succeed.
    await script(json(path, metadata(issuer)))
    clock.advance(DISCOVERY_FAILURE_TTL_MS - 1)
    await failure(discover(provider))
    clock.advance(1)
    expect((await discover(provider)).issuer).toBe(issuer)
    expect(await hits(path)).toBe(2)
  })

  it("accepts Microsoft's {tenantid} template only when that is the configured issuer", async () => {
    const { provider, base, issuer } = loopbackProvider()
    const template = `${issuer}/{tenantid}/v2.0`
    const microsoft: OidcProvider = { ...provider, issuer: template, tenantIssuer: true }
    await script(
      json(`${base}/.well-known/openid-configuration`, {
        ...metadata(issuer),
        issuer: template,
      }),
    )
    expect((await discover(microsoft)).issuer).toBe(template)
    // A document announcing one tenant is not the multi-tenant endpoint configured.
    const other = loopbackProvider()
    await script(
      json(`${other.base}/.well-known/openid-configuration`, {
        ...metadata(other.issuer),
        issuer: `${other.issuer}/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0`,
      }),
    )
    await refused(
      discover({
        ...other.provider,
        issuer: `${other.issuer}/{tenantid}/v2.0`,
        tenantIssuer: true,
      }),
      'issuer_mismatch',
    )
  })
})

describe('providerKey', () => {
  async function withKeys(keys: unknown[]) {
    const setup = loopbackProvider()
    await script(json(`${setup.base}/.well-known/openid-configuration`, metadata(setup.issuer)))
    const jwksPath = `${setup.base}/jwks`
    await script(json(jwksPath, { keys }))
    return { ...setup, jwksPath }
  }

  it('finds the key by kid and alg, and caches the set for its TTL', async () => {
    const clock = freezeTime()
    const key = await publicJwk('k1')
    const { provider, jwksPath } = await withKeys([key])
    expect(await providerKey(provider, { kid: 'k1', alg: 'ES256' })).toEqual(key)
    await providerKey(provider, { kid: 'k1', alg: 'ES256' })
    expect(await hits(jwksPath)).toBe(1)
    clock.advance(JWKS_TTL_MS)
    await providerKey(provider, { kid: 'k1', alg: 'ES256' })
    expect(await hits(jwksPath)).toBe(2)
  })

  it('refetches once for an unknown kid after rotation, but never more than once a minute', async () => {
    const clock = freezeTime()
    const old = await publicJwk('old')
    const { provider, jwksPath } = await withKeys([old])
    await providerKey(provider, { kid: 'old', alg: 'ES256' })
    // The provider rotates.
    const rotated = await publicJwk('new')
    await script(json(jwksPath, { keys: [old, rotated] }))
    // Within a minute of the last fetch an unknown kid is refused without asking: made-up kids
    // cannot turn each sign-in attempt into a request to the provider.
    for (let i = 0; i < 5; i++) {
      await refused(providerKey(provider, { kid: `made-up-${i}`, alg: 'ES256' }), 'unknown_key')
    }
    await refused(providerKey(provider, { kid: 'new', alg: 'ES256' }), 'unknown_key')
    expect(await hits(jwksPath)).toBe(1)
    clock.advance(JWKS_REFETCH_MIN_INTERVAL_MS)
    expect(await providerKey(provider, { kid: 'new', alg: 'ES256' })).toEqual(rotated)
    expect(await hits(jwksPath)).toBe(2)
    // A flood of unknown kids right after costs nothing more.
    for (let i = 0; i < 5; i++) {
      await refused(providerKey(provider, { kid: `flood-${i}`, alg: 'ES256' }), 'unknown_key')
    }
    expect(await hits(jwksPath)).toBe(2)
  })

  it('uses only public signing keys of the right type for the alg', async () => {
    const good = await publicJwk('k')
    const { provider } = await withKeys([
      { ...good, kid: 'private', d: 'secret-member' },
      { ...good, kid: 'enc', use: 'enc' },
      { ...good, kid: 'rsa-alg', alg: 'RS256' },
      { kty: 'RSA', kid: 'rsa', n: 'AQAB', e: 'AQAB' },
      'not a key',
    ])
    for (const kid of ['private', 'enc', 'rsa-alg']) {
      await refused(providerKey(provider, { kid, alg: 'ES256' }), 'unknown_key')
    }
    // An algorithm we do not accept finds nothing, whatever the set holds.
    await refused(providerKey(provider, { kid: 'rsa', alg: 'HS256' }), 'unknown_key')
    await refused(providerKey(provider, { kid: 'rsa', alg: 'none' }), 'unknown_key')
    expect(await providerKey(provider, { kid: 'rsa', alg: 'RS256' })).toMatchObject({ kty: 'RSA' })
  })

  it('needs a kid when the set has several candidates', async () => {
    const { provider } = await withKeys([await publicJwk('a'), await publicJwk('b')])
    await refused(providerKey(provider, { alg: 'ES256' }), 'unknown_key')
    const single = await withKeys([await publicJwk('only')])
    expect(await providerKey(single.provider, { alg: 'ES256' })).toMatchObject({ kid: 'only' })
  })

  it('refuses a key set that is not one, and remembers the failure briefly', async () => {
    const clock = freezeTime()
    const { provider, jwksPath } = await withKeys([])
    await script(json(jwksPath, { keys: 'nope' }))
    await refused(providerKey(provider, { kid: 'k', alg: 'ES256' }), 'invalid_jwks')
    await refused(providerKey(provider, { kid: 'k', alg: 'ES256' }), 'invalid_jwks')
    expect(await hits(jwksPath)).toBe(1)
    clock.advance(DISCOVERY_FAILURE_TTL_MS)
    await script(json(jwksPath, { keys: [await publicJwk('k')] }))
    expect(await providerKey(provider, { kid: 'k', alg: 'ES256' })).toMatchObject({ kid: 'k' })
  })
})
