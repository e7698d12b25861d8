// ID tokens and their reading as an id_token_hint: the header pinned (typ JWT, the algorithm the
// client registered, a known kid), and no other token of this service passing as one, nor an ID
// token as either access token. RS256 (OIDC_RSA_KEYS) beside the ring's ES256 or EdDSA; at_hash
// follows the signing algorithm's hash (SHA-512 for EdDSA, SHA-256 otherwise).
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { sign } from 'hono/jwt'
import { describe, expect, it } from 'vitest'
import { mintAccessToken, publicSigningKeys, verifyAccessToken } from '../../src/auth/access-tokens'
import { toBase64Url } from '../../src/auth/encoding'
import { idTokenAlgs, idTokenRing, mintIdToken, readIdTokenHint } from '../../src/auth/id-tokens'
import { signJws } from '../../src/auth/jws'
import { mintResourceToken, readResourceToken } from '../../src/auth/resource-tokens'
import { type PrivateJwk, rsaKeyRing } from '../../src/auth/signing-keys'
import type { Config } from '../../src/env'
import { ApiError } from '../../src/errors'
import { failure, freezeTime, unitConfig } from '../helpers'
import { generateKey, rsaKeySet } from './keys'

const ISSUER = 'https://auth.example'
/** The first-party audience: an ID token for a client of that name must still not pass. */
const AUDIENCE = 'edge-auth'

const config = (alg: 'ES256' | 'EdDSA', keys: PrivateJwk[], rsa: PrivateJwk[] = []): Config =>
  unitConfig(
    { alg, source: JSON.stringify({ keys }) },
    { issuer: ISSUER, audience: AUDIENCE, idTokenRsaKeys: rsa.length ? rsaKeySet(rsa) : null },
  )

const subject = (accessToken = 'at') => ({
  userId: 'user-1',
  clientId: AUDIENCE,
  authTime: 1_700_000_000_000,
  amr: ['pwd' as const],
  nonce: 'n',
  accessToken,
  profile: {},
})

const parts = (jwt: string) => jwt.split('.') as [string, string, string]
const decode = (part: string) =>
  JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>
const encode = (value: unknown) => toBase64Url(new TextEncoder().encode(JSON.stringify(value)))

describe('readIdTokenHint', () => {
  it('reads its own ID token, expired too, and nothing with a changed header, payload or signature', async () => {
    const cfg = config('ES256', [await generateKey('ES256')])
    const clock = freezeTime()
    const token = await mintIdToken(subject(), null, cfg)
    clock.advance(90 * 24 * 3600 * 1000)
    expect(await readIdTokenHint(token, cfg)).toMatchObject({
      sub: 'user-1',
      clientId: AUDIENCE,
      issuedAt: expect.any(Number),
    })
    clock.restore()
    const [h, p, s] = parts(token)
    const header = decode(h)
    for (const forged of [
      `${encode({ ...header, alg: 'none' })}.${p}.`,
      `${encode({ ...header, alg: 'EdDSA' })}.${p}.${s}`,
      `${encode({ ...header, typ: 'at+jwt' })}.${p}.${s}`,
      `${encode({ ...header, kid: 'other' })}.${p}.${s}`,
      `${h}.${encode({ ...decode(p), sub: 'user-2' })}.${s}`,
      `${h}.${p}.${s.slice(0, -2)}AA`,
      `${h}.${p}`,
    ]) {
      expect(await readIdTokenHint(forged, cfg)).toBeNull()
    }
  })

  it('refuses an ID token signed by a key not in the ring', async () => {
    const token = await mintIdToken(subject(), null, config('ES256', [await generateKey('ES256')]))
    expect(await readIdTokenHint(token, config('ES256', [await generateKey('ES256')]))).toBeNull()
  })

  it('refuses a first-party access token (typ JWT, token_use access) and a resource token', async () => {
    const cfg = config('ES256', [await generateKey('ES256')])
    const user = { id: 'user-1', username: 'alice', sessionId: 's', amr: ['pwd' as const] }
    const { token: access } = await mintAccessToken(user, cfg)
    expect(await readIdTokenHint(access, cfg)).toBeNull()
    const { token: resource } = await mintResourceToken(
      { ...subject(), resource: AUDIENCE, scope: 'openid', ttl: 60 },
      cfg,
    )
    expect(await readIdTokenHint(resource, cfg)).toBeNull()
  })
})

describe('an ID token as an access token', () => {
  it('is refused by verifyAccessToken, even with the first-party audience, and by readResourceToken', async () => {
    const cfg = config('ES256', [await generateKey('ES256')])
    const idToken = await mintIdToken(subject(), null, cfg)
    expect(await failure(verifyAccessToken(idToken, cfg))).toMatchObject({ code: 'invalid_token' })
    expect(await readResourceToken(idToken, AUDIENCE, cfg)).toBeNull()
  })
})

