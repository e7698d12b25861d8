// The check of an OpenID Connect ID token (OIDC Core §3.1.3.7): strict compact-JWS parsing, an
// algorithm allowlist bound to the key's type, the signature by crypto.subtle, then the claims.
// Pure: the key comes from a lookup the caller passes (discovery.ts's providerKey), the time
// from clock.ts. Nothing in the payload is read before the signature has been verified.
import { now } from '../clock'
import { ProviderError } from './discovery'

/** The algorithms an ID token may be signed with. Never `none`, never HS* (a shared secret). */
export const ID_TOKEN_ALGS = ['RS256', 'ES256', 'EdDSA'] as const
export type IdTokenAlg = (typeof ID_TOKEN_ALGS)[number]

/**
 * How far `iat` (and `nbf`) may lie ahead of our clock: the provider's and Cloudflare's clocks
 * differ by a few seconds, not minutes. `exp` gets none: the token was just issued for us and
 * lives minutes; a leeway there would only lengthen a stolen token's life.
 */
export const ID_TOKEN_CLOCK_LEEWAY_SECONDS = 60
/** Larger than any ID token providers issue (a few KiB); a guard against a pasted blob. */
export const ID_TOKEN_MAX_LENGTH = 16 * 1024
/** OIDC Core §2: `sub` is at most 255 ASCII characters. */
export const SUBJECT_MAX_LENGTH = 255
/** RSA keys shorter than this are refused (NIST SP 800-131A; every provider uses 2048 or more). */
const RSA_MIN_MODULUS_BYTES = 256

/** Why an ID token is refused. Stable: callers log and test these, never the token. */
export type IdTokenFailure =
  /** Not three canonical base64url parts, or a header or payload that is not a JSON object. */
  | 'malformed'
  /** `alg` is not RS256, ES256 or EdDSA (`none` and HS256 land here), or `crit` is present. */
  | 'unsupported_alg'
  /** No key for the header's `kid` and `alg`, even after the lookup refetched. */
  | 'unknown_key'
  /** The key found is not of the type `alg` needs, or is unusable (too short, does not import). */
  | 'key_mismatch'
  | 'bad_signature'
  /** `iss` is not the expected issuer (or the tenant template filled with the token's `tid`). */
  | 'wrong_issuer'
  /** `aud` does not name this client, or several audiences without `azp` naming this client. */
  | 'wrong_audience'
  | 'expired'
  /** `iat` or `nbf` lies ahead of our clock by more than the leeway, or `iat` is missing. */
  | 'not_yet_valid'
  /** A nonce was sent and the token does not carry exactly it. */
  | 'wrong_nonce'
  /** `sub` is missing, empty or longer than 255 characters. */
  | 'invalid_subject'
  /** A Google Workspace domain is configured and the token's `hd` is another (or none). */
  | 'wrong_hosted_domain'

/** An ID token was refused. The message names the reason only, never the token or a claim. */
export class IdTokenError extends Error {
  readonly status = 401
  constructor(readonly reason: IdTokenFailure) {
    super(`id token refused: ${reason}`)
    this.name = 'IdTokenError'
  }
}

/**
 * What the token must say. An OidcProvider has these fields, so `{ ...provider, nonce }` works.
 */
export type IdTokenExpectation = {
  /** Compared exactly; with `tenantIssuer`, a template holding `{tenantid}`. */
  issuer: string
  /** Microsoft common/organizations: `iss` must be `issuer` with the token's `tid` filled in. */
  tenantIssuer?: boolean
  /** Other exact spellings of the issuer (Google's `accounts.google.com`). */
  alternateIssuers?: readonly string[]
  /** This client's ids: the first is the one the browser flow uses; others are native apps'. */
  audiences: readonly string[]
  /** When set, the token's `hd` must be exactly this domain (Google Workspace). */
  hostedDomain?: string | null
  /** The nonce sent with the authorization request, or null when none was sent. */
  nonce: string | null
}

