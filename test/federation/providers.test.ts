// AUTH_PROVIDERS and the providers' secrets: each provider parses alone, a broken one fails only
// itself with a log line naming the setting, and a malformed variable fails only federation.
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type Bindings, ConfigError, Settings } from '../../src/env'
import {
  MAX_PROVIDERS,
  type OAuth2Provider,
  type OidcProvider,
  type Provider,
  ProviderSettingError,
  providerSecretName,
  readProviders,
} from '../../src/federation/providers'
import { captureLogs } from '../helpers'
import { p256Pem } from './keys'

afterEach(() => vi.restoreAllMocks())

const SECRET = 'client-secret-value-never-logged'

/** Reads `config` with `secrets` (name → value) as the only secrets. */
function read(config: unknown, secrets: Record<string, string> = {}) {
  const result = readProviders(
    typeof config === 'string' ? config : JSON.stringify(config),
    (name) => secrets[name],
  )
  if ('invalid' in result) throw new Error(`AUTH_PROVIDERS invalid: ${result.invalid}`)
  return result.providers
}

function provider(config: unknown, id: string, secrets: Record<string, string> = {}): Provider {
  const found = read(config, secrets).get(id)
  if (!found || found instanceof ProviderSettingError) {
    throw new Error(`expected ${id} to parse, got ${String(found)}`)
  }
  return found
}

function failure(config: unknown, id: string, secrets: Record<string, string> = {}) {
  const found = read(config, secrets).get(id)
  expect(found).toBeInstanceOf(ProviderSettingError)
  return found as ProviderSettingError
}

const acme = (extra: Record<string, unknown> = {}) => ({
  acme: {
    type: 'oidc',
    issuer: 'https://idp.example.com',
    clientId: 'web-client',
    name: 'Acme',
    ...extra,
  },
})
const acmeSecret = { PROVIDER_ACME_CLIENT_SECRET: SECRET }

describe('AUTH_PROVIDERS as a whole', () => {
  it('means no providers when unset, empty or {}', () => {
    for (const raw of [undefined, '', '  ', '{}']) {
      const result = readProviders(raw, () => undefined)
      expect(result).toEqual({ providers: new Map() })
    }
  })

  it('is a ConfigError naming only the variable when it is not a JSON object', () => {
    for (const raw of ['{not json', '[]', '"acme"', '42', 'null']) {
      const result = readProviders(raw, () => undefined)
      expect(result, raw).toHaveProperty('invalid')
    }
    const many = Object.fromEntries(
      Array.from({ length: MAX_PROVIDERS + 1 }, (_, i) => [`p${i}`, acme().acme]),
    )
    expect(readProviders(JSON.stringify(many), () => undefined)).toHaveProperty('invalid')
  })

  it('fails only federation: Settings.providers throws, the token settings still load', () => {
    const bindings = { ...env, AUTH_PROVIDERS: '{"acme": ' } as Bindings
    const settings = new Settings(bindings)
    expect(() => settings.providers).toThrow(ConfigError)
    try {
      void settings.providers
    } catch (err) {
      expect(err).toMatchObject({ variable: 'AUTH_PROVIDERS', reason: 'is not valid JSON' })
      expect((err as Error).message).not.toContain('{"acme"')
    }
    expect(settings.tokens('https://auth.example.com').accessTokenTtl).toBe(20)
  })

  it('is parsed once per settings object, and its log line written once', () => {
    const lines = captureLogs()
    const bindings = { ...env, AUTH_PROVIDERS: JSON.stringify(acme()) } as Bindings
    const settings = new Settings(bindings)
    const first = settings.providers
    expect(settings.providers).toBe(first)
    expect(lines.filter((line) => line.includes('provider_config_invalid'))).toHaveLength(1)
  })

  it("reads wrangler.toml's default: no providers", () => {
    expect(new Settings(env as Bindings).providers.size).toBe(0)
  })
})

