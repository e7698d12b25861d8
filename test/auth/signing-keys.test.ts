import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { sign } from 'hono/jwt'
import { describe, expect, it } from 'vitest'
import { mintAccessToken, publicSigningKeys, verifyAccessToken } from '../../src/auth/access-tokens'
import type { AuthUser, Config, Signing } from '../../src/env'
import {
  type PrivateJwk,
  parsePrivateKeys,
  parseRsaKeys,
  rsaKeyRing,
} from '../../src/auth/signing-keys'
import { ConfigError } from '../../src/env'
import { env } from 'cloudflare:workers'
import { toBase64Url } from '../../src/auth/encoding'
import { ApiError } from '../../src/errors'
import { failure, unitConfig } from '../helpers'
import { generateKey, rsaKeySet } from './keys'

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

  // The kid is remembered per header segment (access-tokens.ts): a remembered header must not
  // stand in for a signature, and a flood of headers must not stop the check from working.
  it('check every signature when the header was seen before, and after a flood of headers', async () => {
    const key = await generateKey(alg)
    const cfg = asymmetric(alg, [key])
    const { token } = await mintAccessToken(user, cfg)
    expect(await verifyAccessToken(token, cfg)).toEqual(user)
    const [header, payload] = token.split('.')
    const stranger = await generateKey(alg)
    const forged = await sign(decodeJwt(token), { ...stranger, kid: key.kid, alg })
    expect(forged.split('.')[0]).toBe(header)
    await expectRejected(forged, cfg)
    await expectRejected(`${header}.${payload}.`, cfg)
    for (let i = 0; i < 100; i++) {
      const odd = toBase64Url(new TextEncoder().encode(JSON.stringify({ alg, kid: key.kid, n: i })))
      await expectRejected(`${odd}.${payload}.${token.split('.')[2]}`, cfg)
    }
    expect(await verifyAccessToken(token, cfg)).toEqual(user)
    await expectRejected(forged, cfg)
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

describe('parseRsaKeys (OIDC_RSA_KEYS)', () => {
  const rsaKey = JSON.parse(env.OIDC_RSA_KEYS).keys[0] as Record<string, string>
  const ecKey = JSON.parse(env.JWT_PRIVATE_KEYS).keys[0] as Record<string, string>
  const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const
  /** A modulus of `bits` bits (its top bit set), as base64url: enough for the size check. */
  const modulus = (bits: number) => {
    const bytes = new Uint8Array(Math.ceil(bits / 8)).fill(0xab)
    bytes[0] = 1 << ((bits - 1) % 8)
    return toBase64Url(bytes)
  }

  it.each([
    ['not JSON', '{keys:', 'is not valid JSON'],
    ['an empty set', '{"keys":[]}', 'must be a JWK set with at least one key'],
    ['a bare key', JSON.stringify(rsaKey), 'must be a JWK set with at least one key'],
    [
      'an EC key (wrong kty)',
      JSON.stringify({ keys: [ecKey] }),
      'must hold RS256 private keys (kty RSA)',
    ],
    [
      'a public key only',
      JSON.stringify({ keys: [{ kid: 'k', kty: 'RSA', n: rsaKey.n, e: rsaKey.e }] }),
      'must hold RS256 private keys (kty RSA)',
    ],
    [
      'a key without its CRT members',
      JSON.stringify({ keys: [{ ...rsaKey, dp: undefined }] }),
      'must hold RS256 private keys (kty RSA)',
    ],
    [
      'a key for another algorithm',
      JSON.stringify({ keys: [{ ...rsaKey, alg: 'RS512' }] }),
      'must hold RS256 private keys (kty RSA)',
    ],
    [
      'an encryption key',
      JSON.stringify({ keys: [{ ...rsaKey, use: 'enc' }] }),
      'must hold RS256 private keys (kty RSA)',
    ],
    [
      'keys sharing a kid',
      JSON.stringify({ keys: [rsaKey, rsaKey] }),
      'needs a unique kid on every key',
    ],
    [
      'a key without kid',
      JSON.stringify({ keys: [{ ...rsaKey, kid: undefined }] }),
      'needs a unique kid on every key',
    ],
    [
      'a key of 2047 bits',
      JSON.stringify({ keys: [{ ...rsaKey, n: modulus(2047) }] }),
      'must hold RSA keys of 2048 to 4096 bits',
    ],
    [
      'a key of 4097 bits',
      JSON.stringify({ keys: [{ ...rsaKey, n: modulus(4097) }] }),
      'must hold RSA keys of 2048 to 4096 bits',
    ],
    [
      'a modulus of 2048 bits written with leading zero bytes, then garbage',
      JSON.stringify({ keys: [{ ...rsaKey, n: toBase64Url(new Uint8Array(300)) }] }),
      'must hold RSA keys of 2048 to 4096 bits',
    ],
    [
      'a key of the right shape whose numbers are not base64url',
      JSON.stringify({ keys: [{ ...rsaKey, p: '!!' }] }),
      'holds a key that is not a valid RSA private key',
    ],
  ])('fails closed, naming no key, when it is %s', async (_, source, reason) => {
    let err: unknown
    try {
      parseRsaKeys(source)
      await rsaKeyRing(source)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).variable).toBe('OIDC_RSA_KEYS')
    expect((err as ConfigError).reason).toBe(reason)
    for (const member of PRIVATE) expect((err as ConfigError).message).not.toContain(rsaKey[member])
    // The ring refuses it the same way, so nothing signs or is published with it.
    await expect(rsaKeyRing(source)).rejects.toThrow(reason)
  })

  it('refuses a key whose private members belong to another key (checked by one signature)', async () => {
    const [mine, other] = [await generateKey('RS256'), await generateKey('RS256')]
    for (const mixed of [
      { ...mine, p: other.p, q: other.q, dp: other.dp, dq: other.dq, qi: other.qi },
      { ...other, n: mine.n },
    ]) {
      const err = await failure(rsaKeyRing(rsaKeySet([mixed])))
      expect(err).toMatchObject({
        variable: 'OIDC_RSA_KEYS',
        reason: 'holds a key that is not a valid RSA private key',
      })
      expect((err as Error).message).not.toContain(other.p)
    }
    expect((await rsaKeyRing(rsaKeySet([mine]))).signer.kid).toBe(mine.kid)
  })

  it('refuses a real 1024-bit key', async () => {
    const weak = await generateKey('RS256', 1024)
    expect(() => parseRsaKeys(rsaKeySet([weak]))).toThrow('must hold RSA keys of 2048 to 4096 bits')
  })

  it('accepts the set npm run dev generates, and a 4096-bit key', async () => {
    expect(parseRsaKeys(env.OIDC_RSA_KEYS)).toHaveLength(1)
    expect(parseRsaKeys(rsaKeySet([await generateKey('RS256', 4096)]))).toHaveLength(1)
  })

  it('publishes kty, n, e and kid (+ alg RS256, use sig) after the ring, never a private member', async () => {
    const rsa = [await generateKey('RS256'), await generateKey('RS256')]
    const es = await generateKey('ES256')
    const cfg = { ...asymmetric('ES256', [es]), idTokenRsaKeys: rsaKeySet(rsa) }
    const published = await publicSigningKeys(cfg)
    expect(published.map((key) => key.kid)).toEqual([es.kid, rsa[0]!.kid, rsa[1]!.kid])
    for (const [i, key] of rsa.entries()) {
      expect(published[i + 1]).toEqual({
        kty: 'RSA',
        n: key.n,
        e: key.e,
        kid: key.kid,
        alg: 'RS256',
        use: 'sig',
      })
      for (const member of PRIVATE) expect(JSON.stringify(published)).not.toContain(key[member])
    }
    // With HS256 (the authorization server off) nothing is published at all.
    const hs = {
      ...config({ alg: 'HS256', secret: 'k'.repeat(64) }),
      idTokenRsaKeys: rsaKeySet(rsa),
    }
    expect(await publicSigningKeys(hs)).toEqual([])
  })
})
