// Strict Ed25519: what workerd's Web Crypto does with small-order and non-canonical keys and with
// S >= L (measured here, not assumed), and the checks the verifier adds because of it.
import { describe, expect, it } from 'vitest'
import { toBase64Url, utf8 } from '../../../src/auth/encoding'
import { verifyAuthentication } from '../../../src/auth/webauthn/authentication'
import { importCoseKey, verifySignature } from '../../../src/auth/webauthn/cose-keys'
import { hasCanonicalScalar, isStrictEd25519PublicKey } from '../../../src/auth/webauthn/ed25519'
import { WebAuthnError } from '../../../src/auth/webauthn/errors'
import { softAuthenticator } from '../../doubles/authenticator'
import { EXPECTED, ORIGIN, REQUEST, USER_HANDLE } from './differential'
import {
  FORGED_SIGNATURE,
  L,
  NON_CANONICAL_ENCODINGS,
  NON_CANONICAL_SMALL_ORDER_ENCODINGS,
  SMALL_ORDER_ENCODINGS,
  okpCoseKey,
  scalarBytes,
  selfCheck,
} from './ed25519-points'

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
const named = (list: Uint8Array[]) => list.map((bytes) => [hex(bytes), bytes] as const)

/** Every encoding strict verification refuses: small order, or not canonical (each once). */
const REFUSED = [
  ...new Map(
    [
      ...SMALL_ORDER_ENCODINGS,
      ...NON_CANONICAL_SMALL_ORDER_ENCODINGS,
      ...NON_CANONICAL_ENCODINGS,
    ].map((x) => [hex(x), x]),
  ).values(),
]

const platformKey = (x: Uint8Array) =>
  crypto.subtle.importKey(
    'jwk',
    { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(x) },
    'Ed25519',
    false,
    ['verify'],
  )

const platformVerify = (key: CryptoKey, signature: Uint8Array, data: Uint8Array) =>
  crypto.subtle.verify(
    'Ed25519',
    key,
    signature as Uint8Array<ArrayBuffer>,
    data as Uint8Array<ArrayBuffer>,
  )

/** S of a signature as a number, and the signature with S replaced. */
const scalarOf = (signature: Uint8Array) =>
  signature.subarray(32).reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n)
const withScalar = (signature: Uint8Array, s: bigint) => {
  const bent = signature.slice()
  bent.set(scalarBytes(s), 32)
  return bent
}