describe('a generic OIDC provider', () => {
  it('parses into typed settings with its secret, openid first and the extra audiences', () => {
    const acmeProvider = provider(
      acme({ clientIds: ['ios-app', 'web-client', 'android-app'], scopes: ['email', 'openid'] }),
      'acme',
      acmeSecret,
    ) as OidcProvider
    expect(acmeProvider).toMatchObject({
      id: 'acme',
      type: 'oidc',
      protocol: 'oidc',
      name: 'Acme',
      issuer: 'https://idp.example.com',
      discoveryUrl: 'https://idp.example.com/.well-known/openid-configuration',
      clientId: 'web-client',
      audiences: ['web-client', 'ios-app', 'android-app'],
      scopes: ['openid', 'email'],
      responseMode: 'query',
      // A generic provider's "verified" joins no account unless the operator trusts it.
      emailTrusted: false,
      allowLoopback: false,
      tenantIssuer: false,
      clientAuth: { method: 'client_secret', secret: SECRET },
    })
  })

  it('keeps an issuer with a path and trailing slash exact, and strips the slash for discovery', () => {
    const issuer = 'https://auth.example.com/application/o/app/'
    const parsed = provider(acme({ issuer }), 'acme', acmeSecret) as OidcProvider
    expect(parsed.issuer).toBe(issuer)
    expect(parsed.discoveryUrl).toBe(
      'https://auth.example.com/application/o/app/.well-known/openid-configuration',
    )
  })

  it('allows a loopback issuer, over http too, and marks it for the outbound fetch', () => {
    for (const issuer of ['http://127.0.0.1:9000', 'http://localhost:8787/idp', 'http://[::1]:1']) {
      const parsed = provider(acme({ issuer }), 'acme', acmeSecret) as OidcProvider
      expect(parsed.allowLoopback, issuer).toBe(true)
    }
  })

  it('refuses an issuer that is not https, or carries credentials, a query, a fragment or a port', () => {
    for (const issuer of [
      'http://idp.example.com',
      'https://user:pw@idp.example.com',
      'https://idp.example.com?tenant=a',
      'https://idp.example.com/?',
      'https://idp.example.com#x',
      'https://idp.example.com:8443',
      'https://10.1.2.3',
      'idp.example.com',
      '',
      42,
    ]) {
      const err = failure(acme({ issuer }), 'acme', acmeSecret)
      expect(err.variable, String(issuer)).toBe('AUTH_PROVIDERS.acme.issuer')
    }
    expect(failure(acme({ issuer: undefined }), 'acme', acmeSecret).reason).toBe('is required')
  })

  it('refuses a setting it does not know, so a typo is never silently ignored', () => {
    expect(failure(acme({ hd: 'example.com' }), 'acme', acmeSecret).variable).toBe(
      'AUTH_PROVIDERS.acme.hd',
    )
    expect(failure(acme({ clientID: 'x' }), 'acme', acmeSecret).variable).toBe(
      'AUTH_PROVIDERS.acme.clientID',
    )
    expect(failure(acme({ type: 'saml' }), 'acme', acmeSecret).variable).toBe(
      'AUTH_PROVIDERS.acme.type',
    )
  })

  it('needs a name, a client id and printable scopes', () => {
    expect(failure(acme({ name: undefined }), 'acme', acmeSecret).variable).toBe(
      'AUTH_PROVIDERS.acme.name',
    )
    for (const name of ['', '   ', 'x'.repeat(41), 'Acme\u202eemca', 'Acme\n']) {
      expect(failure(acme({ name }), 'acme', acmeSecret).variable).toBe('AUTH_PROVIDERS.acme.name')
    }
    for (const clientId of [undefined, '', 'has space', 7]) {
      expect(failure(acme({ clientId }), 'acme', acmeSecret).variable).toContain('clientId')
    }
    expect(failure(acme({ scopes: ['a b'] }), 'acme', acmeSecret).variable).toContain('scopes')
    expect(failure(acme({ scopes: 'email' }), 'acme', acmeSecret).variable).toContain('scopes')
    expect(
      failure(acme({ clientIds: Array(11).fill('x') }), 'acme', acmeSecret).variable,
    ).toContain('clientIds')
  })
})

