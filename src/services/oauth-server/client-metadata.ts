// The RFC 7591 metadata rules a client must meet, whether it registers (clients.ts) or publishes
// a metadata document (client-documents.ts): one set of checks, so the two ways in cannot drift.
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
