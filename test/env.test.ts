import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { type Bindings, ConfigError, loadConfig } from '../src/env'

const withEnv = (overrides: Partial<Bindings>) => ({ ...env, ...overrides }) as Bindings

function configError(overrides: Partial<Bindings>): ConfigError {
  try {
    loadConfig(withEnv(overrides))
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  it('reads wrangler.toml defaults: the seed 20 s access token, 14-day refresh token', () => {
    expect(loadConfig(withEnv({}))).toMatchObject({
      accessTokenTtl: 20,
      refreshTokenTtl: 14 * 24 * 3600,
      refreshReuseWindow: 10,
      issuer: 'edge-auth',
      audience: 'edge-auth',
    })
  })

  it('accepts overrides given as strings, as `--var NAME:value` does', () => {
    expect(loadConfig(withEnv({ ACCESS_TOKEN_TTL: '3', REFRESH_REUSE_WINDOW: '0' }))).toMatchObject(
      {
        accessTokenTtl: 3,
        refreshReuseWindow: 0,
      },
    )
  })

  it.each([
    ['ACCESS_TOKEN_SECRET', undefined, 'is not set'],
    ['ACCESS_TOKEN_SECRET', '', 'is not set'],
    ['ACCESS_TOKEN_SECRET', 'x'.repeat(31), 'is shorter than 32 characters'],
    ['REFRESH_TOKEN_SECRET', undefined, 'is not set'],
    ['REFRESH_TOKEN_SECRET', 'tooWeakSecret', 'is shorter than 32 characters'],
  ] as const)('fails closed when %s is %s', (name, value, reason) => {
    const err = configError({ [name]: value })
    expect(err.variable).toBe(name)
    expect(err.reason).toBe(reason)
    if (value) expect(err.message).not.toContain(value)
  })

  it('refuses the same secret for both keys', () => {
    const same = 'q'.repeat(64)
    const err = configError({ ACCESS_TOKEN_SECRET: same, REFRESH_TOKEN_SECRET: same })
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
  ] as const)('refuses %s=%s', (name, value) => {
    expect(configError({ [name]: value }).variable).toBe(name)
  })

  it('parses each environment once', () => {
    const bindings = withEnv({})
    expect(loadConfig(bindings)).toBe(loadConfig(bindings))
  })
})