describe('provider ids and secrets', () => {
  it('names the secret after the id, upper-cased with - as _', () => {
    expect(providerSecretName('acme-corp', 'CLIENT_SECRET')).toBe(
      'PROVIDER_ACME_CORP_CLIENT_SECRET',
    )
    const config = { 'acme-corp': acme().acme }
    const parsed = provider(config, 'acme-corp', { PROVIDER_ACME_CORP_CLIENT_SECRET: SECRET })
    expect(parsed.clientAuth).toEqual({ method: 'client_secret', secret: SECRET })
  })

  it('refuses ids that could not be a path segment or a secret name, each alone', () => {
    const ids = ['Acme', 'a_b', '-a', 'a-', 'a'.repeat(33), '__proto__', 'a/b', 'é']
    const config = Object.fromEntries([...ids.map((id) => [id, acme().acme]), ['ok', acme().acme]])
    const table = read(config, { PROVIDER_OK_CLIENT_SECRET: SECRET })
    for (const id of ids) expect(table.get(id), id).toBeInstanceOf(ProviderSettingError)
    expect(table.get('ok')).toMatchObject({ id: 'ok' })
    expect(Object.prototype).not.toHaveProperty('type')
  })

  it('fails alone when its secret is missing, with one log line naming it and no secret value', () => {
    const lines = captureLogs()
    const config = {
      ...acme(),
      other: { type: 'google', clientId: 'google-client' },
    }
    const table = read(config, { PROVIDER_OTHER_CLIENT_SECRET: SECRET })
    const err = table.get('acme') as ProviderSettingError
    expect(err).toBeInstanceOf(ProviderSettingError)
    expect(err).toMatchObject({ variable: 'PROVIDER_ACME_CLIENT_SECRET', reason: 'is not set' })
    expect(table.get('other')).toMatchObject({ type: 'google' })
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'error',
        event: 'provider_config_invalid',
        provider: 'acme',
        variable: 'PROVIDER_ACME_CLIENT_SECRET',
        reason: 'is not set',
      }),
    ])
    expect(lines.join('\n')).not.toContain(SECRET)
  })

  it('treats an empty secret as missing', () => {
    expect(failure(acme(), 'acme', { PROVIDER_ACME_CLIENT_SECRET: '' }).variable).toBe(
      'PROVIDER_ACME_CLIENT_SECRET',
    )
  })
})

