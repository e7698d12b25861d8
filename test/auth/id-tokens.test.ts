// ID tokens and their reading as an id_token_hint: the header pinned (typ JWT, the ring's alg, a
// known kid), and no other token of this service passing as one, nor an ID token as either
// access token. at_hash follows the signing algorithm's hash (SHA-512 for EdDSA).
import { describe, expect, it } from 'vitest'
import { mintAccessToken, verifyAccessToken } from '../../src/auth/access-tokens'
import { toBase64Url } from '../../src/auth/encoding'
import { mintIdToken, readIdTokenHint } from '../../src/auth/id-tokens'
import { mintResourceToken, readResourceToken } from '../../src/auth/resource-tokens'
import type { PrivateJwk } from '../../src/auth/signing-keys'
import type { Config } from '../../src/env'
import { failure, freezeTime, unitConfig } from '../helpers'
import { generateKey } from './keys'

const ISSUER = 'https://auth.example'
/** The first-party audience: an ID token for a client of that name must still not pass. */
const AUDIENCE = 'edge-auth'

const config = (alg: 'ES256' | 'EdDSA', keys: PrivateJwk[]): Config =>
  unitConfig({ alg, source: JSON.stringify({ keys }) }, { issuer: ISSUER, audience: AUDIENCE })

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
    const token = await mintIdToken(subject(), cfg)
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
    const token = await mintIdToken(subject(), config('ES256', [await generateKey('ES256')]))
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
    const idToken = await mintIdToken(subject(), cfg)
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
      const token = await mintIdToken(subject('the-access-token'), cfg)
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
      const [header, payload] = parts(await mintIdToken(subject(), cfg))
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
