import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { type Bindings, ConfigError, loadConfig } from '../src/env'

const ORIGIN = 'https://auth.example.com'
const withEnv = (overrides: Partial<Bindings>) => ({ ...env, ...overrides }) as Bindings

function configError(overrides: Partial<Bindings>): ConfigError {
  try {
    loadConfig(withEnv(overrides), ORIGIN)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  it('reads wrangler.toml defaults: the seed 20 s access token, 14-day refresh token', () => {
    expect(loadConfig(withEnv({}), ORIGIN)).toMatchObject({
      accessTokenTtl: 20,
      refreshTokenTtl: 14 * 24 * 3600,
      sessionMaxAge: 30 * 24 * 3600,
      refreshReuseWindow: 10,
      issuer: ORIGIN,
      audience: 'edge-auth',
      signing: { alg: 'ES256' },
    })
  })

  it('accepts overrides given as strings, as `--var NAME:value` does', () => {
    expect(
      loadConfig(withEnv({ ACCESS_TOKEN_TTL: '3', REFRESH_REUSE_WINDOW: '0' }), ORIGIN),
    ).toMatchObject({
      accessTokenTtl: 3,
      refreshReuseWindow: 0,
    })
  })

  it.each([
    ['ACCESS_TOKEN_SECRET', undefined, 'is not set'],
    ['ACCESS_TOKEN_SECRET', '', 'is not set'],
    ['ACCESS_TOKEN_SECRET', 'x'.repeat(31), 'is shorter than 32 characters'],
    ['REFRESH_TOKEN_SECRET', undefined, 'is not set'],
    ['REFRESH_TOKEN_SECRET', 'tooWeakSecret', 'is shorter than 32 characters'],
  ] as const)('with HS256, fails closed when %s is %s', (name, value, reason) => {
    const err = configError({ JWT_ALG: 'HS256', [name]: value })
    expect(err.variable).toBe(name)
    expect(err.reason).toBe(reason)
    if (value) expect(err.message).not.toContain(value)
  })

  it('needs no ACCESS_TOKEN_SECRET with asymmetric keys', () => {
    expect(loadConfig(withEnv({ ACCESS_TOKEN_SECRET: undefined }), ORIGIN).signing.alg).toBe(
      'ES256',
    )
  })

  it('picks ES256 when JWT_ALG is unset and keys exist, else the seed HS256', () => {
    const pick = (overrides: Partial<Bindings>) =>
      loadConfig(withEnv({ JWT_ALG: undefined, ...overrides }), ORIGIN).signing.alg
    expect(pick({})).toBe('ES256')
    expect(pick({ JWT_PRIVATE_KEYS: undefined })).toBe('HS256')
  })

  const ecKey = JSON.parse(env.JWT_PRIVATE_KEYS).keys[0] as Record<string, string>
  it.each([
    ['unset', undefined, 'is not set (JWT_ALG=ES256 needs it)'],
    ['not JSON', '{keys:', 'is not valid JSON'],
    ['an empty set', '{"keys":[]}', 'must be a JWK set with at least one key'],
    ['a bare key', JSON.stringify(ecKey), 'must be a JWK set with at least one key'],
    [
      'a public key only',
      JSON.stringify({ keys: [{ ...ecKey, d: undefined }] }),
      'must hold ES256 private keys (kty EC, crv P-256)',
    ],
    [
      'keys sharing a kid',
      JSON.stringify({ keys: [ecKey, ecKey] }),
      'needs a unique kid on every key',
    ],
    [
      'a key without kid',
      JSON.stringify({ keys: [{ ...ecKey, kid: undefined }] }),
      'needs a unique kid on every key',
    ],
    [
      'an Ed25519 key under ES256',
      JSON.stringify({ keys: [{ kid: 'k', kty: 'OKP', crv: 'Ed25519', x: 'a', d: 'b' }] }),
      'must hold ES256 private keys (kty EC, crv P-256)',
    ],
  ])('fails closed when JWT_PRIVATE_KEYS is %s', (_, value, reason) => {
    const err = configError({ JWT_PRIVATE_KEYS: value })
    expect(err.variable).toBe('JWT_PRIVATE_KEYS')
    expect(err.reason).toBe(reason)
    expect(err.message).not.toContain(ecKey.d)
  })

  it('refuses an unknown JWT_ALG rather than guessing', () => {
    expect(configError({ JWT_ALG: 'RS256' }).variable).toBe('JWT_ALG')
    expect(configError({ JWT_ALG: 'none' }).variable).toBe('JWT_ALG')
  })

  it('uses JWT_ISSUER when set, else the origin of the request', () => {
    const bindings = withEnv({})
    expect(loadConfig(bindings, 'https://a.example').issuer).toBe('https://a.example')
    expect(loadConfig(bindings, 'http://localhost:8787').issuer).toBe('http://localhost:8787')
    const fixed = withEnv({ JWT_ISSUER: 'https://auth.example.com' })
    expect(loadConfig(fixed, 'https://a.example').issuer).toBe('https://auth.example.com')
  })

  it('refuses the same secret for both keys', () => {
    const same = 'q'.repeat(64)
    const err = configError({
      JWT_ALG: 'HS256',
      ACCESS_TOKEN_SECRET: same,
      REFRESH_TOKEN_SECRET: same,
    })
    expect(err.variable).toBe('REFRESH_TOKEN_SECRET')
    expect(err.message).not.toContain(same)
  })

  it.each([
    ['REFRESH_TOKEN_TTL', '59'], // under KV's 60 s expirationTtl floor
    ['REFRESH_TOKEN_TTL', 'two weeks'],
    ['ACCESS_TOKEN_TTL', '0'],
    ['ACCESS_TOKEN_TTL', '1.5'],
    ['REFRESH_REUSE_WINDOW', '-1'],
    ['JWT_LEEWAY', '31'],
    ['SESSION_MAX_AGE', '59'],
    ['SESSION_MAX_AGE', 'a month'],
  ] as const)('refuses %s=%s', (name, value) => {
    expect(configError({ [name]: value }).variable).toBe(name)
  })

  it('refuses a SESSION_MAX_AGE below REFRESH_TOKEN_TTL, which would make the idle limit moot', () => {
    const err = configError({ REFRESH_TOKEN_TTL: '7200', SESSION_MAX_AGE: '3600' })
    expect(err.variable).toBe('SESSION_MAX_AGE')
    expect(err.reason).toBe('must not be below REFRESH_TOKEN_TTL')
    expect(
      loadConfig(withEnv({ REFRESH_TOKEN_TTL: '3600', SESSION_MAX_AGE: '3600' }), ORIGIN),
    ).toMatchObject({ refreshTokenTtl: 3600, sessionMaxAge: 3600 })
  })

  it('defaults SESSION_MAX_AGE to 30 days, or to REFRESH_TOKEN_TTL when that is longer', () => {
    const unset = { SESSION_MAX_AGE: '' }
    expect(loadConfig(withEnv(unset), ORIGIN).sessionMaxAge).toBe(30 * 24 * 3600)
    const longIdle = { ...unset, REFRESH_TOKEN_TTL: String(60 * 24 * 3600) }
    expect(loadConfig(withEnv(longIdle), ORIGIN).sessionMaxAge).toBe(60 * 24 * 3600)
  })

  it('parses each environment once', () => {
    const bindings = withEnv({})
    expect(loadConfig(bindings, ORIGIN).signing).toBe(loadConfig(bindings, ORIGIN).signing)
  })
})