async function genuine() {
  const keys = (await crypto.subtle.generateKey('Ed25519', true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const raw = new Uint8Array((await crypto.subtle.exportKey('raw', keys.publicKey)) as ArrayBuffer)
  const data = utf8('authenticator data ‖ client data hash')
  const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', keys.privateKey, data))
  return { keys, raw, data, signature }
}

describe('the test points themselves', () => {
  it('are the eight points of order dividing 8, derived from the curve', () => {
    expect(selfCheck()).toBe(true)
    expect(new Set(SMALL_ORDER_ENCODINGS.map(hex)).size).toBe(8)
    // libsodium's blocklist spells the two order-8 y values so (and the identity as 01 00…).
    expect(SMALL_ORDER_ENCODINGS.map(hex)).toEqual(
      expect.arrayContaining([
        '0100000000000000000000000000000000000000000000000000000000000000',
        '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
        'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
      ]),
    )
  })
})

describe("workerd's Web Crypto, as measured (why the verifier checks for itself)", () => {
  it('imports every small-order and non-canonical key', async () => {
    for (const x of REFUSED) await expect(platformKey(x)).resolves.toBeDefined()
  })

  it('verifies R = identity, S = 0 under every small-order key, for some message: a forgery', async () => {
    for (const x of SMALL_ORDER_ENCODINGS) {
      const key = await platformKey(x)
      let forged = 0
      // The identity verifies it for any message; a point of order n for about 1 in n.
      for (let i = 0; i < 64; i++) {
        if (await platformVerify(key, FORGED_SIGNATURE, utf8(`challenge ${i}`))) forged++
      }
      expect(forged, hex(x)).toBeGreaterThan(0)
    }
  })

  it('already refuses S >= L (S + L of a genuine signature)', async () => {
    const { keys, data, signature } = await genuine()
    expect(await platformVerify(keys.publicKey, signature, data)).toBe(true)
    const bent = withScalar(signature, scalarOf(signature) + L)
    expect(await platformVerify(keys.publicKey, bent, data)).toBe(false)
  })
})

describe('isStrictEd25519PublicKey', () => {
  it.each(named(SMALL_ORDER_ENCODINGS))('refuses the small-order point %s', (_, x) => {
    expect(isStrictEd25519PublicKey(x)).toBe(false)
  })

  it.each(named(NON_CANONICAL_SMALL_ORDER_ENCODINGS))(
    'refuses the non-canonical spelling %s of a small-order point',
    (_, x) => {
      expect(isStrictEd25519PublicKey(x)).toBe(false)
    },
  )

  it('refuses every y >= p, whatever the point', () => {
    for (const x of NON_CANONICAL_ENCODINGS) expect(isStrictEd25519PublicKey(x), hex(x)).toBe(false)
  })

  it('refuses a key of another length', async () => {
    const { raw } = await genuine()
    expect(isStrictEd25519PublicKey(raw.slice(0, 31))).toBe(false)
    expect(isStrictEd25519PublicKey(new Uint8Array([...raw, 0]))).toBe(false)
  })

  it('accepts genuine keys', async () => {
    for (let i = 0; i < 50; i++) expect(isStrictEd25519PublicKey((await genuine()).raw)).toBe(true)
  })
})

describe('hasCanonicalScalar', () => {
  it('accepts S < L only, in a 64-byte signature', async () => {
    const { signature } = await genuine()
    expect(hasCanonicalScalar(signature)).toBe(true)
    expect(hasCanonicalScalar(withScalar(signature, L - 1n))).toBe(true)
    expect(hasCanonicalScalar(withScalar(signature, L))).toBe(false)
    expect(hasCanonicalScalar(withScalar(signature, scalarOf(signature) + L))).toBe(false)
    expect(hasCanonicalScalar(withScalar(signature, 2n ** 256n - 1n))).toBe(false)
    expect(hasCanonicalScalar(signature.slice(0, 63))).toBe(false)
    expect(hasCanonicalScalar(new Uint8Array([...signature, 0]))).toBe(false)
  })

  it('makes verifySignature refuse S + L itself', async () => {
    const { raw, data, signature } = await genuine()
    const key = await importCoseKey(okpCoseKey(raw))
    expect(await verifySignature(key, signature as Uint8Array<ArrayBuffer>, data)).toBe(true)
    const bent = withScalar(signature, scalarOf(signature) + L) as Uint8Array<ArrayBuffer>
    expect(await verifySignature(key, bent, data)).toBe(false)
  })
})

describe('importCoseKey (both ceremonies import through it)', () => {
  it.each(named(REFUSED))('refuses the OKP key %s as public_key', async (_, x) => {
    const refusal = await importCoseKey(okpCoseKey(x)).catch((err: unknown) =>
      err instanceof WebAuthnError ? err.reason : err,
    )
    expect(refusal).toBe('public_key')
  })
})

describe('a forged assertion against a small-order key stored before the check', () => {
  it.each(named([...SMALL_ORDER_ENCODINGS, ...NON_CANONICAL_SMALL_ORDER_ENCODINGS]))(
    'is refused as public_key for %s, before any signature is checked',
    async (_, x) => {
      const authenticator = await softAuthenticator({
        origin: ORIGIN,
        alg: 'EdDSA',
        userHandle: USER_HANDLE,
      })
      const response = await authenticator.get(REQUEST)
      const forged = {
        ...response,
        response: { ...response.response, signature: toBase64Url(FORGED_SIGNATURE) },
      }
      const verdict = await verifyAuthentication(forged, {
        ...EXPECTED,
        publicKey: okpCoseKey(x),
        userHandle: utf8('user-1'),
      }).then(
        () => 'accepted',
        (err: unknown) => (err instanceof WebAuthnError ? err.reason : err),
      )
      expect(verdict).toBe('public_key')
    },
  )
})
