// Fresh private signing keys as JWT_PRIVATE_KEYS (ES256, EdDSA) and OIDC_RSA_KEYS (RS256) hold
// them (a JWK with a random kid), for the unit tests of the code that signs and verifies with them.
import type { PrivateJwk } from '../../src/auth/signing-keys'

const PARAMS = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  EdDSA: { name: 'Ed25519' },
  RS256: {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
} as const

/** A private JWK; RS256 keys are 2048-bit unless `modulusLength` says otherwise. */
export async function generateKey(
  alg: 'ES256' | 'EdDSA' | 'RS256',
  modulusLength?: number,
): Promise<PrivateJwk> {
  const params = alg === 'RS256' && modulusLength ? { ...PARAMS.RS256, modulusLength } : PARAMS[alg]
  const pair = (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair
  const jwk = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JsonWebKey
  return { ...jwk, kid: crypto.randomUUID() }
}

/** OIDC_RSA_KEYS' value for these keys (newest first). */
export const rsaKeySet = (keys: PrivateJwk[]): string => JSON.stringify({ keys })