describe('presets', () => {
  it('google: its issuer (both spellings), default name and scopes, an optional hd', () => {
    const config = { google: { type: 'google', clientId: 'g', hd: 'Example.COM' } }
    const google = provider(config, 'google', { PROVIDER_GOOGLE_CLIENT_SECRET: SECRET })
    expect(google).toMatchObject({
      protocol: 'oidc',
      name: 'Google',
      issuer: 'https://accounts.google.com',
      alternateIssuers: ['accounts.google.com'],
      discoveryUrl: 'https://accounts.google.com/.well-known/openid-configuration',
      scopes: ['openid', 'email', 'profile'],
      hostedDomain: 'example.com',
      emailTrusted: true,
    })
    const bad = { google: { type: 'google', clientId: 'g', hd: 'not a domain' } }
    expect(failure(bad, 'google', { PROVIDER_GOOGLE_CLIENT_SECRET: SECRET }).variable).toBe(
      'AUTH_PROVIDERS.google.hd',
    )
    // The issuer is the preset's; a configured one is refused rather than trusted.
    const moved = { google: { type: 'google', clientId: 'g', issuer: 'https://evil.example' } }
    expect(failure(moved, 'google', { PROVIDER_GOOGLE_CLIENT_SECRET: SECRET }).variable).toBe(
      'AUTH_PROVIDERS.google.issuer',
    )
  })

  it('github: OAuth 2 with fixed endpoints, /user and /user/emails, no issuer', () => {
    const config = { github: { type: 'github', clientId: 'Iv1.abc' } }
    const github = provider(config, 'github', {
      PROVIDER_GITHUB_CLIENT_SECRET: SECRET,
    }) as OAuth2Provider
    expect(github).toEqual({
      id: 'github',
      type: 'github',
      protocol: 'oauth2',
      name: 'GitHub',
      clientId: 'Iv1.abc',
      audiences: ['Iv1.abc'],
      scopes: ['read:user', 'user:email'],
      emailTrusted: true,
      allowLoopback: false,
      authorizationEndpoint: 'https://github.com/login/oauth/authorize',
      tokenEndpoint: 'https://github.com/login/oauth/access_token',
      userEndpoint: 'https://api.github.com/user',
      emailsEndpoint: 'https://api.github.com/user/emails',
      clientAuth: { method: 'client_secret', secret: SECRET },
    })
    // GitHub issues no ID tokens, so there is nothing for native apps' client ids to check.
    const native = { github: { type: 'github', clientId: 'x', clientIds: ['y'] } }
    expect(failure(native, 'github', { PROVIDER_GITHUB_CLIENT_SECRET: SECRET }).variable).toBe(
      'AUTH_PROVIDERS.github.clientIds',
    )
  })

  it('apple: form_post, a client secret minted from its key, team and key ids required', async () => {
    const { pem } = await p256Pem()
    const config = {
      apple: {
        type: 'apple',
        clientId: 'com.example.web',
        teamId: 'ABCDE12345',
        keyId: 'KEY1234567',
      },
    }
    const apple = provider(config, 'apple', { PROVIDER_APPLE_PRIVATE_KEY: pem }) as OidcProvider
    expect(apple).toMatchObject({
      issuer: 'https://appleid.apple.com',
      responseMode: 'form_post',
      scopes: ['openid', 'name', 'email'],
      clientAuth: { method: 'apple_jwt', teamId: 'ABCDE12345', keyId: 'KEY1234567' },
    })
    // Needs no client secret, and says which setting is missing otherwise.
    expect(failure(config, 'apple').variable).toBe('PROVIDER_APPLE_PRIVATE_KEY')
    expect(failure(config, 'apple', { PROVIDER_APPLE_PRIVATE_KEY: 'not a key' }).variable).toBe(
      'PROVIDER_APPLE_PRIVATE_KEY',
    )
    const noTeam = { apple: { ...config.apple, teamId: undefined } }
    expect(failure(noTeam, 'apple', { PROVIDER_APPLE_PRIVATE_KEY: pem }).variable).toBe(
      'AUTH_PROVIDERS.apple.teamId',
    )
    const badKey = { apple: { ...config.apple, keyId: 'short' } }
    expect(failure(badKey, 'apple', { PROVIDER_APPLE_PRIVATE_KEY: pem }).variable).toBe(
      'AUTH_PROVIDERS.apple.keyId',
    )
  })

  it("microsoft: common's {tenantid} issuer template, never trusted for email linking", () => {
    const secrets = { PROVIDER_MS_CLIENT_SECRET: SECRET }
    const common = provider({ ms: { type: 'microsoft', clientId: 'm' } }, 'ms', secrets)
    expect(common).toMatchObject({
      name: 'Microsoft',
      issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
      discoveryUrl:
        'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
      tenantIssuer: true,
      emailTrusted: false,
    })
    const tenant = '72F988BF-86F1-41AF-91AB-2D7CD011DB47'
    const single = provider({ ms: { type: 'microsoft', clientId: 'm', tenant } }, 'ms', secrets)
    expect(single).toMatchObject({
      issuer: `https://login.microsoftonline.com/${tenant.toLowerCase()}/v2.0`,
      tenantIssuer: false,
      emailTrusted: false,
    })
    const consumers = provider(
      { ms: { type: 'microsoft', clientId: 'm', tenant: 'consumers' } },
      'ms',
      secrets,
    )
    expect(consumers).toMatchObject({
      issuer: 'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0',
      discoveryUrl:
        'https://login.microsoftonline.com/consumers/v2.0/.well-known/openid-configuration',
      tenantIssuer: false,
    })
    for (const bad of ['contoso.onmicrosoft.com', '../common', '', 1]) {
      const config = { ms: { type: 'microsoft', clientId: 'm', tenant: bad } }
      expect(failure(config, 'ms', secrets).variable).toBe('AUTH_PROVIDERS.ms.tenant')
    }
  })
})

