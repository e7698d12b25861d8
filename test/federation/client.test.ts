// The relying party against the scripted loopback server (test/global/): the authorization URL
// each provider type gets, and the redemption of a code into a checked profile, bent one way at
// a time. Presets whose hosts are fixed (Google, Apple, Microsoft) are routed there by a fetcher
// double; GitHub runs as an Enterprise Server on a loopback enterpriseUrl. Every request the
// client makes goes through a recording fetcher, so bodies and headers can be checked.
import { failure } from '../helpers'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  authorizationUrl,
  type CallbackParams,
  redeemCode,
  SignInRefused,
} from '../../src/federation/client'
import { ProviderError } from '../../src/federation/discovery'
import {
  type OAuth2Provider,
  type OidcProvider,
  type Provider,
  ProviderSettingError,
  readProviders,
} from '../../src/federation/providers'
import { hits, json, script, scriptProvider, serverOrigin } from '../global/scripted'
import { p256Pem, type Signer, signer, signJwt } from './keys'

afterEach(() => vi.restoreAllMocks())

const CLIENT = 'client-1'
const CLIENT_SECRET = 'client-secret-1'
const NONCE = 'nonce-0S6_WzA2Mj'
const VERIFIER = 'verifier-dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
const REDIRECT = 'https://auth.example/signin/callback'
const expected = { redirectUri: REDIRECT, codeVerifier: VERIFIER, nonce: NONCE }

const keys: Signer = await signer('ES256', `k-${crypto.randomUUID()}`)

/** The provider `id` from AUTH_PROVIDERS `settings`, every secret `secret`. */
function configured<P extends Provider>(id: string, settings: unknown, secret = CLIENT_SECRET): P {
  const read = readProviders(JSON.stringify({ [id]: settings }), () => secret)
  if ('invalid' in read) throw new Error(read.invalid)
  const found = read.providers.get(id)
  if (!found || found instanceof ProviderSettingError) throw new Error(String(found))
  return found as P
}

type Seen = { url: URL; method: string; headers: Headers; body: URLSearchParams | null }

/**
 * A fetcher that records each request and sends it on: to the scripted server under a prefix
 * of its own for a preset's fixed host, unchanged for a loopback one.
 */
function recorder() {
  const seen: Seen[] = []
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input))
    seen.push({
      url,
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: init?.body === undefined ? null : new URLSearchParams(String(init.body)),
    })
    const target =
      url.protocol === 'https:' ? `${serverOrigin()}${hostPath(url.hostname)}${url.pathname}` : url
    return fetch(target, init)
  }) as typeof fetch
  return { fetcher, seen, to: (path: string) => seen.filter((s) => s.url.pathname.endsWith(path)) }
}

// The presets' discovery is cached per isolate by its fixed URL, so each host is scripted once
// for this file, under a prefix no other file uses.
const RUN = crypto.randomUUID()
const hostPath = (host: string) => `/preset-${RUN}/${host}`

const callback = (overrides: Partial<CallbackParams> = {}): CallbackParams => ({
  code: 'code-1',
  error: null,
  iss: null,
  user: null,
  ...overrides,
})

async function refused(promise: Promise<unknown>, reason: string) {
  const err = await failure(promise)
  expect(err).toBeInstanceOf(SignInRefused)
  expect(err).toMatchObject({ reason, status: 400 })
  return err as SignInRefused
}

async function providerFailure(promise: Promise<unknown>, reason: string) {
  const err = await failure(promise)
  expect(err).toBeInstanceOf(ProviderError)
  expect(err).toMatchObject({ reason, status: 502 })
}

const nowSeconds = () => Math.floor(Date.now() / 1000)

/** ID-token claims from `issuer` for CLIENT with NONCE, overridable. */
const claims = (issuer: string, overrides: Record<string, unknown> = {}) => ({
  iss: issuer,
  aud: CLIENT,
  sub: 'subject-1',
  iat: nowSeconds(),
  exp: nowSeconds() + 300,
  nonce: NONCE,
  email: 'jane@example.com',
  email_verified: true,
  name: 'Jane Doe',
  ...overrides,
})