describe('at_hash', () => {
  it('is the left half of SHA-512 for EdDSA and of SHA-256 for ES256', async () => {
    for (const [alg, hash, bytes] of [
      ['EdDSA', 'SHA-512', 32],
      ['ES256', 'SHA-256', 16],
    ] as const) {
      const cfg = config(alg, [await generateKey(alg)])
      const token = await mintIdToken(subject('the-access-token'), null, cfg)
      const digest = await crypto.subtle.digest(hash, new TextEncoder().encode('the-access-token'))
      const claims = decode(parts(token)[1])
      expect(decode(parts(token)[0])).toMatchObject({ alg, typ: 'JWT' })
      expect(claims.at_hash).toBe(toBase64Url(digest.slice(0, bytes)))
    }
  })
})

describe('a signature of the wrong length', () => {
  it.each(['ES256', 'EdDSA'] as const)(
    'is refused with %s, never thrown (workerd throws on a short Ed25519 signature)',
    async (alg) => {
      const cfg = config(alg, [await generateKey(alg)])
      const [header, payload] = parts(await mintIdToken(subject(), null, cfg))
      for (const signature of [
        '',
        'AA',
        toBase64Url(new Uint8Array(63)),
        toBase64Url(new Uint8Array(65)),
      ]) {
        const token = `${header}.${payload}.${signature}`
        expect(await readIdTokenHint(token, cfg)).toBeNull()
        expect(await readResourceToken(token, AUDIENCE, cfg)).toBeNull()
      }
    },
  )
})

// ---- RS256 (OIDC_RSA_KEYS)

/** Generated once for the file: an RSA-2048 key pair costs tens of milliseconds. */
const rsaKeys = Promise.all([generateKey('RS256'), generateKey('RS256')])
const rsaConfig = async () => {
  const [newest, older] = await rsaKeys
  return config('ES256', [await generateKey('ES256')], [newest!, older!])
}

describe('RS256 ID tokens', () => {
  it('are signed by the newest RSA key (kid) and verify with jose against the published key set', async () => {
    const cfg = await rsaConfig()
    const [newest] = await rsaKeys
    const token = await mintIdToken(subject('the-access-token'), 'RS256', cfg)
    expect(decode(parts(token)[0])).toEqual({ alg: 'RS256', typ: 'JWT', kid: newest!.kid })
    // The modulus' length: 256 bytes for RSA-2048.
    expect(atob(parts(token)[2].replace(/-/g, '+').replace(/_/g, '/'))).toHaveLength(256)
    const jwks = createLocalJWKSet({ keys: await publicSigningKeys(cfg) })
    const { payload } = await jwtVerify(token, jwks, {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['RS256'],
      typ: 'JWT',
    })
    expect(payload).toMatchObject({ sub: 'user-1', nonce: 'n', amr: ['pwd'] })
    // at_hash: the left half of SHA-256, as for ES256.
    const digest = await crypto.subtle.digest(
      'SHA-256',
      new TextEncoder().encode('the-access-token'),
    )
    expect(payload.at_hash).toBe(toBase64Url(digest.slice(0, 16)))
  })

  it('are ES256 for a client registered before the choice (null) or for ES256, with RSA keys set', async () => {
    const cfg = await rsaConfig()
    for (const alg of [null, 'ES256'] as const) {
      expect(decode(parts(await mintIdToken(subject(), alg, cfg))[0]).alg).toBe('ES256')
    }
  })

  it('are never signed with another algorithm than the client registered: a 503 naming the setting', async () => {
    const withoutRsa = config('ES256', [await generateKey('ES256')])
    const err = await failure(mintIdToken(subject(), 'RS256', withoutRsa))
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ code: 'authorization_server_unavailable', status: 503 })
    expect((err as ApiError).detail).toContain('OIDC_RSA_KEYS')
    // A client promised EdDSA while the ring is now ES256: refused the same way.
    expect(await failure(idTokenRing('EdDSA', await rsaConfig()))).toMatchObject({
      code: 'authorization_server_unavailable',
    })
  })

  it('fail closed with a ConfigError naming OIDC_RSA_KEYS when the set is malformed', async () => {
    const cfg = { ...(await rsaConfig()), idTokenRsaKeys: '{"keys":[]}' }
    expect(await failure(mintIdToken(subject(), 'RS256', cfg))).toMatchObject({
      name: 'ConfigError',
      variable: 'OIDC_RSA_KEYS',
    })
    expect(await failure(publicSigningKeys(cfg))).toMatchObject({ variable: 'OIDC_RSA_KEYS' })
  })
})

describe('idTokenAlgs (discovery, registration)', () => {
  it('lists RS256 first only when OIDC_RSA_KEYS is set, then the ring; nothing with HS256', async () => {
    expect(idTokenAlgs(await rsaConfig())).toEqual(['RS256', 'ES256'])
    expect(idTokenAlgs(config('EdDSA', [await generateKey('EdDSA')]))).toEqual(['EdDSA'])
    expect(idTokenAlgs(unitConfig({ alg: 'HS256', secret: 'k'.repeat(64) }))).toEqual([])
  })
})

