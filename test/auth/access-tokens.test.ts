import { decodeJwt, decodeProtectedHeader } from 'jose'
import { sign } from 'hono/jwt'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  ACCESS_TOKEN_MAX_LENGTH,
  mintAccessToken,
  verifyAccessToken,
} from '../../src/auth/access-tokens'
import type { AuthUser, Config } from '../../src/env'
import { ApiError } from '../../src/errors'
import { freezeTime, unitConfig } from '../helpers'

// These cases use HS256, where an attacker's forgeries are easiest to build; the asymmetric
// algorithms share the same verify path (see signing-keys.test.ts).
const SECRET = 'a'.repeat(64)
const cfg: Config = unitConfig({ alg: 'HS256', secret: SECRET })
const user: AuthUser = { id: 'user-1', username: 'alice', sessionId: 'session-1', amr: ['pwd'] }

const b64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

function validClaims(overrides: Record<string, unknown> = {}) {
  const iat = Math.floor(Date.now() / 1000)
  return {
    sub: user.id,
    username: user.username,
    sid: user.sessionId,
    jti: 'jti-1',
    iat,
    exp: iat + 20,
    iss: cfg.issuer,
    aud: cfg.audience,
    token_use: 'access',
    ...overrides,
  }
}

/** Asserts a 401 invalid_token whose message does not carry the token. */
async function expectRejected(token: string) {
  const err = await verifyAccessToken(token, cfg).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(ApiError)
  expect(err).toMatchObject({ status: 401, code: 'invalid_token' })
  if (token.length >= 20) expect(String((err as Error).message)).not.toContain(token.slice(0, 20))
}

