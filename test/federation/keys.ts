// Test keys as an operator pastes them: a fresh P-256 private key in PKCS #8 PEM (Apple's .p8);
// and a provider's ID-token signing keys, with a signer of compact JWS.
import type { IdTokenAlg } from '../../src/federation/id-token'

/** A new ES256 key pair: the private key as PEM, and the public key to check signatures with. */
export async function p256Pem(): Promise<{ pem: string; publicKey: CryptoKey }> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const der = new Uint8Array(
    (await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer,
  )
  const base64 = btoa(String.fromCharCode(...der)).replace(/(.{64})/g, '$1\n')
  return {
    pem: `-----BEGIN PRIVATE KEY-----\n${base64}\n-----END PRIVATE KEY-----\n`,
    publicKey: pair.publicKey,
  }
}

/** base64url without padding, as JWS uses it. */
export const b64 = (bytes: ArrayBuffer | Uint8Array): string => {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  let binary = ''
  for (const byte of view) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}
export const b64json = (value: unknown) => b64(new TextEncoder().encode(JSON.stringify(value)))

/** A provider's signing key: the private half, and the public JWK as its JWKS publishes it. */
export type Signer = { alg: IdTokenAlg; kid: string; privateKey: CryptoKey; jwk: JsonWebKey }

export const SIGN_PARAMS: Record<IdTokenAlg, string | SubtleCryptoSignAlgorithm> = {
  RS256: 'RSASSA-PKCS1-v1_5',
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  EdDSA: 'Ed25519',
}

/** A fresh signing key of `alg`, published under `kid`. */
export async function signer(alg: IdTokenAlg, kid = `${alg}-key`): Promise<Signer> {
  const params =
    alg === 'RS256'
      ? {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        }
      : alg === 'ES256'
        ? { name: 'ECDSA', namedCurve: 'P-256' }
        : { name: 'Ed25519' }
  const pair = (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair
  const exported = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey
  // As a provider's JWKS publishes it.
  const { key_ops: _ops, ext: _ext, ...jwk } = exported
  return {
    alg,
    kid,
    privateKey: pair.privateKey,
    jwk: { ...jwk, kid, alg, use: 'sig' } as JsonWebKey,
  }
}

export async function signRaw(
  key: CryptoKey,
  params: string | SubtleCryptoSignAlgorithm,
  input: string,
) {
  return new Uint8Array(await crypto.subtle.sign(params, key, new TextEncoder().encode(input)))
}

/** A compact JWS of `payload`, signed by `by`; `header` overrides its header. */
export async function signJwt(
  payload: Record<string, unknown>,
  by: Signer,
  header: Record<string, unknown> = {},
): Promise<string> {
  const input = `${b64json({ alg: by.alg, kid: by.kid, typ: 'JWT', ...header })}.${b64json(payload)}`
  return `${input}.${b64(await signRaw(by.privateKey, SIGN_PARAMS[by.alg], input))}`
}
