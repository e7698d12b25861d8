// Access tokens: JWTs (HS256, ES256 or EdDSA) minted and checked through hono/jwt, with the
// claim checks it lacks.
import { sign, verify } from 'hono/jwt'
import type { AuthMethod, AuthUser, Config } from '../env'
import { nowSeconds } from '../clock'
import { ApiError } from '../errors'
import { fromBase64Url, isCanonicalBase64Url } from './encoding'
import { type PublicJwk, keyRing, rsaKeyRing } from './signing-keys'

/** The `token_use` claim that marks a JWT as one of our access tokens. */
const ACCESS_TOKEN_USE = 'access'

/** Longer bearer values are refused before any parsing or crypto. */
export const ACCESS_TOKEN_MAX_LENGTH = 8 * 1024

export type AccessClaims = {
  sub: string
  username: string
  sid: string
  jti: string
  iat: number
  exp: number
  iss: string
  aud: string
  token_use: typeof ACCESS_TOKEN_USE
  /** RFC 8176: how the session was signed in. */
  amr: AuthMethod[]
  /** The provider of a federated sign-in (`amr` has `fed`). */
  idp?: string
}

const AUTH_METHODS: readonly string[] = [
  'pwd',
  'otp',
  'hwk',
  'swk',
  'fed',
  'email',
] satisfies AuthMethod[]

/** `amr` as minted; a token from before the claim existed was a password sign-in. */
function authMethods(value: unknown): AuthMethod[] | null {
  if (value === undefined) return ['pwd']
  if (!Array.isArray(value) || value.length === 0) return null
  return value.every((m) => typeof m === 'string' && AUTH_METHODS.includes(m))
    ? (value as AuthMethod[])
    : null
}

/** Imports the signing keys (once per isolate), or throws the ConfigError saying why it cannot. */
export async function ensureSigningKeys(cfg: Config): Promise<void> {
  await keyRing(cfg.signing)
}

/**
 * The public halves of the verification keys, as /.well-known/jwks.json serves them: the ring's,
 * then OIDC_RSA_KEYS' (RS256, for ID tokens only: verifyAccessToken never takes them).
 */
export async function publicSigningKeys(cfg: Config): Promise<PublicJwk[]> {
  const { alg, publicKeys } = await keyRing(cfg.signing)
  if (alg === 'HS256' || cfg.idTokenRsaKeys === null) return publicKeys
  return [...publicKeys, ...(await rsaKeyRing(cfg.idTokenRsaKeys)).publicKeys]
}

export async function mintAccessToken(
  user: AuthUser,
  cfg: Config,
): Promise<{ token: string; expiresIn: number }> {
  const iat = nowSeconds()
  const claims: AccessClaims = {
    sub: user.id,
    username: user.username,
    sid: user.sessionId,
    jti: crypto.randomUUID(),
    iat,
    exp: iat + cfg.accessTokenTtl,
    iss: cfg.issuer,
    aud: cfg.audience,
    token_use: ACCESS_TOKEN_USE,
    amr: user.amr,
    ...(user.idp === undefined ? {} : { idp: user.idp }),
  }
  const { signer } = await keyRing(cfg.signing)
  const token = await sign(claims, signer, signer.alg)
  return { token, expiresIn: cfg.accessTokenTtl }
}

const invalid = (detail = 'The access token is invalid') => new ApiError('invalid_token', detail)

const isString = (value: unknown): value is string => typeof value === 'string' && value !== ''
const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value)

/** Three dot-separated parts: a JWT, never one of our opaque refresh tokens. */
export const isJwtShaped = (token: string): boolean => token.split('.').length === 3

/**
 * hono/jwt decodes leniently, so several spellings of one token verify. Only the exact unpadded
 * base64url we mint is accepted, which keeps one token one string (for logs, denylists, caches).
 */
const isCanonical = (token: string): boolean => {
  const parts = token.split('.')
  return parts.length === 3 && parts.every((part) => part !== '' && isCanonicalBase64Url(part))
}

const utf8 = new TextDecoder()

/**
 * Header segments already read, to their `kid`. Every token one key signs carries the same
 * header, so a check normally decodes none. The segment is the client's to choose, so the map is
 * emptied when full: a flood of odd headers costs its sender decoding, never memory. A hit
 * skips only this read; hono/jwt's verify still decodes and checks the whole header.
 */
const kidByHeader = new Map<string, unknown>()
const KID_CACHE_MAX_ENTRIES = 32

/** The header's `kid`, read without decoding the payload (hono/jwt's verify does that once). */
function keyIdOf(token: string): unknown {
  const segment = token.slice(0, token.indexOf('.'))
  if (kidByHeader.has(segment)) return kidByHeader.get(segment)
  const header = fromBase64Url(segment)
  if (!header) return undefined
  const parsed: unknown = JSON.parse(utf8.decode(header))
  const kid =
    typeof parsed === 'object' && parsed !== null ? (parsed as { kid?: unknown }).kid : undefined
  if (kidByHeader.size >= KID_CACHE_MAX_ENTRIES) kidByHeader.clear()
  kidByHeader.set(segment, kid)
  return kid
}

/**
 * Verifies signature, algorithm, issuer and audience through hono/jwt, then the claims it leaves
 * optional: `exp` must exist, and the token must be one of our access tokens.
 * hono/jwt's errors embed the token, so none of them is passed on or logged.
 */
export async function verifyAccessToken(token: string, cfg: Config): Promise<AuthUser> {
  if (token.length > ACCESS_TOKEN_MAX_LENGTH || !isCanonical(token)) throw invalid()
  const ring = await keyRing(cfg.signing)
  let claims: Record<string, unknown>
  try {
    // With asymmetric keys the header's kid picks the key; an unknown kid is simply invalid.
    const kid: unknown = ring.alg === 'HS256' ? '' : keyIdOf(token)
    const key = typeof kid === 'string' ? ring.verifiers.get(kid) : undefined
    if (!key) throw invalid()
    claims = await verify(token, key, {
      alg: ring.alg,
      iss: cfg.issuer,
      aud: cfg.audience,
      // Time claims are checked below, where a missing `exp` is an error rather than a pass.
      exp: false,
      nbf: false,
      iat: false,
    })
  } catch {
    throw invalid()
  }
  const { sub, username, sid, exp, iat, nbf, token_use, idp } = claims
  const amr = authMethods(claims.amr)
  const now = nowSeconds()
  if (
    token_use !== ACCESS_TOKEN_USE ||
    !isString(sub) ||
    !isString(username) ||
    !isString(sid) ||
    amr === null ||
    // A federated sign-in always names its provider, and only it does.
    amr.includes('fed') !== isString(idp)
  ) {
    throw invalid()
  }
  // `iat` is informational: a token minted a moment ago on a machine whose clock is a hair ahead
  // must not fail here, so only its type is checked.
  const leeway = cfg.jwtLeeway
  if (!isTime(exp) || !isTime(iat) || (nbf !== undefined && (!isTime(nbf) || nbf > now + leeway))) {
    throw invalid()
  }
  if (exp + leeway <= now) throw invalid('The access token has expired')
  return { id: sub, username, sessionId: sid, amr, ...(isString(idp) ? { idp } : {}) }
}