const signed = (payload: Record<string, unknown>) => signJwt(payload, keys)

// ---------------------------------------------------------------------------------------------
// A generic OIDC provider on a loopback issuer of its own.

/** A fresh loopback issuer (its own discovery cache entry) with `overrides` in its discovery. */
async function loopbackOidc(overrides: Record<string, unknown> = {}) {
  const base = `/rp-${crypto.randomUUID()}`
  const issuer = `${serverOrigin()}${base}`
  const provider = configured<OidcProvider>('local', {
    type: 'oidc',
    issuer,
    clientId: CLIENT,
    name: 'Local',
  })
  await scriptProvider(base, [keys.jwk], {
    userinfo_endpoint: `${issuer}/userinfo`,
    authorization_response_iss_parameter_supported: true,
    ...overrides,
  })
  /** What the token endpoint answers. */
  const token = (body: unknown, status = 200) => script(json(`${base}/token`, body, status))
  return { provider, issuer, base, token }
}

describe('authorizationUrl', () => {
  const params = { redirectUri: REDIRECT, state: 'state-1', nonce: NONCE, codeChallenge: 'cc-1' }

  it('carries every parameter of an OIDC request, at the discovered endpoint', async () => {
    const { provider, issuer } = await loopbackOidc()
    const url = await authorizationUrl(provider, params)
    expect(`${url.origin}${url.pathname}`).toBe(`${issuer}/authorize`)
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: CLIENT,
      redirect_uri: REDIRECT,
      scope: 'openid email profile',
      state: 'state-1',
      nonce: NONCE,
      code_challenge: 'cc-1',
      code_challenge_method: 'S256',
    })
  })

  it('adds hd for a google preset configured with one', async () => {
    const { fetcher } = recorder()
    const google = configured<OidcProvider>('google', {
      type: 'google',
      clientId: CLIENT,
      hd: 'example.com',
    })
    const url = await authorizationUrl(google, params, fetcher)
    expect(`${url.origin}${url.pathname}`).toBe('https://accounts.google.com/o/oauth2/v2/auth')
    expect(url.searchParams.get('hd')).toBe('example.com')
    expect(url.searchParams.get('nonce')).toBe(NONCE)
    expect(url.searchParams.has('response_mode')).toBe(false)
  })

  it('asks Apple for response_mode=form_post', async () => {
    const { fetcher } = recorder()
    const url = await authorizationUrl(await appleProvider(), params, fetcher)
    expect(url.searchParams.get('response_mode')).toBe('form_post')
    expect(url.searchParams.get('scope')).toBe('openid name email')
    expect(url.searchParams.has('hd')).toBe(false)
  })

  it('sends GitHub no nonce (no ID token to carry it), at its fixed endpoint, fetching nothing', async () => {
    const { fetcher, seen } = recorder()
    const github = configured<OAuth2Provider>('github', { type: 'github', clientId: CLIENT })
    const url = await authorizationUrl(github, params, fetcher)
    expect(`${url.origin}${url.pathname}`).toBe('https://github.com/login/oauth/authorize')
    expect(url.searchParams.has('nonce')).toBe(false)
    expect(url.searchParams.has('response_mode')).toBe(false)
    expect(url.searchParams.get('scope')).toBe('read:user user:email')
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(seen).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// GitHub: OAuth 2 and its REST API, as an Enterprise Server on the scripted server.

async function githubEnterprise() {
  const base = `/ghe-${crypto.randomUUID()}`
  const provider = configured<OAuth2Provider>('ghe', {
    type: 'github',
    clientId: CLIENT,
    enterpriseUrl: `${serverOrigin()}${base}`,
  })
  return {
    provider,
    base,
    token: (body: unknown, status = 200) =>
      script(json(`${base}/login/oauth/access_token`, body, status)),
    user: (body: unknown, status = 200) => script(json(`${base}/api/v3/user`, body, status)),
    emails: (body: unknown, status = 200) =>
      script(json(`${base}/api/v3/user/emails`, body, status)),
  }
}

const OCTOCAT = { id: 583231, login: 'octocat', name: 'The Octocat', email: null }

describe('redeemCode: GitHub', () => {
  it('redeems with the credentials in the body, takes the numeric id and the primary verified address', async () => {
    const gh = await githubEnterprise()
    await gh.token({ access_token: 'gho_token', token_type: 'bearer', scope: 'read:user' })
    await gh.user({ ...OCTOCAT, email: 'public@example.com' })
    await gh.emails([
      { email: 'other@example.com', primary: false, verified: true },
      { email: 'octo@example.com', primary: true, verified: true },
    ])
    const { fetcher, to } = recorder()
    expect(await redeemCode(gh.provider, callback(), expected, fetcher)).toEqual({
      provider: 'ghe',
      subject: '583231',
      email: 'octo@example.com',
      emailVerified: true,
      name: 'The Octocat',
      handle: 'octocat',
    })
    const [tokenRequest] = to('/login/oauth/access_token')
    expect(tokenRequest!.method).toBe('POST')
    expect(Object.fromEntries(tokenRequest!.body!)).toEqual({
      grant_type: 'authorization_code',
      code: 'code-1',
      redirect_uri: REDIRECT,
      code_verifier: VERIFIER,
      client_id: CLIENT,
      client_secret: CLIENT_SECRET,
    })
    // GitHub answers a form unless asked for JSON; no Basic header beside the body's secret.
    expect(tokenRequest!.headers.get('accept')).toBe('application/json')
    expect(tokenRequest!.headers.has('authorization')).toBe(false)
    for (const path of ['/api/v3/user', '/api/v3/user/emails']) {
      expect(to(path)[0]!.headers.get('authorization')).toBe('Bearer gho_token')
    }
  })

  it('calls a primary unverified address unverified', async () => {
    const gh = await githubEnterprise()
    await gh.token({ access_token: 'gho_token' })
    await gh.user(OCTOCAT)
    await gh.emails([
      { email: 'verified@example.com', primary: false, verified: true },
      { email: 'octo@example.com', primary: true, verified: false },
    ])
    expect(await redeemCode(gh.provider, callback(), expected)).toMatchObject({
      email: 'octo@example.com',
      emailVerified: false,
    })
  })

  it('signs in without an address when the emails endpoint is 404 (a narrowed app)', async () => {
    const gh = await githubEnterprise()
    await gh.token({ access_token: 'gho_token' })
    // The public address alone is never taken: it is unverified as far as we know.
    await gh.user({ ...OCTOCAT, email: 'public@example.com' })
    await gh.emails({ message: 'Not Found' }, 404)
    expect(await redeemCode(gh.provider, callback(), expected)).toMatchObject({
      subject: '583231',
      email: null,
      emailVerified: false,
    })
  })

  it('refuses the sign-in when GitHub answers a bad code with 200 and an error, asking no API', async () => {
    const gh = await githubEnterprise()
    await gh.token({ error: 'bad_verification_code', error_description: 'expired' })
    await refused(redeemCode(gh.provider, callback(), expected), 'code_refused')
    expect(await hits(`${gh.base}/api/v3/user`)).toBe(0)
  })

  it('is the provider’s failure when the client is refused (invalid_client, or 401)', async () => {
    const gh = await githubEnterprise()
    await gh.token({ error: 'invalid_client' })
    await providerFailure(redeemCode(gh.provider, callback(), expected), 'client_refused')
    await gh.token({ message: 'Bad credentials' }, 401)
    await providerFailure(redeemCode(gh.provider, callback(), expected), 'client_refused')
  })

  it('is the provider’s failure when no access token comes back, or /user has no numeric id', async () => {
    const gh = await githubEnterprise()
    await gh.token({ token_type: 'bearer' })
    await providerFailure(redeemCode(gh.provider, callback(), expected), 'invalid_token_response')
    await gh.token({ access_token: 'gho_token' })
    await gh.emails([])
    for (const user of [{ login: 'octocat' }, { id: 'octocat' }, { id: -1 }, { id: 1.5 }]) {
      await gh.user(user)
      await providerFailure(redeemCode(gh.provider, callback(), expected), 'invalid_metadata')
    }
  })

  it('is provider_denied, fetching nothing, for an error or a missing code', async () => {
    const gh = await githubEnterprise()
    const { fetcher, seen } = recorder()
    await refused(
      redeemCode(gh.provider, callback({ error: 'access_denied' }), expected, fetcher),
      'provider_denied',
    )
    await refused(
      redeemCode(gh.provider, callback({ code: null }), expected, fetcher),
      'provider_denied',
    )
    expect(seen).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// OpenID Connect: discovery, the response's iss, the token endpoint, the ID token, UserInfo.

describe('redeemCode: OpenID Connect', () => {
  it('redeems with HTTP Basic when discovery says nothing, and returns the ID token’s profile', async () => {
    const op = await loopbackOidc()
    await op.token({
      access_token: 'at',
      token_type: 'Bearer',
      id_token: await signed(claims(op.issuer)),
    })
    const { fetcher, to } = recorder()
    expect(await redeemCode(op.provider, callback({ iss: op.issuer }), expected, fetcher)).toEqual({
      provider: 'local',
      subject: 'subject-1',
      email: 'jane@example.com',
      emailVerified: true,
      name: 'Jane Doe',
      handle: null,
    })
    const [request] = to('/token')
    expect(request!.headers.get('authorization')).toBe(
      `Basic ${btoa(`${CLIENT}:${CLIENT_SECRET}`)}`,
    )
    expect(Object.fromEntries(request!.body!)).toEqual({
      grant_type: 'authorization_code',
      code: 'code-1',
      redirect_uri: REDIRECT,
      code_verifier: VERIFIER,
    })
    // With an address in the ID token, UserInfo is not asked.
    expect(to('/userinfo')).toEqual([])
  })

  it('uses client_secret_basic when listed, client_secret_post when only that is', async () => {
    for (const [methods, basic] of [
      [['client_secret_basic', 'client_secret_post'], true],
      [['client_secret_post'], false],
    ] as const) {
      const op = await loopbackOidc({ token_endpoint_auth_methods_supported: methods })
      await op.token({ access_token: 'at', id_token: await signed(claims(op.issuer)) })
      const { fetcher, to } = recorder()
      await redeemCode(op.provider, callback({ iss: op.issuer }), expected, fetcher)
      const [request] = to('/token')
      expect(request!.headers.has('authorization'), methods.join()).toBe(basic)
      expect(request!.body!.get('client_secret'), methods.join()).toBe(basic ? null : CLIENT_SECRET)
      expect(request!.body!.get('client_id'), methods.join()).toBe(basic ? null : CLIENT)
    }
  })

  it('refuses a response without iss when discovery promises one, before redeeming', async () => {
    const op = await loopbackOidc()
    await op.token({ access_token: 'at', id_token: await signed(claims(op.issuer)) })
    await refused(redeemCode(op.provider, callback({ iss: null }), expected), 'wrong_issuer')
    expect(await hits(`${op.base}/token`)).toBe(0)
    // Where it is not promised, its absence is no mix-up.
    const quiet = await loopbackOidc({ authorization_response_iss_parameter_supported: false })
    await quiet.token({ access_token: 'at', id_token: await signed(claims(quiet.issuer)) })
    await expect(redeemCode(quiet.provider, callback(), expected)).resolves.toMatchObject({
      subject: 'subject-1',
    })
  })

  it('refuses another issuer’s response (RFC 9207 mix-up), before redeeming', async () => {
    const op = await loopbackOidc({ authorization_response_iss_parameter_supported: false })
    await op.token({ access_token: 'at', id_token: await signed(claims(op.issuer)) })
    for (const iss of [`${op.issuer}/`, 'https://evil.example', `${serverOrigin()}/rp-other`]) {
      await refused(redeemCode(op.provider, callback({ iss }), expected), 'wrong_issuer')
    }
    expect(await hits(`${op.base}/token`)).toBe(0)
  })

  it('refuses an ID token for another client, or with another nonce', async () => {
    const op = await loopbackOidc()
    await op.token({
      access_token: 'at',
      id_token: await signed(claims(op.issuer, { aud: 'other' })),
    })
    const audience = await refused(
      redeemCode(op.provider, callback({ iss: op.issuer }), expected),
      'id_token_refused',
    )
    expect(audience.detail).toBe('wrong_audience')
    await op.token({
      access_token: 'at',
      id_token: await signed(claims(op.issuer, { nonce: 'another-sign-in' })),
    })
    const nonce = await refused(
      redeemCode(op.provider, callback({ iss: op.issuer }), expected),
      'id_token_refused',
    )
    expect(nonce.detail).toBe('wrong_nonce')
  })

  it('refuses the sign-in on invalid_grant (400), and fails the provider without an ID token', async () => {
    const op = await loopbackOidc()
    await op.token({ error: 'invalid_grant' }, 400)
    await refused(redeemCode(op.provider, callback({ iss: op.issuer }), expected), 'code_refused')
    await op.token({ error: 'invalid_client' }, 401)
    await providerFailure(
      redeemCode(op.provider, callback({ iss: op.issuer }), expected),
      'client_refused',
    )
    await op.token({ access_token: 'at', token_type: 'Bearer' })
    await providerFailure(
      redeemCode(op.provider, callback({ iss: op.issuer }), expected),
      'invalid_token_response',
    )
  })

  it('takes the address from UserInfo when the ID token has none, with the access token', async () => {
    const op = await loopbackOidc()
    const idToken = await signed(claims(op.issuer, { email: undefined, email_verified: undefined }))
    await op.token({ access_token: 'at-1', id_token: idToken })
    await script(
      json(`${op.base}/userinfo`, {
        sub: 'subject-1',
        email: 'info@example.com',
        email_verified: true,
        name: 'Other Name',
        preferred_username: 'jdoe',
      }),
    )
    const { fetcher, to } = recorder()
    expect(await redeemCode(op.provider, callback({ iss: op.issuer }), expected, fetcher)).toEqual({
      provider: 'local',
      subject: 'subject-1',
      email: 'info@example.com',
      emailVerified: true,
      // The ID token's name stands.
      name: 'Jane Doe',
      handle: 'jdoe',
    })
    expect(to('/userinfo')[0]!.headers.get('authorization')).toBe('Bearer at-1')
  })

  it('refuses UserInfo about another subject (OIDC Core §5.3.2)', async () => {
    const op = await loopbackOidc()
    const idToken = await signed(claims(op.issuer, { email: undefined }))
    await op.token({ access_token: 'at', id_token: idToken })
    await script(
      json(`${op.base}/userinfo`, {
        sub: 'victim',
        email: 'victim@example.com',
        email_verified: true,
      }),
    )
    await refused(
      redeemCode(op.provider, callback({ iss: op.issuer }), expected),
      'userinfo_mismatch',
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Apple and Microsoft, routed from their fixed hosts to the scripted server.

const APPLE = 'https://appleid.apple.com'
const MICROSOFT = 'https://login.microsoftonline.com'
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const tenantIssuer = (tenant: string) => `${MICROSOFT}/${tenant}/v2.0`

let applePem: string
async function appleProvider(): Promise<OidcProvider> {
  applePem ??= (await p256Pem()).pem
  return configured<OidcProvider>(
    'apple',
    { type: 'apple', clientId: CLIENT, teamId: 'TEAM123456', keyId: 'KEY1234567' },
    applePem,
  )
}

beforeAll(async () => {
  const at = (host: string, path: string) => `${hostPath(new URL(host).hostname)}${path}`
  await script(
    json(at('https://accounts.google.com', '/.well-known/openid-configuration'), {
      issuer: 'https://accounts.google.com',
      authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
      token_endpoint: 'https://oauth2.googleapis.com/token',
      jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs',
    }),
  )
  await script(
    json(at(APPLE, '/.well-known/openid-configuration'), {
      issuer: APPLE,
      authorization_endpoint: `${APPLE}/auth/authorize`,
      token_endpoint: `${APPLE}/auth/token`,
      jwks_uri: `${APPLE}/auth/keys`,
      token_endpoint_auth_methods_supported: ['client_secret_post'],
    }),
  )
  await script(json(at(APPLE, '/auth/keys'), { keys: [keys.jwk] }))
  await script(
    json(at(MICROSOFT, '/common/v2.0/.well-known/openid-configuration'), {
      issuer: tenantIssuer('{tenantid}'),
      authorization_endpoint: `${MICROSOFT}/common/oauth2/v2.0/authorize`,
      token_endpoint: `${MICROSOFT}/common/oauth2/v2.0/token`,
      jwks_uri: `${MICROSOFT}/common/discovery/v2.0/keys`,
    }),
  )
  await script(json(at(MICROSOFT, '/common/discovery/v2.0/keys'), { keys: [keys.jwk] }))
})

describe('redeemCode: Apple', () => {
  const appleToken = async (overrides: Record<string, unknown> = {}) =>
    script(
      json(`${hostPath('appleid.apple.com')}/auth/token`, {
        access_token: 'at',
        id_token: await signed(
          claims(APPLE, { name: undefined, email_verified: 'true', ...overrides }),
        ),
      }),
    )

  it('takes the name from the first callback’s user field, honours "true", posts a minted secret', async () => {
    await appleToken()
    const { fetcher, to } = recorder()
    const user = JSON.stringify({
      name: { firstName: 'Jane', lastName: 'Appleseed' },
      email: 'spoofed@example.com',
    })
    expect(await redeemCode(await appleProvider(), callback({ user }), expected, fetcher)).toEqual({
      provider: 'apple',
      subject: 'subject-1',
      // The address is the ID token's, never the user field's.
      email: 'jane@example.com',
      emailVerified: true,
      name: 'Jane Appleseed',
      handle: null,
    })
    const [request] = to('/auth/token')
    expect(request!.headers.has('authorization')).toBe(false)
    expect(request!.body!.get('client_id')).toBe(CLIENT)
    expect(request!.body!.get('client_secret')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
  })

  it('ignores a malformed or nameless user field, and signs in', async () => {
    await appleToken()
    const apple = await appleProvider()
    for (const user of [
      '{not json',
      '"Jane"',
      '[]',
      JSON.stringify({ name: 'Jane' }),
      JSON.stringify({ name: { firstName: 42, lastName: '' } }),
      JSON.stringify({ name: { firstName: 'x'.repeat(65) } }),
      `{"name":{"firstName":"${'J'.repeat(3000)}"}}`,
    ]) {
      const { fetcher } = recorder()
      expect(await redeemCode(apple, callback({ user }), expected, fetcher), user).toMatchObject({
        subject: 'subject-1',
        name: null,
      })
    }
  })
})

describe('redeemCode: Microsoft multi-tenant', () => {
  const microsoft = () => configured<OidcProvider>('ms', { type: 'microsoft', clientId: CLIENT })

  it('accepts an iss filling the {tenantid} template with a GUID', async () => {
    await script(
      json(`${hostPath('login.microsoftonline.com')}/common/oauth2/v2.0/token`, {
        access_token: 'at',
        id_token: await signed(claims(tenantIssuer(TENANT), { tid: TENANT })),
      }),
    )
    const { fetcher } = recorder()
    await expect(
      redeemCode(microsoft(), callback({ iss: tenantIssuer(TENANT) }), expected, fetcher),
    ).resolves.toMatchObject({ provider: 'ms', subject: 'subject-1' })
  })

  it('refuses an iss whose tenant is not a GUID, before redeeming', async () => {
    const { fetcher, to } = recorder()
    for (const tenant of [
      'evil',
      '{tenantid}',
      `${TENANT}/x`,
      `x${TENANT}`,
      'common',
      `${TENANT.slice(0, -1)}g`,
    ]) {
      await refused(
        redeemCode(microsoft(), callback({ iss: tenantIssuer(tenant) }), expected, fetcher),
        'wrong_issuer',
      )
    }
    await refused(
      redeemCode(
        microsoft(),
        callback({ iss: `https://evil.example/${TENANT}/v2.0` }),
        expected,
        fetcher,
      ),
      'wrong_issuer',
    )
    expect(to('/token')).toEqual([])
  })
})
