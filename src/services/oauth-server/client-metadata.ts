// The RFC 7591 metadata rules a client must meet, whether it registers (clients.ts) or publishes
// a metadata document (client-documents.ts): one set of checks, so the two ways in cannot drift.
import type { IdTokenAlg } from '../../auth/id-tokens'
import { checkRedirectUri } from '../../auth/redirect-uris'

/** A registration's redirect URIs: at most this many. */
export const MAX_REDIRECT_URIS = 10

/**
 * Printable text: a client's name is shown on the consent page, so no control characters (C0,
 * C1), no bidirectional controls that could reorder the sentence around it, no line separators.
 */
const PLAIN_TEXT =
  /^[^\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]{1,100}$/

const GRANT_TYPES = ['authorization_code', 'refresh_token']

type Refused = { refused: string; redirect?: true }

export function checkClientName(name: unknown): { name: string | null } | Refused {
  if (name === undefined) return { name: null }
  return typeof name === 'string' && PLAIN_TEXT.test(name) && name.isWellFormed()
    ? { name }
    : { refused: 'client_name must be 1 to 100 printable characters' }
}

/**
 * grant_types (default: authorization_code alone, RFC 7591 §2) and response_types (`code`):
 * whether the client gets refresh tokens.
 */
export function checkGrants(
  grantTypes: unknown,
  responseTypes: unknown,
): { grantTypes: string[]; refreshes: boolean } | Refused {
  const grants = grantTypes ?? ['authorization_code']
  if (
    !Array.isArray(grants) ||
    !grants.includes('authorization_code') ||
    !grants.every((g) => GRANT_TYPES.includes(g as string))
  ) {
    return { refused: 'grant_types must include authorization_code and may add refresh_token' }
  }
  const responses = responseTypes ?? ['code']
  if (!Array.isArray(responses) || !responses.every((r) => r === 'code')) {
    return { refused: 'response_types may only be ["code"]' }
  }
  const unique = [...new Set(grants as string[])]
  return { grantTypes: unique, refreshes: unique.includes('refresh_token') }
}

/** redirect_uris: 1 to MAX_REDIRECT_URIS URIs that checkRedirectUri accepts. */
export function checkRedirectUris(uris: unknown): { redirectUris: string[] } | Refused {
  if (!Array.isArray(uris) || uris.length === 0 || uris.length > MAX_REDIRECT_URIS) {
    return { refused: `redirect_uris must list 1 to ${MAX_REDIRECT_URIS} URIs` }
  }
  for (const uri of uris) {
    const checked = typeof uri === 'string' ? checkRedirectUri(uri) : { refused: 'is not text' }
    if ('refused' in checked)
      return { refused: `A redirect URI ${checked.refused}`, redirect: true }
  }
  return { redirectUris: [...new Set(uris as string[])] }
}

/** OIDC Registration metadata this service reads, beside RFC 7591's. */
export type OpenIdMetadata = {
  post_logout_redirect_uris?: unknown
  application_type?: unknown
  id_token_signed_response_alg?: unknown
  subject_type?: unknown
  /** Asked for and not offered: a client that needs one must hear so, not get plain JSON. */
  userinfo_signed_response_alg?: unknown
  id_token_encrypted_response_alg?: unknown
  userinfo_encrypted_response_alg?: unknown
  request_object_signing_alg?: unknown
}

const UNOFFERED = [
  'userinfo_signed_response_alg',
  'id_token_encrypted_response_alg',
  'userinfo_encrypted_response_alg',
  'request_object_signing_alg',
] as const

/**
 * What a client may ask for and this service does not offer (pairwise subjects, signed or
 * encrypted UserInfo, encrypted ID tokens, request objects): refused by name, never ignored.
 */
export function checkOffered(metadata: OpenIdMetadata): Refused | null {
  if (metadata.subject_type !== undefined && metadata.subject_type !== 'public') {
    return { refused: 'subject_type must be public' }
  }
  const unoffered = UNOFFERED.find((name) => metadata[name] !== undefined)
  return unoffered ? { refused: `${unoffered} is not supported` } : null
}

/**
 * id_token_signed_response_alg (OIDC Registration §2): one of the algorithms this service signs
 * ID tokens with (idTokenAlgs, the default first); absent, the default (RS256 when offered).
 */
export function checkIdTokenAlg(
  alg: unknown,
  offered: readonly IdTokenAlg[],
): { idTokenAlg: IdTokenAlg } | Refused {
  // None with HS256, where the authorization server is off anyway.
  if (offered[0] === undefined) return { refused: 'no ID token algorithm is offered' }
  if (alg === undefined) return { idTokenAlg: offered[0] }
  return offered.includes(alg as IdTokenAlg)
    ? { idTokenAlg: alg as IdTokenAlg }
    : { refused: `id_token_signed_response_alg must be ${offered.join(' or ')}` }
}

/**
 * The OIDC Registration fields (§2): post_logout_redirect_uris (the redirect URI rules, matched
 * exactly at logout), application_type (`web` then means https redirects only, §2), and
 * id_token_signed_response_alg, one of the algorithms this service signs ID tokens with.
 */
export function checkOpenIdMetadata(
  metadata: OpenIdMetadata,
  redirectUris: string[],
  idTokenAlgs: readonly IdTokenAlg[],
):
  | {
      postLogoutRedirectUris: string[]
      applicationType: 'web' | 'native' | null
      idTokenAlg: IdTokenAlg
    }
  | Refused {
  const type = metadata.application_type
  if (type !== undefined && type !== 'web' && type !== 'native') {
    return { refused: 'application_type must be web or native' }
  }
  // Only when the client says it is a web app: MCP clients and native apps that send no type
  // register loopback redirects, which the default (web) would refuse.
  if (type === 'web' && redirectUris.some((uri) => !uri.startsWith('https://'))) {
    return { refused: 'A web application must use https redirect URIs', redirect: true }
  }
  const alg = checkIdTokenAlg(metadata.id_token_signed_response_alg, idTokenAlgs)
  if ('refused' in alg) return alg
  const offered = checkOffered(metadata)
  if (offered) return offered
  const logout = checkPostLogoutRedirectUris(metadata.post_logout_redirect_uris)
  if ('refused' in logout) return logout
  if (type === 'web' && logout.postLogoutRedirectUris.some((uri) => !uri.startsWith('https://'))) {
    return { refused: 'A web application must use https post-logout redirect URIs' }
  }
  return { ...logout, applicationType: type ?? null, ...alg }
}

/** post_logout_redirect_uris (RP-initiated logout §3.1): the redirect URI rules, at most ten. */
export function checkPostLogoutRedirectUris(
  uris: unknown,
): { postLogoutRedirectUris: string[] } | Refused {
  if (uris === undefined) return { postLogoutRedirectUris: [] }
  if (!Array.isArray(uris) || uris.length > MAX_REDIRECT_URIS) {
    return { refused: `post_logout_redirect_uris must list at most ${MAX_REDIRECT_URIS} URIs` }
  }
  for (const uri of uris) {
    const checked = typeof uri === 'string' ? checkRedirectUri(uri) : { refused: 'is not text' }
    if ('refused' in checked) return { refused: `A post-logout redirect URI ${checked.refused}` }
  }
  return { postLogoutRedirectUris: [...new Set(uris as string[])] }
}
