// Generates private signing keys as a JWK set: ES256 or EdDSA for JWT_PRIVATE_KEYS (access tokens),
// RS256 (RSA-2048) for OIDC_RSA_KEYS (ID tokens). Used by predev (dev keys), the test config, deploy
// and by hand: `node scripts/signing-keys.mjs [ES256|EdDSA|RS256]`.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'

const KEY_TYPES = {
  ES256: ['ec', { namedCurve: 'P-256' }],
  EdDSA: ['ed25519', {}],
  // 2048 bits: the floor the worker accepts, and the cheapest to sign with (~1 ms).
  RS256: ['rsa', { modulusLength: 2048 }],
}

/** One private JWK with a random kid. */
export function generateSigningKey(alg = 'ES256') {
  const type = KEY_TYPES[alg]
  if (!type) throw new Error(`unknown algorithm ${alg}: use ES256, EdDSA or RS256`)
  const { privateKey } = generateKeyPairSync(...type)
  const kid = randomBytes(8).toString('hex')
  return { kid, alg, ...privateKey.export({ format: 'jwk' }) }
}

/** A JWK set of `count` fresh keys, serialised as the secret's value. */
export const generateKeySet = (alg = 'ES256', count = 1) =>
  JSON.stringify({ keys: Array.from({ length: count }, () => generateSigningKey(alg)) })

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(generateKeySet(process.argv[2] ?? 'ES256'))
}
