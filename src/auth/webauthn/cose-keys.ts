// Credential public keys: COSE_Key maps (RFC 9053) imported into Web Crypto as JWK, and the
// signatures made with them. Only the algorithms registration offers, each on its one key type:
// ES256 on P-256, EdDSA on Ed25519, RS256. Anything else is refused, and so is a key whose type
// or curve does not go with its alg (no alg is taken as a hint for another's hash), and an Ed25519
// key or signature that strict verification refuses (ed25519.ts). Both ceremonies import the key
// here, so a registered key is checked again at every sign-in.
import { toBase64Url } from '../encoding'
import { type CborMap, decodeCbor, isBytes, isCborMap } from './cbor'
import { derToP256Signature } from './der'
import { hasCanonicalScalar, isStrictEd25519PublicKey } from './ed25519'
import { WebAuthnError } from './errors'

/** COSE algorithm identifiers (IANA), in the order registration offers them. */
export const COSE_ALGORITHMS = { EdDSA: -8, ES256: -7, RS256: -257 } as const

export type CoseAlgorithm = (typeof COSE_ALGORITHMS)[keyof typeof COSE_ALGORITHMS]

export type CredentialKey = { alg: CoseAlgorithm; key: CryptoKey }

/** RSA moduli authenticators use are 2048 bits; shorter is weak, longer than 4096 unheard of. */
const RSA_MODULUS_MIN_BYTES = 256
const RSA_MODULUS_MAX_BYTES = 512

// COSE_Key labels: common (kty 1, alg 3), then per key type (-1 crv or n, -2 x or e, -3 y).
const KTY = 1
const ALG = 3

type Scheme = {
  /** The key's JWK members, or null when the COSE map is not a key for this algorithm. */
  jwk: (cose: CborMap) => JsonWebKey | null
  importAs: Parameters<typeof crypto.subtle.importKey>[2]
  verifyAs: Parameters<typeof crypto.subtle.verify>[0]
}

const SCHEMES: Record<CoseAlgorithm, Scheme> = {
  // EC2 (kty 2) on P-256 (crv 1): x and y, 32 bytes each (a compressed point is refused).
  [COSE_ALGORITHMS.ES256]: {
    jwk: (cose) => {
      const [x, y] = [cose.get(-2), cose.get(-3)]
      return cose.get(KTY) === 2 && cose.get(-1) === 1 && isBytes(x, 32) && isBytes(y, 32)
        ? { kty: 'EC', crv: 'P-256', x: toBase64Url(x), y: toBase64Url(y) }
        : null
    },
    importAs: { name: 'ECDSA', namedCurve: 'P-256' },
    verifyAs: { name: 'ECDSA', hash: 'SHA-256' },
  },
  // OKP (kty 1) on Ed25519 (crv 6): x, 32 bytes, canonical and not of small order (Web Crypto
  // imports those, and then verifies signatures forged without a private key).
  [COSE_ALGORITHMS.EdDSA]: {
    jwk: (cose) => {
      const x = cose.get(-2)
      return cose.get(KTY) === 1 &&
        cose.get(-1) === 6 &&
        isBytes(x, 32) &&
        isStrictEd25519PublicKey(x)
        ? { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(x) }
        : null
    },
    importAs: { name: 'Ed25519' },
    verifyAs: { name: 'Ed25519' },
  },
  // RSA (kty 3): n and e, unsigned big-endian; n without a leading zero (RFC 7518 §6.3.1.1).
  [COSE_ALGORITHMS.RS256]: {
    jwk: (cose) => {
      const [n, e] = [cose.get(-1), cose.get(-2)]
      const modulus =
        isBytes(n) &&
        n[0] !== 0 &&
        n.length >= RSA_MODULUS_MIN_BYTES &&
        n.length <= RSA_MODULUS_MAX_BYTES
      return cose.get(KTY) === 3 && modulus && isBytes(e) && e.length > 0
        ? { kty: 'RSA', n: toBase64Url(n), e: toBase64Url(e) }
        : null
    },
    importAs: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    verifyAs: { name: 'RSASSA-PKCS1-v1_5' },
  },
}

const isOffered = (alg: unknown): alg is CoseAlgorithm =>
  Object.values(COSE_ALGORITHMS).includes(alg as CoseAlgorithm)

/** The key a COSE_Key encodes (exactly one CBOR map), ready to verify; refuses any other. */
export async function importCoseKey(bytes: Uint8Array): Promise<CredentialKey> {
  let cose: unknown
  try {
    cose = decodeCbor(bytes)
  } catch {
    throw new WebAuthnError('public_key')
  }
  const alg = isCborMap(cose) ? cose.get(ALG) : undefined
  if (!isCborMap(cose) || !isOffered(alg)) throw new WebAuthnError('public_key')
  const jwk = SCHEMES[alg].jwk(cose)
  if (!jwk) throw new WebAuthnError('public_key')
  try {
    const key = await crypto.subtle.importKey('jwk', jwk, SCHEMES[alg].importAs, false, ['verify'])
    return { alg, key }
  } catch {
    // Not a point on the curve, say.
    throw new WebAuthnError('public_key')
  }
}

/**
 * Whether `signature` (DER for ES256, as WebAuthn sends it) signs `data` under `key`. An Ed25519
 * signature whose S is not below L is refused here too, not left to the platform's choice.
 */
export async function verifySignature(
  { alg, key }: CredentialKey,
  signature: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  const raw =
    alg === COSE_ALGORITHMS.ES256
      ? derToP256Signature(signature)
      : alg === COSE_ALGORITHMS.EdDSA && !hasCanonicalScalar(signature)
        ? null
        : signature
  if (!raw) return false
  try {
    return await crypto.subtle.verify(SCHEMES[alg].verifyAs, key, raw, data)
  } catch {
    return false
  }
}
