// Apple's client secret: an ES256 JWT minted from the team's key, verifiable with its public
// half, cached, renewed before it lapses, never longer-lived than Apple allows.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  APPLE_SECRET_RENEW_SECONDS,
  APPLE_SECRET_TTL_SECONDS,
  appleClientSecret,
} from '../../src/federation/apple-secret'
import {
  type OidcProvider,
  ProviderSettingError,
  readProviders,
} from '../../src/federation/providers'
import { freezeTime } from '../helpers'
import { p256Pem } from './keys'

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

/** Apple allows a client secret to live at most six months (15,777,000 seconds). */
const APPLE_MAX_SECONDS = 15_777_000

function appleProvider(pem: string, id = `apple-${crypto.randomUUID().slice(0, 8)}`) {
  const read = readProviders(
    JSON.stringify({
      [id]: {
        type: 'apple',
        clientId: 'com.example.web',
        teamId: 'TEAM123456',
        keyId: 'KEY1234567',
      },
    }),
    (name) => (name.endsWith('_PRIVATE_KEY') ? pem : undefined),
  )
  if ('invalid' in read) throw new Error(read.invalid)
  const found = read.providers.get(id)
  if (!found || found instanceof ProviderSettingError) throw new Error(String(found))
  return found as OidcProvider
}

const fromBase64Url = (text: string) =>
  Uint8Array.from(atob(text.replaceAll('-', '+').replaceAll('_', '/')), (c) => c.charCodeAt(0))
const decodePart = (text: string) =>
  JSON.parse(new TextDecoder().decode(fromBase64Url(text))) as Record<string, unknown>

describe('appleClientSecret', () => {
  it('is an ES256 JWT for Apple that the public key verifies, living under six months', async () => {
    const clock = freezeTime(Date.UTC(2026, 11, 6))
    const { pem, publicKey } = await p256Pem()
    const jwt = await appleClientSecret(appleProvider(pem))
    const [header, claims, signature] = jwt.split('.') as [string, string, string]
    expect(decodePart(header)).toEqual({ alg: 'ES256', kid: 'KEY1234567' })
    const now = Math.floor(Date.now() / 1000)
    expect(decodePart(claims)).toEqual({
      iss: 'TEAM123456',
      iat: now,
      exp: now + APPLE_SECRET_TTL_SECONDS,
      aud: 'https://appleid.apple.com',
      sub: 'com.example.web',
    })
    expect(APPLE_SECRET_TTL_SECONDS).toBeLessThan(APPLE_MAX_SECONDS)
    const valid = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      publicKey,
      fromBase64Url(signature),
      new TextEncoder().encode(`${header}.${claims}`),
    )
    expect(valid).toBe(true)
    clock.restore()
  })

  it('is reused until a day before it expires, then renewed', async () => {
    const clock = freezeTime()
    const { pem } = await p256Pem()
    const provider = appleProvider(pem)
    const first = await appleClientSecret(provider)
    clock.advance((APPLE_SECRET_TTL_SECONDS - APPLE_SECRET_RENEW_SECONDS - 1) * 1000)
    expect(await appleClientSecret(provider)).toBe(first)
    clock.advance(1000)
    const renewed = await appleClientSecret(provider)
    expect(renewed).not.toBe(first)
    expect(decodePart(renewed.split('.')[1]!).exp).toBeGreaterThan(
      decodePart(first.split('.')[1]!).exp as number,
    )
  })

  it('mints with the new key once the key is rotated', async () => {
    const id = `apple-${crypto.randomUUID().slice(0, 8)}`
    const before = await appleClientSecret(appleProvider((await p256Pem()).pem, id))
    const rotated = await p256Pem()
    const after = await appleClientSecret(appleProvider(rotated.pem, id))
    expect(after).not.toBe(before)
    const [header, claims, signature] = after.split('.') as [string, string, string]
    const valid = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      rotated.publicKey,
      fromBase64Url(signature),
      new TextEncoder().encode(`${header}.${claims}`),
    )
    expect(valid).toBe(true)
  })

  it('names PROVIDER_<ID>_PRIVATE_KEY, and never its text, when the key does not import', async () => {
    const pem = `-----BEGIN PRIVATE KEY-----\n${btoa('not a key at all, but base64')}\n-----END PRIVATE KEY-----`
    const provider = appleProvider(pem, 'apple-bad')
    const err = await appleClientSecret(provider).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ProviderSettingError)
    expect(err).toMatchObject({ variable: 'PROVIDER_APPLE_BAD_PRIVATE_KEY' })
    expect((err as Error).message).not.toContain(btoa('not a key'))
  })

  it('refuses a provider that is not Apple', async () => {
    const read = readProviders(
      JSON.stringify({ g: { type: 'google', clientId: 'g' } }),
      () => 'secret',
    )
    if ('invalid' in read) throw new Error(read.invalid)
    await expect(appleClientSecret(read.providers.get('g') as OidcProvider)).rejects.toThrow(
      TypeError,
    )
  })
})
