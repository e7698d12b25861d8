// Test signing keys and token minting with Web Crypto: any header, any claims, any signature,
// so each test can build exactly the token it means to refuse.
import { encodeBase64url } from '../jws'

export type SigningKey = {
  alg: 'ES256' | 'EdDSA'
  kid: string
  privateKey: CryptoKey
  /** The public JWK as an issuer publishes it. */
  publicJwk: Record<string, unknown>
}

export async function generateSigningKey(
  alg: 'ES256' | 'EdDSA' = 'ES256',
  kid = `key-${crypto.randomUUID()}`,
): Promise<SigningKey> {
  const params = alg === 'ES256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'Ed25519' }
  const pair = (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair
  const { kty, crv, x, y } = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey
  return {
    alg,
    kid,
    privateKey: pair.privateKey,
    publicJwk: { kty, crv, x, ...(y ? { y } : {}), kid, alg, use: 'sig' },
  }
}

const json = (value: unknown) => encodeBase64url(new TextEncoder().encode(JSON.stringify(value)))

/** Signs `header.payload` with `key` (the header is taken as given: no defaults added). */
export async function signJws(
  key: SigningKey,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  const input = `${json(header)}.${json(payload)}`
  const params = key.alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' }
  const signature = await crypto.subtle.sign(
    params,
    key.privateKey,
    new TextEncoder().encode(input),
  )
  return `${input}.${encodeBase64url(new Uint8Array(signature))}`
}

/** A well-formed RFC 9068 access token's claims, `overrides` applied (undefined removes one). */
export function accessClaims(
  issuer: string,
  resource: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  const claims: Record<string, unknown> = {
    iss: issuer,
    sub: 'user-1',
    aud: resource,
    client_id: 'client-1',
    scope: 'notes:read',
    jti: crypto.randomUUID(),
    iat: now,
    exp: now + 300,
    auth_time: now - 60,
    ...overrides,
  }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
  return claims
}

/** An RFC 9068 access token signed by `key`. */
export function mintAccessToken(
  key: SigningKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return signJws(key, { alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header }, claims)
}