/**
 * Finds the verification key for a header; discovery.ts's providerKey fits:
 * `(header) => providerKey(provider, header)`. Resolves null, or rejects with
 * ProviderError('unknown_key'), when no key matches. Other failures (the provider is down) pass
 * through unchanged: they are the provider's, not the token's.
 */
export type KeyLookup = (header: { kid?: string; alg: IdTokenAlg }) => Promise<JsonWebKey | null>

/** The claims a sign-in uses, typed. */
export type IdTokenClaims = {
  /** The token's `iss` as it came (for a tenant template, with the tenant filled in). */
  iss: string
  sub: string
  email: string | null
  /** True only for `true` or Apple's string `"true"`, and only with an `email`. */
  email_verified: boolean
  name: string | null
  /** Microsoft's tenant id. */
  tid: string | null
  /** Google Workspace's hosted domain. */
  hd: string | null
}

const fail = (reason: IdTokenFailure): never => {
  throw new IdTokenError(reason)
}

// federation/ sits below auth/ (test/layers.test.ts), so auth/encoding.ts's helpers are not
// reachable; this is the same strict decoder.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * Canonical, unpadded, non-empty base64url: one byte string has one spelling, so a token cannot
 * be re-spelled (padding, stray low bits in the last character) and still verify.
 */
function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (text === '' || !/^[A-Za-z0-9_-]+$/.test(text)) return null
  const tail = text.length % 4
  if (tail === 1) return null
  // Two trailing characters carry one byte (4 bits spare), three carry two (2 bits spare).
  if (tail !== 0 && (ALPHABET.indexOf(text[text.length - 1]!) & (tail === 2 ? 0x0f : 0x03)) !== 0) {
    return null
  }
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/**
 * A JSON object from strict UTF-8; anything else is null. ignoreBOM keeps a byte-order mark in
 * the text, where JSON.parse refuses it: one header, one spelling.
 */
function decodeJsonObject(bytes: Uint8Array): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes),
    )
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}

type Parsed = {
  alg: IdTokenAlg
  kid: string | undefined
  signingInput: Uint8Array<ArrayBuffer>
  payload: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

function parse(token: string): Parsed {
  if (typeof token !== 'string' || token.length > ID_TOKEN_MAX_LENGTH) return fail('malformed')
  const parts = token.split('.')
  if (parts.length !== 3) return fail('malformed')
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string]
  const headerBytes = decodeBase64Url(headerPart)
  const header = headerBytes && decodeJsonObject(headerBytes)
  if (!header) return fail('malformed')
  const { alg, kid } = header
  if (typeof alg !== 'string' || !(ID_TOKEN_ALGS as readonly string[]).includes(alg)) {
    return fail('unsupported_alg')
  }
  // RFC 7515 §4.1.11: extensions we do not implement (b64: false, …) must be refused.
  if ('crit' in header) return fail('unsupported_alg')
  if (kid !== undefined && (typeof kid !== 'string' || kid === '')) return fail('malformed')
  // The header first, so `alg: none` (with its empty signature) is named for what it is.
  const payload = decodeBase64Url(payloadPart)
  const signature = decodeBase64Url(signaturePart)
  if (!payload || !signature) return fail('malformed')
  // `jku`, `jwk`, `x5u`, `x5c` are never used: the key comes only from the provider's JWKS.
  return {
    alg: alg as IdTokenAlg,
    kid,
    signingInput: new TextEncoder().encode(
      `${headerPart}.${payloadPart}`,
    ) as Uint8Array<ArrayBuffer>,
    payload,
    signature,
  }
}

/** The group order of P-256: an ECDSA signature's r and s must lie in [1, n-1]. */
const P256_ORDER = Uint8Array.from(
  'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'.match(/../g)!,
  (hex) => parseInt(hex, 16),
)

