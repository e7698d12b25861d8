// Apple's client secret: not a configured string but an ES256 JWT the worker signs with the
// team's Sign in with Apple key (PROVIDER_<ID>_PRIVATE_KEY), cached per isolate and renewed a
// day before it expires. Apple refuses one that lives longer than six months; a static secret
// pasted once is the classic "Apple sign-in broke after six months" outage.
import { nowSeconds } from '../clock'
import { type OidcProvider, ProviderSettingError, providerSecretName } from './providers'

/** A week: long enough to mint rarely, far inside Apple's six-month ceiling. */
export const APPLE_SECRET_TTL_SECONDS = 7 * 24 * 3600
/** Renewed this long before it expires, so no request ever sends one about to lapse. */
export const APPLE_SECRET_RENEW_SECONDS = 24 * 3600
const APPLE_AUDIENCE = 'https://appleid.apple.com'

type Minted = { jwt: string; expiresAt: number; keySource: string }
// Per isolate, per provider id; the key text is compared so a rotated key mints a new secret.
const minted = new Map<string, Minted>()
const keys = new Map<string, Promise<CryptoKey>>()

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '')

const encodeJson = (value: unknown) => base64url(new TextEncoder().encode(JSON.stringify(value)))

function importKey(provider: OidcProvider, pem: string): Promise<CryptoKey> {
  const bad = () =>
    new ProviderSettingError(
      provider.id,
      providerSecretName(provider.id, 'PRIVATE_KEY'),
      'is not a P-256 private key in PKCS #8 PEM (the .p8 file Apple issued)',
    )
  let der: Uint8Array
  try {
    const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '')
    der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0))
  } catch {
    return Promise.reject(bad())
  }
  return crypto.subtle
    .importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
    .catch(() => {
      throw bad()
    })
}

/**
 * The client secret to send to Apple's token endpoint for `provider` (an `apple` preset): a JWT
 * `{alg: ES256, kid}` with `iss` the team id, `sub` the client id, `aud` Apple. Throws
 * ProviderSettingError naming PROVIDER_<ID>_PRIVATE_KEY when the key does not import.
 */
export async function appleClientSecret(provider: OidcProvider): Promise<string> {
  const auth = provider.clientAuth
  if (auth.method !== 'apple_jwt') throw new TypeError(`${provider.id} is not an Apple provider`)
  const now = nowSeconds()
  const cached = minted.get(provider.id)
  if (
    cached &&
    cached.keySource === auth.privateKeyPem &&
    cached.expiresAt - APPLE_SECRET_RENEW_SECONDS > now
  ) {
    return cached.jwt
  }
  const cacheKey = `${provider.id}\n${auth.privateKeyPem}`
  let key = keys.get(cacheKey)
  if (!key) {
    key = importKey(provider, auth.privateKeyPem)
    keys.set(cacheKey, key)
    // A key that fails to import is not remembered as a failure forever: a fixed secret works
    // on the next isolate anyway, and this keeps the map from holding rejected promises.
    key.catch(() => keys.delete(cacheKey))
  }
  const signingKey = await key
  const expiresAt = now + APPLE_SECRET_TTL_SECONDS
  const input = `${encodeJson({ alg: 'ES256', kid: auth.keyId })}.${encodeJson({
    iss: auth.teamId,
    iat: now,
    exp: expiresAt,
    aud: APPLE_AUDIENCE,
    sub: provider.clientId,
  })}`
  // WebCrypto's ECDSA signature is r || s, exactly JWS's ES256 form (RFC 7518 §3.4).
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    signingKey,
    new TextEncoder().encode(input),
  )
  const jwt = `${input}.${base64url(new Uint8Array(signature))}`
  minted.set(provider.id, { jwt, expiresAt, keySource: auth.privateKeyPem })
  return jwt
}