describe('trustEmail', () => {
  const read = (entry: Record<string, unknown>) =>
    readProviders({ p: entry }, () => 'secret') as { providers: Map<string, unknown> }

  it('defaults to true for google, apple and github.com, false for oidc and GitHub Enterprise', () => {
    const trusted = (entry: Record<string, unknown>) =>
      (read(entry).providers.get('p') as { emailTrusted?: boolean }).emailTrusted
    expect(trusted({ type: 'google', clientId: 'c' })).toBe(true)
    expect(trusted({ type: 'github', clientId: 'c' })).toBe(true)
    expect(
      trusted({ type: 'github', clientId: 'c', enterpriseUrl: 'https://ghe.example.com' }),
    ).toBe(false)
    expect(
      trusted({ type: 'oidc', name: 'P', issuer: 'https://idp.example.com', clientId: 'c' }),
    ).toBe(false)
    expect(
      trusted({
        type: 'oidc',
        name: 'P',
        issuer: 'https://idp.example.com',
        clientId: 'c',
        trustEmail: true,
      }),
    ).toBe(true)
    expect(trusted({ type: 'google', clientId: 'c', trustEmail: false })).toBe(false)
  })

  it('is a boolean, and not a setting of microsoft (never trusted)', () => {
    const broken = (entry: Record<string, unknown>) => read(entry).providers.get('p')
    expect(broken({ type: 'google', clientId: 'c', trustEmail: 'yes' })).toMatchObject({
      variable: 'AUTH_PROVIDERS.p.trustEmail',
    })
    expect(broken({ type: 'microsoft', clientId: 'c', trustEmail: true })).toMatchObject({
      variable: 'AUTH_PROVIDERS.p.trustEmail',
    })
  })
})

describe('github enterpriseUrl (GitHub Enterprise Server)', () => {
  const secrets = { PROVIDER_GHE_CLIENT_SECRET: SECRET }
  const ghe = (enterpriseUrl: unknown) => ({
    ghe: { type: 'github', clientId: 'Iv1.abc', enterpriseUrl },
  })

  it('derives the OAuth and /api/v3 endpoints from an https URL, fetched as any host', () => {
    const server = provider(ghe('https://ghe.example.com/'), 'ghe', secrets) as OAuth2Provider
    expect(server).toMatchObject({
      protocol: 'oauth2',
      authorizationEndpoint: 'https://ghe.example.com/login/oauth/authorize',
      tokenEndpoint: 'https://ghe.example.com/login/oauth/access_token',
      userEndpoint: 'https://ghe.example.com/api/v3/user',
      emailsEndpoint: 'https://ghe.example.com/api/v3/user/emails',
      allowLoopback: false,
    })
  })

  it('allows a loopback URL, over http too, with a path, and marks it for the outbound fetch', () => {
    const local = provider(ghe('http://127.0.0.1:8080/ghe'), 'ghe', secrets) as OAuth2Provider
    expect(local).toMatchObject({
      authorizationEndpoint: 'http://127.0.0.1:8080/ghe/login/oauth/authorize',
      tokenEndpoint: 'http://127.0.0.1:8080/ghe/login/oauth/access_token',
      userEndpoint: 'http://127.0.0.1:8080/ghe/api/v3/user',
      emailsEndpoint: 'http://127.0.0.1:8080/ghe/api/v3/user/emails',
      allowLoopback: true,
    })
  })

  it('refuses http off loopback, credentials, a query, a port, and a non-string, naming the setting', () => {
    for (const bad of [
      'http://ghe.example.com',
      'https://user:pw@ghe.example.com',
      'https://ghe.example.com/?x=1',
      'https://ghe.example.com:8443',
      'https://10.0.0.1',
      'ftp://ghe.example.com',
      42,
      '',
    ]) {
      const err = failure(ghe(bad), 'ghe', secrets)
      expect(err.variable, String(bad)).toBe('AUTH_PROVIDERS.ghe.enterpriseUrl')
    }
  })
})
