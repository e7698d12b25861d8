import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { sign } from 'hono/jwt'
import { describe, expect, it } from 'vitest'
import { mintAccessToken, publicSigningKeys, verifyAccessToken } from '../../src/auth/access-tokens'
import type { AuthUser, Config, Signing } from '../../src/env'
import { type PrivateJwk, parsePrivateKeys } from '../../src/auth/signing-keys'
import { ConfigError } from '../../src/env'
import { env } from 'cloudflare:workers'
import { ApiError } from '../../src/errors'
import { unitConfig } from '../helpers'
import { generateKey } from './keys'

const user: AuthUser = { id: 'user-1', username: 'alice', sessionId: 'session-1', amr: ['pwd'] }

const config = (signing: Signing): Config => unitConfig(signing, { issuer: 'https://auth.example' })

const asymmetric = (alg: 'ES256' | 'EdDSA', keys: PrivateJwk[]): Config =>
  config({ alg, source: JSON.stringify({ keys }) })

async function expectRejected(token: string, cfg: Config) {
  const err = await verifyAccessToken(token, cfg).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(ApiError)
  expect((err as ApiError).code).toBe('invalid_token')
}

describe.each(['ES256', 'EdDSA'] as const)('%s access tokens', (alg) => {
  it('are signed by the first key, name it by kid, and verify', async () => {
    const keys = [await generateKey(alg), await generateKey(alg)]
    const cfg = asymmetric(alg, keys)
    const { token } = await mintAccessToken(user, cfg)
    expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'JWT', kid: keys[0]!.kid })
    expect(await verifyAccessToken(token, cfg)).toEqual(user)
  })

  it('verify with jose against the published key set, as another service would', async () => {
    const cfg = asymmetric(alg, [await generateKey(alg)])
    const { token } = await mintAccessToken(user, cfg)
    const jwks = createLocalJWKSet({ keys: await publicSigningKeys(cfg) })
    const { payload } = await jwtVerify(token, jwks, {
      issuer: cfg.issuer,
      audience: cfg.audience,
      algorithms: [alg],
    })
    expect(payload).toMatchObject({ sub: user.id, sid: user.sessionId, token_use: 'access' })
  })

  it('publish only public members, never the private d', async () => {
    const keys = [await generateKey(alg), await generateKey(alg)]
    const published = await publicSigningKeys(asymmetric(alg, keys))
    expect(published.map((key) => key.kid)).toEqual(keys.map((key) => key.kid))
    for (const key of published) {
      expect(key).not.toHaveProperty('d')
      expect(key).toMatchObject({ alg, use: 'sig' })
      expect(JSON.stringify(key)).not.toContain(keys[0]!.d)
    }
  })

  it('rotate: a retired key still verifies while it is configured, and not after', async () => {
    const [old, next] = [await generateKey(alg), await generateKey(alg)]
    const before = asymmetric(alg, [old])
    const { token } = await mintAccessToken(user, before)
    // The new key goes first and signs; the old one stays to verify what it signed.
    const during = asymmetric(alg, [next, old])
    expect(await verifyAccessToken(token, during)).toEqual(user)
    expect(decodeProtectedHeader((await mintAccessToken(user, during)).token).kid).toBe(next.kid)
    await expectRejected(token, asymmetric(alg, [next]))
  })

  it('refuse an unknown kid, a missing kid, and a stranger key under a known kid', async () => {
    const key = await generateKey(alg)
    const cfg = asymmetric(alg, [key])
    const claims = decodeJwt((await mintAccessToken(user, cfg)).token)
    const stranger = await generateKey(alg)
    await expectRejected(await sign(claims, { ...stranger, alg }), cfg)
    const { kid: _, ...noKid } = key
    await expectRejected(await sign(claims, { ...noKid, alg } as JsonWebKey), cfg)
    await expectRejected(await sign(claims, { ...stranger, kid: key.kid, alg }), cfg)
  })
})

describe('algorithm confusion', () => {
  it('refuses an HS256 token signed with the public key as the HMAC secret', async () => {
    const key = await generateKey('ES256')
    const cfg = asymmetric('ES256', [key])
    const [published] = await publicSigningKeys(cfg)
    const claims = decodeJwt((await mintAccessToken(user, cfg)).token)
    await expectRejected(await sign(claims, JSON.stringify(published), 'HS256'), cfg)
    await expectRejected(await sign(claims, published!.x!, 'HS256'), cfg)
  })

  it('refuses the "psychic signature": r = s = 0 (CVE-2022-21449)', async () => {
    const cfg = asymmetric('ES256', [await generateKey('ES256')])
    const { token } = await mintAccessToken(user, cfg)
    const zeros = 'A'.repeat(86) // 64 zero bytes, unpadded base64url
    await expectRejected(`${token.slice(0, token.lastIndexOf('.'))}.${zeros}`, cfg)
  })

  it('refuses an ES256 token under an EdDSA configuration, and the reverse', async () => {
    const es = asymmetric('ES256', [await generateKey('ES256')])
    const ed = asymmetric('EdDSA', [await generateKey('EdDSA')])
    await expectRejected((await mintAccessToken(user, es)).token, ed)
    await expectRejected((await mintAccessToken(user, ed)).token, es)
  })

  it('publishes no keys at all for HS256: the shared secret has no public half', async () => {
    expect(await publicSigningKeys(config({ alg: 'HS256', secret: 'k'.repeat(64) }))).toEqual([])
  })
})

describe('parsePrivateKeys (JWT_PRIVATE_KEYS)', () => {
  const ecKey = JSON.parse(env.JWT_PRIVATE_KEYS).keys[0] as Record<string, string>
  it.each([
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
  ])('fails closed, naming no key, when it is %s', async (_, source, reason) => {
    let err: unknown
    try {
      parsePrivateKeys({ alg: 'ES256', source })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).variable).toBe('JWT_PRIVATE_KEYS')
    expect((err as ConfigError).reason).toBe(reason)
    expect((err as ConfigError).message).not.toContain(ecKey.d)
    // The key ring refuses it the same way, so no route signs or verifies with it.
    await expect(publicSigningKeys(config({ alg: 'ES256', source }))).rejects.toThrow(reason)
  })

  it('accepts the set npm run dev generates', () => {
    expect(parsePrivateKeys({ alg: 'ES256', source: env.JWT_PRIVATE_KEYS })).toHaveLength(1)
  })
})
