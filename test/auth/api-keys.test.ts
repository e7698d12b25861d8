// API key format and checks, pure: minting, parsing (one spelling per key), the stored digest and
// its constant-time comparison, and scopes that fail closed.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  API_KEY_PATTERN,
  apiKeySecretMatches,
  formatScopes,
  hashApiKeySecret,
  mintApiKey,
  parseApiKey,
  parseScopes,
} from '../../src/auth/api-keys'
import { sha256Base64Url } from '../../src/auth/encoding'

afterEach(() => vi.restoreAllMocks())

describe('API keys', () => {
  it('are eak_, a 24-hex id, _, and 43 base64url characters (32 random bytes), each new', async () => {
    const a = await mintApiKey()
    const b = await mintApiKey()
    expect(a.key).toMatch(API_KEY_PATTERN)
    expect(a.key.startsWith(`eak_${a.id}_`)).toBe(true)
    expect(a.id).not.toBe(b.id)
    expect(a.key).not.toBe(b.key)
    // The secret scanner's unanchored form finds it inside other text.
    expect(`token: ${a.key}\n`).toMatch(/eak_[0-9a-f]{24}_[A-Za-z0-9_-]{43}/)
  })

  it('keep only the SHA-256 of the secret, never the secret or the key', async () => {
    const { key, id, secretHash } = await mintApiKey()
    const secret = key.slice(`eak_${id}_`.length)
    expect(secretHash).toBe(await sha256Base64Url(secret))
    expect(secretHash).toBe(await hashApiKeySecret(secret))
    expect(secretHash).not.toContain(secret)
    // The same vector is in client/test/admin-script.test.ts, for the script's digest.
    expect(await hashApiKeySecret('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')
  })

  it('parse back to their id and secret, and nothing else parses', async () => {
    const { key, id } = await mintApiKey()
    expect(parseApiKey(key)).toEqual({ id, secret: key.slice(-43) })
    const secret = key.slice(-43)
    for (const bad of [
      '',
      'eak_',
      key.slice(0, -1),
      `${key}A`,
      ` ${key}`,
      key.replace('eak_', 'EAK_'),
      `eak_${id.toUpperCase()}_${secret}`,
      `eak_${id}${secret}`,
      `eak_${id}_${secret.slice(0, -1)}=`,
      `eak_${id}_${secret.slice(0, -1)}B`, // stray low bits: another spelling of (almost) one secret
      `eak_${'g'.repeat(24)}_${secret}`,
    ]) {
      expect(parseApiKey(bad), bad).toBeNull()
    }
  })

  it('match a secret only against its own digest, always through timingSafeEqual', async () => {
    const compare = vi.spyOn(crypto.subtle, 'timingSafeEqual')
    const { key, secretHash } = await mintApiKey()
    const other = await mintApiKey()
    const { secret } = parseApiKey(key)!
    expect(await apiKeySecretMatches(secret, secretHash)).toBe(true)
    expect(await apiKeySecretMatches(secret, other.secretHash)).toBe(false)
    expect(await apiKeySecretMatches(parseApiKey(other.key)!.secret, secretHash)).toBe(false)
    // No key at all: compared against a digest no secret has, and refused.
    expect(await apiKeySecretMatches(secret, null)).toBe(false)
    expect(compare).toHaveBeenCalledTimes(4)
    // A stored digest that is not one (a hand-edited row) refuses too.
    expect(await apiKeySecretMatches(secret, 'not a digest')).toBe(false)
  })

  it('read scopes failing closed: unknown words grant nothing, each scope once', () => {
    expect(parseScopes('users:read audit:read')).toEqual(['users:read', 'audit:read'])
    expect(parseScopes('users:read users:read')).toEqual(['users:read'])
    expect(parseScopes('admin *  users:write USERS:READ users:read,audit:read')).toEqual([
      'users:write',
    ])
    expect(parseScopes('')).toEqual([])
    expect(formatScopes(['users:read', 'webhooks:manage', 'users:read'])).toBe(
      'users:read webhooks:manage',
    )
  })
})
