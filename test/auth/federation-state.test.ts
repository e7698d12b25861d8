// The sealed state a federated sign-in keeps in the browser: it opens only for the provider it
// was sealed for, unaltered, and the PKCE challenge is RFC 7636's S256.
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  codeChallenge,
  newFederationState,
  openFederationState,
  sealFederationState,
} from '../../src/auth/federation-state'
import { mfaKeys, seal } from '../../src/auth/mfa-keys'

afterEach(() => vi.restoreAllMocks())

const keys = await mfaKeys(env.MFA_ENCRYPTION_KEY)

const state = (link: { userId: string; sessionId: string } | null = null) =>
  newFederationState('/account?tab=security', link, 1_800_000_000_000)

/** The same text with one character changed, still base64url. */
const altered = (sealed: string, at: number) =>
  sealed.slice(0, at) + (sealed[at] === 'A' ? 'B' : 'A') + sealed.slice(at + 1)

describe('federation state', () => {
  it('opens to what was sealed, with and without a link', async () => {
    for (const original of [state(), state({ userId: 'u-1', sessionId: 's-1' })]) {
      const sealed = await sealFederationState(keys, 'acme', original)
      expect(await openFederationState(keys, 'acme', sealed)).toEqual(original)
      // Nothing of it is readable in the cookie.
      for (const secret of [original.state, original.nonce, original.codeVerifier]) {
        expect(sealed).not.toContain(secret)
      }
    }
  })

  it('makes fresh 256-bit values for each sign-in', () => {
    const [a, b] = [state(), state()]
    for (const key of ['state', 'nonce', 'codeVerifier'] as const) {
      expect(a[key]).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(a[key]).not.toBe(b[key])
    }
    expect(new Set([a.state, a.nonce, a.codeVerifier]).size).toBe(3)
  })

  it('does not open at another provider’s callback (mix-up)', async () => {
    const sealed = await sealFederationState(keys, 'acme', state())
    expect(await openFederationState(keys, 'evil', sealed)).toBeNull()
    expect(await openFederationState(keys, 'acme2', sealed)).toBeNull()
  })

  it('does not open when any part is altered, truncated or not ours', async () => {
    const sealed = await sealFederationState(keys, 'acme', state())
    for (const at of [0, 5, 20, Math.floor(sealed.length / 2), sealed.length - 2]) {
      expect(await openFederationState(keys, 'acme', altered(sealed, at)), `at ${at}`).toBeNull()
    }
    expect(await openFederationState(keys, 'acme', sealed.slice(0, -4))).toBeNull()
    expect(await openFederationState(keys, 'acme', '')).toBeNull()
    expect(await openFederationState(keys, 'acme', 'not base64url!')).toBeNull()
    // Sealed by the same key for another purpose (a ceremony token): refused.
    const other = await seal(keys, 'ceremony:acme', new TextEncoder().encode('{}'))
    expect(await openFederationState(keys, 'acme', other)).toBeNull()
  })

  it('refuses an over-long value without decrypting it', async () => {
    const decrypt = vi.spyOn(crypto.subtle, 'decrypt')
    expect(await openFederationState(keys, 'acme', 'A'.repeat(4100))).toBeNull()
    expect(decrypt).not.toHaveBeenCalled()
  })
})

describe('codeChallenge', () => {
  it('is RFC 7636 Appendix B’s S256 example', async () => {
    expect(await codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    )
  })
})
