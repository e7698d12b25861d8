// ID tokens (OpenID Connect Core §2): what the relying party learns of the sign-in, signed with
// the same keys as the access tokens, typ `JWT` as relying parties expect. They cannot pass as
// either access token: a first-party one needs `token_use: access` and this service's audience,
// a resource one `typ: at+jwt`; an ID token's audience is the client.
import type { AuthMethod, Config } from '../env'
import { nowSeconds } from '../clock'
import { toBase64Url, utf8 } from './encoding'
import { type AsymmetricRing, signJws, verifyJws } from './jws'
import { asymmetricRing } from './resource-tokens'

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

/**
 * OIDC Core §3.1.3.6: the left half of the access token's hash, by the hash of the signing
 * algorithm: SHA-256 for ES256, SHA-512 for EdDSA with Ed25519 (as relying parties compute it).
 */
async function accessTokenHash(ring: AsymmetricRing, accessToken: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    ring.alg === 'ES256' ? 'SHA-256' : 'SHA-512',
    utf8(accessToken),
  )
  return toBase64Url(digest.slice(0, digest.byteLength / 2))
}

export async function mintIdToken(subject: IdTokenSubject, cfg: Config): Promise<string> {
  const ring = await asymmetricRing(cfg)
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
 * An `id_token_hint` (RP-initiated logout §2): an ID token this service signed, with a key it
 * still holds, for `sub` and one client, and when it was issued (epoch ms). Expired is fine (a
 * relying party's hint usually is): it proves which user and client asked, not that they asked
 * recently; whoever acts on it compares `issuedAt` with the sign-in it would end.
 */
export async function readIdTokenHint(
  token: string,
  cfg: Config,
): Promise<{ sub: string; clientId: string; issuedAt: number } | null> {
  const claims = await verifyJws(await asymmetricRing(cfg), ID_TOKEN_TYPE, token)
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
