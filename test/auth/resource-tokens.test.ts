// RFC 9068 access tokens for a protected resource: the header a resource checks (typ at+jwt, the
// key's kid), the claims (one exact audience), a signature jose verifies against the published
// key set, and no such token at all with HS256, whose key cannot be published.
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { publicSigningKeys, verifyAccessToken } from '../../src/auth/access-tokens'
import { RESOURCE_TOKEN_TYPE, mintResourceToken } from '../../src/auth/resource-tokens'
import { type PrivateJwk } from '../../src/auth/signing-keys'
import type { Config } from '../../src/env'
import { ApiError } from '../../src/errors'
import { freezeTime, unitConfig } from '../helpers'
import { generateKey } from './keys'

const ISSUER = 'https://auth.example'
const RESOURCE = 'https://notes.example/mcp'

const asymmetric = (alg: 'ES256' | 'EdDSA', keys: PrivateJwk[]): Config =>
  unitConfig({ alg, source: JSON.stringify({ keys }) }, { issuer: ISSUER })

const subject = {
  userId: 'user-1',
  clientId: 'client-1',
  resource: RESOURCE,
  scope: 'notes:read notes:write',
  authTime: 1_700_000_000_123,
  amr: ['pwd' as const],
  ttl: 300,
}

let clock: ReturnType<typeof freezeTime> | undefined
afterEach(() => {
  clock?.restore()
  clock = undefined
})

describe.each(['ES256', 'EdDSA'] as const)('%s resource tokens', (alg) => {
  it('carry typ at+jwt and the signing key’s kid in the header', async () => {
    const keys = [await generateKey(alg), await generateKey(alg)]
    const { token, expiresIn } = await mintResourceToken(subject, asymmetric(alg, keys))
    expect(expiresIn).toBe(300)
    expect(decodeProtectedHeader(token)).toEqual({
      alg,
      typ: RESOURCE_TOKEN_TYPE,
      kid: keys[0]!.kid,
    })
    expect(RESOURCE_TOKEN_TYPE).toBe('at+jwt')
  })

  it('carry exactly the RFC 9068 claims, with one audience as a string', async () => {
    clock = freezeTime(1_700_000_100_000)
    const { token } = await mintResourceToken(subject, asymmetric(alg, [await generateKey(alg)]))
    const payload = decodeJwt(token)
    expect(payload).toEqual({
      iss: ISSUER,
      sub: 'user-1',
      aud: RESOURCE,
      client_id: 'client-1',
      scope: 'notes:read notes:write',
      jti: expect.any(String),
      iat: 1_700_000_100,
      exp: 1_700_000_400,
      auth_time: 1_700_000_000,
      amr: ['pwd'],
    })
    // Never an array: a verifier testing membership of a list could be fooled by a second entry.
    expect(typeof payload.aud).toBe('string')
    // No first-party claims that would let it pass as a first-party token.
    expect(payload).not.toHaveProperty('token_use')
    expect(payload).not.toHaveProperty('sid')
    expect(payload).not.toHaveProperty('username')
  })

  it('get a fresh jti each time', async () => {
    const cfg = asymmetric(alg, [await generateKey(alg)])
    const a = decodeJwt((await mintResourceToken(subject, cfg)).token)
    const b = decodeJwt((await mintResourceToken(subject, cfg)).token)
    expect(a.jti).not.toBe(b.jti)
  })

  it('verify with jose against the published JWKS, for their resource and type only', async () => {
    const cfg = asymmetric(alg, [await generateKey(alg)])
    const { token } = await mintResourceToken(subject, cfg)
    const jwks = createLocalJWKSet({ keys: await publicSigningKeys(cfg) })
    const { payload } = await jwtVerify(token, jwks, {
      issuer: ISSUER,
      audience: RESOURCE,
      typ: 'at+jwt',
      algorithms: [alg],
    })
    expect(payload.sub).toBe('user-1')
    // Another resource, or a verifier expecting a plain JWT, refuses it.
    await expect(
      jwtVerify(token, jwks, {
        issuer: ISSUER,
        audience: 'https://calendar.example/mcp',
        algorithms: [alg],
      }),
    ).rejects.toThrow()
    await expect(jwtVerify(token, jwks, { typ: 'JWT', algorithms: [alg] })).rejects.toThrow()
    // Tampered claims fail the signature.
    const [h, , s] = token.split('.')
    const forged = `${h}.${btoa(JSON.stringify({ ...decodeJwt(token), scope: 'notes:admin' }))
      .replace(/=+$/, '')
      .replace(/\+/g, '-')
      .replace(/\//g, '_')}.${s}`
    await expect(jwtVerify(forged, jwks, { algorithms: [alg] })).rejects.toThrow()
  })

  it('are not first-party access tokens', async () => {
    const cfg = asymmetric(alg, [await generateKey(alg)])
    const { token } = await mintResourceToken({ ...subject, resource: cfg.audience }, cfg)
    const err = await verifyAccessToken(token, cfg).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('invalid_token')
  })
})

describe('resource tokens with HS256', () => {
  it('are refused: authorization_server_unavailable, naming the settings', async () => {
    const cfg = unitConfig({ alg: 'HS256', secret: 'a'.repeat(64) }, { issuer: ISSUER })
    const err = await mintResourceToken(subject, cfg).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('authorization_server_unavailable')
    expect((err as ApiError).status).toBe(503)
    expect((err as ApiError).message).toContain('JWT_ALG')
    expect((err as ApiError).message).not.toContain('a'.repeat(32))
  })
})