/** Whether a 32-byte big-endian scalar is in [1, n-1]. */
function inP256Range(scalar: Uint8Array): boolean {
  if (scalar.every((byte) => byte === 0)) return false
  for (let i = 0; i < 32; i++) {
    if (scalar[i]! !== P256_ORDER[i]!) return scalar[i]! < P256_ORDER[i]!
  }
  return false // equal to n
}

/** Imports the key's public members only, for the one algorithm the header names. */
async function importFor(alg: IdTokenAlg, jwk: JsonWebKey): Promise<CryptoKey> {
  if (jwk.alg !== undefined && jwk.alg !== alg) return fail('key_mismatch')
  let members: JsonWebKey
  let algorithm: SubtleCryptoImportKeyAlgorithm
  switch (alg) {
    case 'RS256': {
      if (jwk.kty !== 'RSA' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string') {
        return fail('key_mismatch')
      }
      const modulus = decodeBase64Url(jwk.n)
      if (!modulus || modulus.length < RSA_MIN_MODULUS_BYTES) return fail('key_mismatch')
      members = { kty: 'RSA', n: jwk.n, e: jwk.e }
      algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
      break
    }
    case 'ES256':
      if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') return fail('key_mismatch')
      members = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }
      algorithm = { name: 'ECDSA', namedCurve: 'P-256' }
      break
    case 'EdDSA':
      if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') return fail('key_mismatch')
      members = { kty: 'OKP', crv: 'Ed25519', x: jwk.x }
      algorithm = { name: 'Ed25519' }
      break
  }
  try {
    return await crypto.subtle.importKey('jwk', members, algorithm, false, ['verify'])
  } catch {
    return fail('key_mismatch')
  }
}

async function verifySignature(parsed: Parsed, key: CryptoKey): Promise<boolean> {
  const { alg, signature, signingInput } = parsed
  switch (alg) {
    case 'RS256': {
      // PKCS #1 v1.5 signatures are exactly as long as the modulus.
      const bits = (key.algorithm as CryptoKeyRsaKeyAlgorithm).modulusLength
      if (signature.length !== Math.ceil(bits / 8)) return false
      return crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, signingInput)
    }
    case 'ES256':
      // RFC 7518 §3.4: r || s, 32 bytes each (not DER). Zero or out-of-range r or s is refused
      // here too, whatever the library does: CVE-2022-21449 accepted r = s = 0 for any message.
      if (signature.length !== 64) return false
      if (!inP256Range(signature.subarray(0, 32)) || !inP256Range(signature.subarray(32))) {
        return false
      }
      return crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, signature, signingInput)
    case 'EdDSA':
      if (signature.length !== 64) return false
      return crypto.subtle.verify('Ed25519', key, signature, signingInput)
  }
}

async function lookUp(keys: KeyLookup, parsed: Parsed): Promise<JsonWebKey> {
  let jwk: JsonWebKey | null
  try {
    jwk = await keys(
      parsed.kid === undefined ? { alg: parsed.alg } : { kid: parsed.kid, alg: parsed.alg },
    )
  } catch (err) {
    if (err instanceof ProviderError && err.reason === 'unknown_key') return fail('unknown_key')
    throw err
  }
  return jwk ?? fail('unknown_key')
}

const optionalString = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null

const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value)

function checkIssuer(claims: Record<string, unknown>, expected: IdTokenExpectation): string {
  const { iss, tid } = claims
  if (typeof iss !== 'string') return fail('wrong_issuer')
  if (expected.tenantIssuer) {
    // The template filled with the token's own `tid`: a token from tenant A claiming tenant B's
    // issuer, or the bare template, does not match. tid is a GUID, never a path.
    if (typeof tid !== 'string' || !/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(tid)) {
      return fail('wrong_issuer')
    }
    if (iss === expected.issuer.replace('{tenantid}', tid)) return iss
    return fail('wrong_issuer')
  }
  // Exact equality: no trimming of a trailing slash, no case folding (OIDC Core §3.1.3.7 step 2).
  if (iss === expected.issuer || (expected.alternateIssuers ?? []).includes(iss)) return iss
  return fail('wrong_issuer')
}

