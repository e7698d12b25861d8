// ID tokens (OpenID Connect Core §2): what the relying party learns of the sign-in, typ `JWT` as
// relying parties expect, signed with the algorithm the client registered: RS256 (OIDC_RSA_KEYS,
// OpenID Connect's default) or the access tokens' own (ES256 or EdDSA). They cannot pass as
// either access token: a first-party one needs `token_use: access`, this service's audience and
// the ring's algorithm (never RS256), a resource one `typ: at+jwt` and ES256 or EdDSA; an ID
// token's audience is the client.
import type { AuthMethod, Config } from '../env'
import { nowSeconds } from '../clock'
import { AUTHORIZATION_SERVER_RETRY_AFTER_SECONDS, ApiError } from '../errors'
import { toBase64Url, utf8 } from './encoding'
import { type JwsRing, jwsAlg, signJws, verifyJws } from './jws'
import { asymmetricRing } from './resource-tokens'
import { rsaKeyRing } from './signing-keys'

export const ID_TOKEN_TYPE = 'JWT'

/** Seconds an ID token is valid: it is read once, at sign-in (a logout hint may be older). */
export const ID_TOKEN_TTL_SECONDS = 300

/** The scope-dependent claims (OIDC Core §5.4): the username, a verified address. */
export type ProfileClaims = {
  preferred_username?: string
  email?: string
  email_verified?: true
}

export type IdTokenSubject = {
  userId: string
  clientId: string
  /** When the user signed in, epoch ms. */
  authTime: number
  amr: AuthMethod[]
  /** The authorization request's nonce; none on a refresh (OIDC Core §12.2). */
  nonce: string | null
  /** The access token issued beside it, hashed into `at_hash`. */
  accessToken: string
  profile: ProfileClaims
}

/** What an ID token may be signed with (OIDC Registration's id_token_signed_response_alg). */
export type IdTokenAlg = 'RS256' | 'ES256' | 'EdDSA'

/**
 * The algorithms this service signs ID tokens with, the default first (discovery's
 * id_token_signing_alg_values_supported): RS256 when OIDC_RSA_KEYS is set, and the access
 * tokens' algorithm. Empty with HS256, where the authorization server is off.
 */
export function idTokenAlgs(cfg: Config): IdTokenAlg[] {
  const ring = cfg.signing.alg
  if (ring === 'HS256') return []
  return cfg.idTokenRsaKeys === null ? [ring] : ['RS256', ring]
}

/** The 503 for a client whose registered algorithm this service no longer signs with. */
const algorithmUnavailable = (alg: IdTokenAlg) =>
  new ApiError(
    'authorization_server_unavailable',
    alg === 'RS256'
      ? 'ID tokens for this client are signed RS256, and OIDC_RSA_KEYS is not set'
      : `ID tokens for this client are signed ${alg}, and JWT_ALG is no longer ${alg}`,
    { retryAfter: AUTHORIZATION_SERVER_RETRY_AFTER_SECONDS },
  )

/**
 * The keys that sign a client's ID tokens: those of the algorithm it registered (null: a client
 * registered before the choice existed, which was promised the access tokens' algorithm). Never
 * another algorithm than the one it registered, which a strict relying party would refuse after
 * the code is spent: a 503 (authorization_server_unavailable) naming the setting instead.
 */
export async function idTokenRing(alg: IdTokenAlg | null, cfg: Config): Promise<JwsRing> {
  if (alg === 'RS256') {
    if (cfg.idTokenRsaKeys === null) throw algorithmUnavailable(alg)
    return rsaKeyRing(cfg.idTokenRsaKeys)
  }
  const ring = await asymmetricRing(cfg)
  if (alg !== null && alg !== ring.alg) throw algorithmUnavailable(alg)
  return ring
}

/**
 * OIDC Core §3.1.3.6: the left half of the access token's hash, by the hash of the signing
 * algorithm: SHA-256 for RS256 and ES256, SHA-512 for EdDSA with Ed25519 (as relying parties
 * compute it).
 */
async function accessTokenHash(ring: JwsRing, accessToken: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    ring.alg === 'EdDSA' ? 'SHA-512' : 'SHA-256',
    utf8(accessToken),
  )
  return toBase64Url(digest.slice(0, digest.byteLength / 2))
}

/** Signs an ID token for the client with `alg`, the algorithm it registered (see idTokenRing). */
export async function mintIdToken(
  subject: IdTokenSubject,
  alg: IdTokenAlg | null,
  cfg: Config,
): Promise<string> {
  const ring = await idTokenRing(alg, cfg)
  const iat = nowSeconds()
  return signJws(ring, ID_TOKEN_TYPE, {
    iss: cfg.issuer,
    sub: subject.userId,
    aud: subject.clientId,
    exp: iat + ID_TOKEN_TTL_SECONDS,
    iat,
    auth_time: Math.floor(subject.authTime / 1000),
    ...(subject.nonce === null ? {} : { nonce: subject.nonce }),
    amr: subject.amr,
    at_hash: await accessTokenHash(ring, subject.accessToken),
    ...subject.profile,
  })
}

/**
 * The ring a hint's header says it was signed with: RS256's when its alg is RS256 and
 * OIDC_RSA_KEYS is set; else the access tokens' ring, which verifyJws holds to its own alg.
 */
async function hintRing(token: string, cfg: Config): Promise<JwsRing | null> {
  if (jwsAlg(token) !== 'RS256') return asymmetricRing(cfg)
  return cfg.idTokenRsaKeys === null ? null : rsaKeyRing(cfg.idTokenRsaKeys)
}

/**
 * An `id_token_hint` (RP-initiated logout §2): an ID token this service signed, with a key it
 * still holds (either ring, by the header's alg), for `sub` and one client, and when it was
 * issued (epoch ms). Expired is fine (a relying party's hint usually is): it proves which user
 * and client asked, not that they asked recently; whoever acts on it compares `issuedAt` with
 * the sign-in it would end.
 */
export async function readIdTokenHint(
  token: string,
  cfg: Config,
): Promise<{ sub: string; clientId: string; issuedAt: number } | null> {
  const ring = await hintRing(token, cfg)
  if (!ring) return null
  const claims = await verifyJws(ring, ID_TOKEN_TYPE, token)
  if (!claims) return null
  const { iss, sub, aud, iat, token_use: use } = claims
  // A first-party access token is typ JWT too, signed with the same keys: it names a use.
  if (iss !== cfg.issuer || use !== undefined) return null
  if (typeof sub !== 'string' || typeof aud !== 'string' || typeof claims.at_hash !== 'string') {
    return null
  }
  if (typeof iat !== 'number') return null
  return { sub, clientId: aud, issuedAt: iat * 1000 }
}