describe('an RS256 hint', () => {
  it('is read, expired too, beside ES256 hints; and refused once OIDC_RSA_KEYS is unset', async () => {
    const cfg = await rsaConfig()
    const clock = freezeTime()
    const rs = await mintIdToken(subject(), 'RS256', cfg)
    const es = await mintIdToken(subject(), 'ES256', cfg)
    clock.advance(90 * 24 * 3600 * 1000)
    for (const hint of [rs, es]) {
      expect(await readIdTokenHint(hint, cfg)).toMatchObject({ sub: 'user-1', clientId: AUDIENCE })
    }
    clock.restore()
    expect(await readIdTokenHint(rs, { ...cfg, idTokenRsaKeys: null })).toBeNull()
    // Signed by the older key, still in the set: read (rotation).
    const [newest, older] = await rsaKeys
    const rotated = { ...cfg, idTokenRsaKeys: rsaKeySet([older!]) }
    expect(await readIdTokenHint(rs, rotated)).toBeNull()
    const byOlder = await mintIdToken(subject(), 'RS256', rotated)
    expect(await readIdTokenHint(byOlder, cfg)).not.toBeNull()
    void newest
  })

  it('refuses a changed header, payload or signature, a wrong-length signature, and a foreign RSA key', async () => {
    const cfg = await rsaConfig()
    const token = await mintIdToken(subject(), 'RS256', cfg)
    const [h, p, s] = parts(token)
    const header = decode(h)
    const stranger = await generateKey('RS256')
    const foreign = await mintIdToken(subject(), 'RS256', {
      ...cfg,
      idTokenRsaKeys: rsaKeySet([{ ...stranger, kid: header.kid as string }]),
    })
    for (const forged of [
      `${encode({ ...header, alg: 'none' })}.${p}.`,
      // The RSA signature under another alg: each ring holds its header to its own alg.
      `${encode({ ...header, alg: 'ES256' })}.${p}.${s}`,
      `${encode({ ...header, alg: 'RS512' })}.${p}.${s}`,
      `${encode({ ...header, alg: 'PS256' })}.${p}.${s}`,
      `${encode({ ...header, typ: 'at+jwt' })}.${p}.${s}`,
      `${encode({ ...header, kid: 'other' })}.${p}.${s}`,
      `${h}.${encode({ ...decode(p), sub: 'user-2' })}.${s}`,
      `${h}.${p}.${s.slice(0, -4)}AAAA`,
      `${h}.${p}.`,
      `${h}.${p}.${toBase64Url(new Uint8Array(64))}`,
      `${h}.${p}.${toBase64Url(new Uint8Array(255))}`,
      `${h}.${p}.${toBase64Url(new Uint8Array(257))}`,
      `${h}.${p}.${toBase64Url(new Uint8Array(256))}`,
      foreign,
    ]) {
      expect(await readIdTokenHint(forged, cfg)).toBeNull()
    }
  })
})

describe('an RS256 token as an access token', () => {
  it("is refused by verifyAccessToken with a valid first-party shape, under the RSA kid or the ring's", async () => {
    const cfg = await rsaConfig()
    const [newest] = await rsaKeys
    const user = { id: 'user-1', username: 'alice', sessionId: 's', amr: ['pwd' as const] }
    const claims = decodeJwt((await mintAccessToken(user, cfg)).token)
    expect(await verifyAccessToken((await mintAccessToken(user, cfg)).token, cfg)).toEqual(user)
    const ringKid = (
      JSON.parse((cfg.signing as { source: string }).source) as {
        keys: PrivateJwk[]
      }
    ).keys[0]!.kid
    for (const kid of [newest!.kid, ringKid]) {
      const token = await sign(claims, { ...newest!, kid, alg: 'RS256' }, 'RS256')
      expect(await failure(verifyAccessToken(token, cfg))).toMatchObject({ code: 'invalid_token' })
    }
  })

  it('is refused by readResourceToken: an at+jwt signed with the RSA key', async () => {
    const cfg = await rsaConfig()
    const now = Math.floor(Date.now() / 1000)
    const token = await signJws(await rsaKeyRing(cfg.idTokenRsaKeys!), 'at+jwt', {
      iss: ISSUER,
      sub: 'user-1',
      aud: AUDIENCE,
      client_id: 'c',
      scope: 'openid',
      iat: now,
      exp: now + 60,
    })
    expect(await readResourceToken(token, AUDIENCE, cfg)).toBeNull()
    // …whereas the same claims under the ring's key are a resource token (the refusal is the alg).
    const ring = await mintResourceToken(
      { ...subject(), resource: AUDIENCE, scope: 'openid', ttl: 60 },
      cfg,
    )
    expect(await readResourceToken(ring.token, AUDIENCE, cfg)).not.toBeNull()
  })
})
