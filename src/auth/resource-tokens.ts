// Access tokens for a protected resource (RFC 9068): JWTs a resource server verifies offline with
// the JWKS. Signed here rather than through hono/jwt, whose sign() always writes `typ: JWT`: the
// `at+jwt` type is what keeps these from passing as first-party tokens (which require `JWT` and
// `token_use`) or as ID tokens, and the other way round.
import type { AuthMethod, Config } from '../env'
import { nowSeconds } from '../clock'
import { AUTHORIZATION_SERVER_RETRY_AFTER_SECONDS, ApiError } from '../errors'
import { type AsymmetricRing, signJws, verifyJws } from './jws'
import { keyRing } from './signing-keys'

/** RFC 9068 §2.1: the media type's short form, in the header's `typ`. */
export const RESOURCE_TOKEN_TYPE = 'at+jwt'

export type ResourceTokenClaims = {
  iss: string
  /** The user the grant is theirs. */
  sub: string
  /** Exactly one resource (RFC 8707): a verifier testing membership of a list cannot be fooled. */
  aud: string
  client_id: string
  /** Space-separated, as granted (or narrowed at the token endpoint). */
  scope: string
  jti: string
  iat: number
  exp: number
  /** When the user signed in, in seconds. */
  auth_time: number
  amr: AuthMethod[]
}

/** What the grant's token says about whom and what for. */
export type ResourceTokenSubject = {
  userId: string
  clientId: string
  resource: string
  scope: string
  authTime: number
  amr: AuthMethod[]
  ttl: number
}

/** The 503 naming what the authorization server lacks when the keys are a shared secret. */
export const asymmetricKeysRequired = () =>
  new ApiError(
    'authorization_server_unavailable',
    'The authorization server needs asymmetric signing keys: set JWT_ALG=ES256 and JWT_PRIVATE_KEYS',
    { retryAfter: AUTHORIZATION_SERVER_RETRY_AFTER_SECONDS },
  )

/**
 * Mints one resource token. Needs asymmetric keys: a resource must verify it without a shared
 * secret (with HS256 the authorization server is unavailable, and says which setting).
 */
export async function mintResourceToken(
  subject: ResourceTokenSubject,
  cfg: Config,
): Promise<{ token: string; expiresIn: number }> {
  const ring = await asymmetricRing(cfg)
  const iat = nowSeconds()
  const claims: ResourceTokenClaims = {
    iss: cfg.issuer,
    sub: subject.userId,
    aud: subject.resource,
    client_id: subject.clientId,
    scope: subject.scope,
    jti: crypto.randomUUID(),
    iat,
    exp: iat + subject.ttl,
    auth_time: Math.floor(subject.authTime / 1000),
    amr: subject.amr,
  }
  return { token: await signJws(ring, RESOURCE_TOKEN_TYPE, claims), expiresIn: subject.ttl }
}

/** The configured keys, if a resource could verify what they sign; else the 503. */
export async function asymmetricRing(cfg: Config): Promise<AsymmetricRing> {
  const ring = await keyRing(cfg.signing)
  if (ring.alg === 'HS256') throw asymmetricKeysRequired()
  return ring as AsymmetricRing
}

/**
 * The claims of a live resource token this service issued for `audience`, or null: the checks a
 * resource makes (typ, alg, signature, iss, exact aud, exp), for the one resource that is this
 * service itself, UserInfo.
 */
export async function readResourceToken(
  token: string,
  audience: string,
  cfg: Config,
): Promise<ResourceTokenClaims | null> {
  const claims = await verifyJws(await asymmetricRing(cfg), RESOURCE_TOKEN_TYPE, token)
  if (!claims) return null
  const { iss, aud, exp, sub, scope, client_id: clientId } = claims
  const live =
    iss === cfg.issuer &&
    aud === audience &&
    typeof exp === 'number' &&
    exp > nowSeconds() &&
    typeof sub === 'string' &&
    typeof scope === 'string' &&
    typeof clientId === 'string'
  return live ? (claims as ResourceTokenClaims) : null
}
