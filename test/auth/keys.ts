// Fresh private signing keys as JWT_PRIVATE_KEYS holds them (a JWK with a random kid), for the
// unit tests of the code that signs and verifies with them.
import type { PrivateJwk } from '../../src/auth/signing-keys'

const PARAMS = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  EdDSA: { name: 'Ed25519' },
} as const

export async function generateKey(alg: 'ES256' | 'EdDSA'): Promise<PrivateJwk> {
  const pair = (await crypto.subtle.generateKey(PARAMS[alg], true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const jwk = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JsonWebKey
  return { ...jwk, kid: crypto.randomUUID() }
}
