// private_key_jwt (RFC 7523 §2.2, OpenID Connect Core §9): a client authenticates with a JWT it
// signs with its own key, whose public half it registered (inline `jwks`, or a `jwks_uri` fetched
// through the outbound fetch). The assertion names the client as `iss` and `sub`, this server as
// `aud`, lives minutes, and is used once (its `jti`, in D1). Knows nothing of Hono.
import { now } from '../../clock'
import { ApiError } from '../../errors'
import { sha256Base64Url } from '../../auth/encoding'
import {
  ID_TOKEN_ALGS,
  IdTokenError,
  type KeyLookup,
  verifySignedJwt,
} from '../../federation/id-token'
import { OutboundError, checkOutboundUrl, fetchJson } from '../../outbound/fetch'
import type { CeremonyUses } from '../../store/ceremony-uses'
import type { OAuthClient } from '../../store/oauth-clients'

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** The algorithms a client may sign its assertion with. */
export const ASSERTION_ALGS = ID_TOKEN_ALGS

/** An assertion is made for one request: it may not claim to live longer than this. */
const ASSERTION_MAX_LIFETIME_S = 5 * 60
const CLOCK_LEEWAY_S = 60
const MAX_KEYS = 10
/** Members a public JWK never has: a private key sent by mistake is refused, not stored. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']
const KEY_TYPES = ['RSA', 'EC', 'OKP']

/** A client's keys as registered (RFC 7591 §2): exactly one of `jwks` and `jwks_uri`. */
export function checkClientKeys(
  jwks: unknown,
  jwksUri: unknown,
): { jwks: JsonWebKey[] | null; jwksUri: string | null } | { refused: string } {
  if ((jwks === undefined) === (jwksUri === undefined)) {
    return { refused: 'private_key_jwt needs exactly one of jwks and jwks_uri' }
  }
  if (jwksUri !== undefined) {
    if (typeof jwksUri !== 'string') return { refused: 'jwks_uri must be an https URL' }
    try {
      checkOutboundUrl(jwksUri)
    } catch {
      return { refused: 'jwks_uri must be an https URL on a named host and the default port' }
    }
    return { jwks: null, jwksUri }
  }
  const keys = (jwks as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS) {
    return { refused: `jwks must be a JWK set of 1 to ${MAX_KEYS} keys` }
  }
  for (const key of keys as Record<string, unknown>[]) {
    if (typeof key !== 'object' || key === null || !KEY_TYPES.includes(key.kty as string)) {
      return { refused: 'jwks holds a key of an unsupported type' }
    }
    if (PRIVATE_MEMBERS.some((member) => member in key)) {
      return { refused: 'jwks must hold public keys only' }
    }
  }
  return { jwks: keys as JsonWebKey[], jwksUri: null }
}

/** Fetched key sets, per isolate, for a few minutes: an assertion per token request would refetch. */
const KEY_SET_CACHE_MS = 5 * 60 * 1000
/** A key the set lacks is looked for again, but not more than once a minute per set. */
const REFETCH_COOLDOWN_MS = 60 * 1000
const fetched = new Map<string, { keys: JsonWebKey[]; until: number; at: number }>()

async function keysAt(uri: string, fresh = false): Promise<JsonWebKey[]> {
  const hit = fetched.get(uri)
  if (hit && hit.until > now() && !(fresh && now() - hit.at >= REFETCH_COOLDOWN_MS)) {
    return hit.keys
  }
  const { json } = await fetchJson(uri, { maxBytes: 64 * 1024 })
  const keys = (json as { keys?: unknown } | null)?.keys
  // Whatever the client serves: only objects are keys (a null would throw further on).
  const valid = Array.isArray(keys)
    ? (keys.filter((k) => typeof k === 'object' && k !== null) as JsonWebKey[]).slice(0, MAX_KEYS)
    : []
  if (fetched.size > 100) fetched.clear()
  fetched.set(uri, { keys: valid, until: now() + KEY_SET_CACHE_MS, at: now() })
  return valid
}

/**
 * The client's key for an assertion's header: by `kid`, or the one key of the right type. A
 * `kid` a fetched set lacks may be a key the client just rotated to: the set is fetched again,
 * at most once a minute.
 */
function lookup(client: OAuthClient): KeyLookup {
  return async ({ kid, alg }) => {
    const typeOf = { RS256: 'RSA', ES256: 'EC', EdDSA: 'OKP' }[alg]
    const pick = (keys: JsonWebKey[]) => {
      const candidates = keys.filter(
        (k) =>
          k.kty === typeOf &&
          (kid === undefined || (k as { kid?: string }).kid === kid) &&
          (k.use === undefined || k.use === 'sig'),
      )
      return candidates.length === 1 ? candidates[0]! : null
    }
    if (client.jwks) return pick(client.jwks)
    if (!client.jwksUri) return null
    return pick(await keysAt(client.jwksUri)) ?? pick(await keysAt(client.jwksUri, true))
  }
}

/** The `sub` an assertion claims, read before its signature to find the client it names. */
export function assertedClientId(assertion: string): string | undefined {
  try {
    const payload = assertion.split('.')[1] ?? ''
    const json = JSON.parse(atob(payload.replaceAll('-', '+').replaceAll('_', '/'))) as unknown
    const sub = (json as { sub?: unknown } | null)?.sub
    return typeof sub === 'string' ? sub : undefined
  } catch {
    return undefined
  }
}

const refused = () =>
  new ApiError('invalid_client', 'The client assertion is invalid, expired or was used before')

/**
 * Verifies the assertion for `client`: signature by its key, `iss` = `sub` = its id, `aud` naming
 * this server (its issuer or token endpoint), a short life, a `jti` not used before.
 */
export async function verifyClientAssertion(
  client: OAuthClient,
  assertion: string,
  audiences: string[],
  ceremonies: CeremonyUses,
): Promise<void> {
  let claims: Record<string, unknown>
  try {
    claims = await verifySignedJwt(assertion, lookup(client))
  } catch (err) {
    if (err instanceof IdTokenError || err instanceof OutboundError) throw refused()
    throw err
  }
  const { iss, sub, aud, exp, jti, nbf } = claims
  const at = now() / 1000
  const audienceOk =
    typeof aud === 'string'
      ? audiences.includes(aud)
      : Array.isArray(aud) && aud.some((a) => typeof a === 'string' && audiences.includes(a))
  const valid =
    iss === client.id &&
    sub === client.id &&
    audienceOk &&
    typeof exp === 'number' &&
    exp > at &&
    exp <= at + ASSERTION_MAX_LIFETIME_S + CLOCK_LEEWAY_S &&
    (nbf === undefined || (typeof nbf === 'number' && nbf <= at + CLOCK_LEEWAY_S)) &&
    typeof jti === 'string' &&
    jti !== '' &&
    jti.length <= 256
  if (!valid) throw refused()
  const use = `client-assertion:${await sha256Base64Url(`${client.id} ${jti as string}`)}`
  if (!(await ceremonies.useOnce(use, (exp as number) * 1000 + CLOCK_LEEWAY_S * 1000, now()))) {
    throw refused()
  }
}
