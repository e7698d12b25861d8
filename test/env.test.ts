import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { type Bindings, ConfigError, Settings, settings } from '../src/env'

const ORIGIN = 'https://auth.example.com'
const withEnv = (overrides: Partial<Bindings>) => ({ ...env, ...overrides }) as Bindings
/** Fresh each time, as each test's bindings are. */
const tokensFor = (bindings: Bindings, origin: string) => new Settings(bindings).tokens(origin)

function configError(overrides: Partial<Bindings>): ConfigError {
  try {
    tokensFor(withEnv(overrides), ORIGIN)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('Settings.tokens', () => {
  it('reads wrangler.toml defaults: the seed 20 s access token, 14-day refresh token', () => {
    expect(tokensFor(withEnv({}), ORIGIN)).toMatchObject({
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
      tokensFor(withEnv({ ACCESS_TOKEN_TTL: '3', REFRESH_REUSE_WINDOW: '0' }), ORIGIN),
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
    expect(tokensFor(withEnv({ ACCESS_TOKEN_SECRET: undefined }), ORIGIN).signing.alg).toBe('ES256')
  })

  it('picks ES256 when JWT_ALG is unset and keys exist, else the seed HS256', () => {
    const pick = (overrides: Partial<Bindings>) =>
      tokensFor(withEnv({ JWT_ALG: undefined, ...overrides }), ORIGIN).signing.alg
    expect(pick({})).toBe('ES256')
    expect(pick({ JWT_PRIVATE_KEYS: undefined })).toBe('HS256')
  })

  it('fails closed when JWT_PRIVATE_KEYS is unset (its format: test/auth/signing-keys.test.ts)', () => {
    const err = configError({ JWT_PRIVATE_KEYS: undefined, JWT_ALG: 'ES256' })
    expect(err.variable).toBe('JWT_PRIVATE_KEYS')
    expect(err.reason).toBe('is not set (JWT_ALG=ES256 needs it)')
  })

  it('refuses an unknown JWT_ALG rather than guessing', () => {
    expect(configError({ JWT_ALG: 'RS256' }).variable).toBe('JWT_ALG')
    expect(configError({ JWT_ALG: 'none' }).variable).toBe('JWT_ALG')
  })

  it('uses JWT_ISSUER when set, else the origin of the request', () => {
    const bindings = withEnv({})
    expect(tokensFor(bindings, 'https://a.example')).toMatchObject({
      issuer: 'https://a.example',
      issuerFromHost: true,
    })
    expect(tokensFor(bindings, 'http://localhost:8787').issuer).toBe('http://localhost:8787')
    const fixed = withEnv({ JWT_ISSUER: 'https://auth.example.com' })
    expect(tokensFor(fixed, 'https://a.example')).toMatchObject({
      issuer: 'https://auth.example.com',
      issuerFromHost: false,
    })
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
      tokensFor(withEnv({ REFRESH_TOKEN_TTL: '3600', SESSION_MAX_AGE: '3600' }), ORIGIN),
    ).toMatchObject({ refreshTokenTtl: 3600, sessionMaxAge: 3600 })
  })

  it('defaults SESSION_MAX_AGE to 30 days, or to REFRESH_TOKEN_TTL when that is longer', () => {
    const unset = { SESSION_MAX_AGE: '' }
    expect(tokensFor(withEnv(unset), ORIGIN).sessionMaxAge).toBe(30 * 24 * 3600)
    const longIdle = { ...unset, REFRESH_TOKEN_TTL: String(60 * 24 * 3600) }
    expect(tokensFor(withEnv(longIdle), ORIGIN).sessionMaxAge).toBe(60 * 24 * 3600)
  })
})

describe('settings', () => {
  it('is one object per environment, each part parsed once', () => {
    const bindings = withEnv({})
    expect(settings(bindings)).toBe(settings(bindings))
    const once = settings(bindings)
    expect(once.tokens(ORIGIN).signing).toBe(once.tokens(ORIGIN).signing)
    expect(once.allowedOrigins).toBe(once.allowedOrigins)
  })

  it('fails only the part that is invalid', () => {
    const broken = new Settings(
      withEnv({ ALLOWED_ORIGINS: '*', RATE_LIMITS: 'maybe', REFRESH_TOKEN_SECRET: undefined }),
    )
    expect(() => broken.allowedOrigins).toThrow(ConfigError)
    expect(() => broken.rateLimits).toThrow(ConfigError)
    // The request log asks without throwing; an invalid value is not "off".
    expect(broken.rateLimitsOff).toBe(false)
    expect(() => broken.tokens(ORIGIN)).toThrow(ConfigError)
    const fine = new Settings(withEnv({ ALLOWED_ORIGINS: 'https://app.example.com' }))
    expect(fine.allowedOrigins).toEqual(['https://app.example.com'])
    expect(fine.rateLimits).toBe(true)
  })

  it('reads RATE_LIMITS=off as off, for load tests', () => {
    const off = new Settings(withEnv({ RATE_LIMITS: 'off' }))
    expect(off.rateLimits).toBe(false)
    expect(off.rateLimitsOff).toBe(true)
  })
})

describe('PROTECTED_RESOURCES', () => {
  const read = (value: unknown) =>
    new Settings(withEnv({ PROTECTED_RESOURCES: value } as Partial<Bindings>)).protectedResources

  function refused(value: unknown): ConfigError {
    try {
      read(value)
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).variable).toBe('PROTECTED_RESOURCES')
      return err as ConfigError
    }
    throw new Error('expected a ConfigError')
  }

  it('is empty when unset, empty or blank', () => {
    expect(read(undefined)).toEqual([])
    expect(read('')).toEqual([])
    expect(read('   ')).toEqual([])
    expect(read('[]')).toEqual([])
  })

  it('reads resources, their scopes (deduplicated), a default name and token lifetime', () => {
    const list = read(
      JSON.stringify([
        {
          resource: 'https://notes.example.com/mcp',
          name: 'Notes',
          scopes: ['notes:read', 'notes:read'],
        },
        {
          resource: 'https://calendar.example.com/mcp',
          scopes: ['calendar:read'],
          accessTokenTtl: 600,
        },
        { resource: 'http://localhost:8788/mcp', scopes: ['mcp'] },
      ]),
    )
    expect(list).toEqual([
      {
        resource: 'https://notes.example.com/mcp',
        name: 'Notes',
        scopes: ['notes:read'],
        accessTokenTtl: 300,
      },
      {
        resource: 'https://calendar.example.com/mcp',
        name: 'calendar.example.com',
        scopes: ['calendar:read'],
        accessTokenTtl: 600,
      },
      {
        resource: 'http://localhost:8788/mcp',
        name: 'localhost:8788',
        scopes: ['mcp'],
        accessTokenTtl: 300,
      },
    ])
  })

  it('accepts an already-parsed array (a JSON var in wrangler.toml)', () => {
    expect(read([{ resource: 'https://notes.example.com/mcp', scopes: ['a'] }])).toHaveLength(1)
  })

  it.each([
    ['not JSON', '[{'],
    ['an object, not an array', '{"resource":"https://notes.example.com"}'],
    ['a string', '"https://notes.example.com"'],
    [
      'more than 50 resources',
      JSON.stringify(
        Array.from({ length: 51 }, (_, i) => ({
          resource: `https://r${i}.example.com`,
          scopes: [],
        })),
      ),
    ],
    ['a null entry', '[null]'],
    [
      'no scopes (every refresh would ask for none)',
      '[{"resource":"https://notes.example.com/mcp","scopes":[]}]',
    ],
    ['no resource', '[{"scopes":[]}]'],
    ['a resource that is no URL', '[{"resource":"notes","scopes":[]}]'],
    ['http on a public host', '[{"resource":"http://notes.example.com/mcp","scopes":[]}]'],
    ['a fragment', '[{"resource":"https://notes.example.com/mcp#x","scopes":[]}]'],
    ['an empty fragment', '[{"resource":"https://notes.example.com/mcp#","scopes":[]}]'],
    ['a query', '[{"resource":"https://notes.example.com/mcp?x=1","scopes":[]}]'],
    ['userinfo', '[{"resource":"https://u:p@notes.example.com/mcp","scopes":[]}]'],
    ['javascript:', '[{"resource":"javascript:alert(1)","scopes":[]}]'],
    [
      'the same resource twice',
      '[{"resource":"https://a.example.com","scopes":[]},{"resource":"https://a.example.com","scopes":[]}]',
    ],
    ['a name that is not text', '[{"resource":"https://a.example.com","name":5,"scopes":[]}]'],
    [
      'a name over 100 characters',
      JSON.stringify([{ resource: 'https://a.example.com', name: 'n'.repeat(101), scopes: [] }]),
    ],
    ['no scopes', '[{"resource":"https://a.example.com"}]'],
    ['a scope with a space', '[{"resource":"https://a.example.com","scopes":["a b"]}]'],
    ['a scope with a quote', '[{"resource":"https://a.example.com","scopes":["a\\"b"]}]'],
    ['a scope with a backslash', '[{"resource":"https://a.example.com","scopes":["a\\\\b"]}]'],
    ['an empty scope', '[{"resource":"https://a.example.com","scopes":[""]}]'],
    ['a scope that is a number', '[{"resource":"https://a.example.com","scopes":[1]}]'],
    [
      'a scope over 64 characters',
      JSON.stringify([{ resource: 'https://a.example.com', scopes: ['s'.repeat(65)] }]),
    ],
    [
      'more than 50 scopes',
      JSON.stringify([
        {
          resource: 'https://a.example.com',
          scopes: Array.from({ length: 51 }, (_, i) => `s${i}`),
        },
      ]),
    ],
    [
      'a token lifetime under 60 s',
      '[{"resource":"https://a.example.com","scopes":[],"accessTokenTtl":59}]',
    ],
    [
      'a token lifetime over an hour',
      '[{"resource":"https://a.example.com","scopes":[],"accessTokenTtl":3601}]',
    ],
    [
      'a fractional token lifetime',
      '[{"resource":"https://a.example.com","scopes":[],"accessTokenTtl":90.5}]',
    ],
    [
      'a token lifetime as text',
      '[{"resource":"https://a.example.com","scopes":[],"accessTokenTtl":"300"}]',
    ],
  ])('fails closed on %s', (_, value) => {
    refused(value)
  })

  it('fails only its own part: the token settings still load', () => {
    const broken = new Settings(withEnv({ PROTECTED_RESOURCES: '[{' } as Partial<Bindings>))
    expect(() => broken.protectedResources).toThrow(ConfigError)
    expect(broken.tokens(ORIGIN).signing.alg).toBe('ES256')
  })
})