describe('access tokens', () => {
  afterEach(() => freezeTime().restore())

  it('round-trip with every required claim', async () => {
    const { token, expiresIn } = await mintAccessToken(user, cfg)
    expect(expiresIn).toBe(20)
    expect(await verifyAccessToken(token, cfg)).toEqual(user)
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' })
    const payload = decodeJwt(token) as { exp: number; iat: number; jti: string }
    expect(payload).toMatchObject({
      sub: 'user-1',
      username: 'alice',
      sid: 'session-1',
      iss: 'edge-auth',
      aud: 'edge-auth',
      token_use: 'access',
    })
    expect(payload.exp - payload.iat).toBe(20)
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('expire after exactly ACCESS_TOKEN_TTL seconds', async () => {
    const clock = freezeTime(Date.UTC(2026, 0, 1, 12, 0, 0))
    const { token } = await mintAccessToken(user, cfg)
    clock.advance(19_999)
    expect(await verifyAccessToken(token, cfg)).toEqual(user)
    clock.advance(1)
    const err = await verifyAccessToken(token, cfg).catch((e: unknown) => e)
    expect(err).toMatchObject({
      status: 401,
      code: 'invalid_token',
      detail: 'The access token has expired',
    })
  })

  it('reject a token with no exp, which hono/jwt alone would accept', async () => {
    const { exp: _exp, ...claims } = validClaims()
    await expectRejected(await sign(claims, SECRET, 'HS256'))
  })

  it('reject a token that is not marked as an access token', async () => {
    await expectRejected(await sign(validClaims({ token_use: 'refresh' }), SECRET))
    const { token_use: _use, ...unmarked } = validClaims()
    await expectRejected(await sign(unmarked, SECRET))
  })

  it('reject a wrong issuer or audience', async () => {
    await expectRejected(await sign(validClaims({ iss: 'someone-else' }), SECRET))
    await expectRejected(await sign(validClaims({ aud: 'another-api' }), SECRET))
    const { iss: _iss, ...noIssuer } = validClaims()
    await expectRejected(await sign(noIssuer, SECRET))
  })

  it('reject a token signed with another secret', async () => {
    await expectRejected(await sign(validClaims(), 'c'.repeat(64)))
  })

  it('reject a tampered payload', async () => {
    const [header, , signature] = (await mintAccessToken(user, cfg)).token.split('.')
    await expectRejected(`${header}.${b64url(validClaims({ sub: 'admin' }))}.${signature}`)
  })

  it('reject a stripped signature', async () => {
    const [header, payload] = (await mintAccessToken(user, cfg)).token.split('.')
    await expectRejected(`${header}.${payload}.`)
    await expectRejected(`${header}.${payload}`)
  })

  it('reject alg none', async () => {
    for (const alg of ['none', 'None']) {
      await expectRejected(`${b64url({ alg, typ: 'JWT' })}.${b64url(validClaims())}.`)
    }
  })

  it('reject nbf in the future', async () => {
    const later = Math.floor(Date.now() / 1000) + 60
    await expectRejected(await sign(validClaims({ nbf: later }), SECRET))
    expect(
      await verifyAccessToken(await sign(validClaims({ nbf: later - 60 }), SECRET), cfg),
    ).toEqual(user)
  })

  it('reject an algorithm other than HS256, even with the right key', async () => {
    for (const alg of ['HS384', 'HS512'] as const) {
      await expectRejected(await sign(validClaims(), SECRET, alg))
    }
  })

  it('reject a crit header', async () => {
    const body = `${b64url({ alg: 'HS256', typ: 'JWT', crit: ['exp'] })}.${b64url(validClaims())}`
    const key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(SECRET),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    )
    const signature = new Uint8Array(
      await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(body)),
    )
    const token = `${body}.${btoa(String.fromCharCode(...signature))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')}`
    await expectRejected(token)
  })

  it('reject non-canonical base64url spellings of a valid token', async () => {
    const { token } = await mintAccessToken(user, cfg)
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = token.at(-1)!
    // Same decoded bytes: the final character of a 32-byte signature carries 2 unused bits.
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!
    const spellings = [`${token.slice(0, -1)}${sibling}`, `${token}=`, token.replace('.', '=.')]
    for (const spelling of spellings) await expectRejected(spelling)
    expect(await verifyAccessToken(token, cfg)).toEqual(user)
  })

  it('tolerate JWT_LEEWAY seconds of skew on exp and nbf, and no more', async () => {
    const clock = freezeTime(Date.UTC(2026, 0, 1, 12, 0, 0))
    const lenient = { ...cfg, jwtLeeway: 5 }
    const { token } = await mintAccessToken(user, lenient)
    clock.advance(24_999)
    expect(await verifyAccessToken(token, lenient)).toEqual(user)
    clock.advance(1)
    await expect(verifyAccessToken(token, lenient)).rejects.toMatchObject({ code: 'invalid_token' })
    const soon = Math.floor(Date.now() / 1000) + 4
    expect(
      await verifyAccessToken(await sign(validClaims({ nbf: soon }), SECRET), lenient),
    ).toEqual(user)
  })

  it('accept an iat a moment in the future (clock skew between machines)', async () => {
    const iat = Math.floor(Date.now() / 1000) + 1
    const token = await sign(validClaims({ iat, exp: iat + 20 }), SECRET)
    expect(await verifyAccessToken(token, cfg)).toEqual(user)
  })

  it('reject malformed time claims', async () => {
    await expectRejected(await sign(validClaims({ exp: '9999999999' }), SECRET))
    await expectRejected(await sign(validClaims({ iat: null }), SECRET))
  })

  it('reject tokens over 8 KiB before any crypto runs', async () => {
    const big = await sign(validClaims({ pad: 'x'.repeat(ACCESS_TOKEN_MAX_LENGTH) }), SECRET)
    const verifySpy = vi.spyOn(crypto.subtle, 'verify')
    const importSpy = vi.spyOn(crypto.subtle, 'importKey')
    try {
      await expectRejected(big)
      expect(verifySpy).not.toHaveBeenCalled()
      expect(importSpy).not.toHaveBeenCalled()
    } finally {
      verifySpy.mockRestore()
      importSpy.mockRestore()
    }
  })

  it('reject garbage', async () => {
    for (const junk of ['', 'a', 'a.b', 'a.b.c', '...', 'eyJ.eyJ.sig']) await expectRejected(junk)
  })
})