function checkAudience(claims: Record<string, unknown>, expected: IdTokenExpectation): void {
  const { aud, azp } = claims
  const ours = (value: unknown): value is string =>
    typeof value === 'string' && expected.audiences.includes(value)
  if (typeof aud === 'string') {
    // One audience: it must be ours. `azp` is not compared: Google's Android tokens carry the
    // server's client id in `aud` and the Android app's in `azp`.
    if (!ours(aud)) fail('wrong_audience')
    return
  }
  if (!Array.isArray(aud) || aud.length === 0 || !aud.every((item) => typeof item === 'string')) {
    return fail('wrong_audience')
  }
  if (aud.length === 1) {
    if (!ours(aud[0])) fail('wrong_audience')
    return
  }
  // Several audiences: the token was issued to `azp`, which must be us and among them
  // (OIDC Core §3.1.3.7 steps 3-5), or another client's token would sign in here.
  if (!ours(azp) || !aud.includes(azp)) fail('wrong_audience')
}

function checkTimes(claims: Record<string, unknown>): void {
  const { exp, iat, nbf } = claims
  const nowMs = now()
  const ahead = (seconds: number) => seconds * 1000 > nowMs + ID_TOKEN_CLOCK_LEEWAY_SECONDS * 1000
  if (!isTime(exp) || exp * 1000 <= nowMs) fail('expired')
  if (!isTime(iat) || ahead(iat)) fail('not_yet_valid')
  if (nbf !== undefined && (!isTime(nbf) || ahead(nbf))) fail('not_yet_valid')
}

/**
 * Verifies a compact JWS's signature (RS256, ES256 or EdDSA, by a key `keys` finds) and returns
 * its payload as a JSON object, unchecked otherwise: the claims are the caller's to judge. Also
 * the check of a client's signed assertion (private_key_jwt). Throws IdTokenError.
 */
export async function verifySignedJwt(
  token: string,
  keys: KeyLookup,
): Promise<Record<string, unknown>> {
  const parsed = parse(token)
  const key = await importFor(parsed.alg, await lookUp(keys, parsed))
  if (!(await verifySignature(parsed, key))) fail('bad_signature')
  // Only now is the payload trusted enough to read.
  return decodeJsonObject(parsed.payload) ?? fail('malformed')
}

/**
 * Verifies `token` as an ID token from the provider `expected` describes, its key found through
 * `keys`, and returns its claims. Throws IdTokenError with a stable reason; a failure of the
 * lookup other than an unknown key (the provider unreachable) is rethrown as it came.
 */
export async function verifyIdToken(
  token: string,
  expected: IdTokenExpectation,
  keys: KeyLookup,
): Promise<IdTokenClaims> {
  const claims = await verifySignedJwt(token, keys)
  const iss = checkIssuer(claims, expected)
  checkAudience(claims, expected)
  checkTimes(claims)
  if (expected.nonce !== null && claims.nonce !== expected.nonce) fail('wrong_nonce')
  const { sub } = claims
  if (typeof sub !== 'string' || sub === '' || sub.length > SUBJECT_MAX_LENGTH) {
    fail('invalid_subject')
  }
  const hd = optionalString(claims.hd)
  if (expected.hostedDomain && hd?.toLowerCase() !== expected.hostedDomain) {
    fail('wrong_hosted_domain')
  }
  const email = optionalString(claims.email)
  return {
    iss,
    sub: sub as string,
    email,
    // Apple sends the string "true"; anything else ("false", absent, 1) is not verified.
    email_verified:
      email !== null && (claims.email_verified === true || claims.email_verified === 'true'),
    name: optionalString(claims.name),
    tid: optionalString(claims.tid),
    hd,
  }
}
