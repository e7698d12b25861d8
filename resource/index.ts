// edge-auth/resource: what a protected resource (an API, an MCP server) needs to accept the
// RFC 9068 access tokens edge-auth issues for it, and to tell clients where to get one
// (RFC 9728 Protected Resource Metadata, RFC 6750 challenges). Web platform only: Web Crypto,
// fetch, Request and Response; runs on Workers and Node 20+.
import { challengeResponse, unavailableResponse } from './challenge'
import { createKeySet, JwksUnavailable } from './jwks'
import { parseAccessTokenJws, type Refusal, TokenRefused, verifySignature } from './jws'

export { MAX_TOKEN_LENGTH } from './jws'
export type { Refusal } from './jws'
export { bearerChallenge } from './challenge'

/** Default leeway on exp, nbf and iat, for clocks that drift apart. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5
/** A larger leeway is a configuration mistake: access tokens live minutes. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 60
/** How long clients and caches may keep the metadata document. */
export const METADATA_MAX_AGE_SECONDS = 3600

const WELL_KNOWN = '/.well-known/oauth-protected-resource'
/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/
/** RFC 7235 token68, the Bearer credential syntax of RFC 6750 §2.1. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i

export type ProtectedResourceOptions = {
  /** The authorization server's issuer URL: `iss` must equal it exactly. */
  issuer: string
  /** This resource's identifier (RFC 8707): `aud` must equal it exactly. */
  resource: string
  /** The scopes this resource understands, published as `scopes_supported`. */
  scopes?: string[]
  /** A human-readable name, published as `resource_name`. */
  name?: string
  /** A page for developers, published as `resource_documentation`. */
  documentation?: string
  /** Where the issuer's keys are; `{issuer}/.well-known/jwks.json` by default. */
  jwksUri?: string
  /** The fetch used for the key set (a service binding's, a test double). */
  fetch?: typeof fetch
  /** Leeway on exp, nbf and iat; DEFAULT_CLOCK_TOLERANCE_SECONDS by default. */
  clockToleranceSeconds?: number
}

/** A verified access token. */
export type AccessToken = {
  sub: string
  clientId: string
  scopes: string[]
  /** `exp`, seconds since the epoch. */
  expiresAt: number
  /** Every claim, as signed. */
  claims: Record<string, unknown>
}

/** Why a request was refused: for the resource's own logs, never for the response. */
export type RefusalReason =
  Refusal | 'no_token' | 'invalid_request' | 'insufficient_scope' | 'jwks_unavailable'

export type VerifyResult =
  | { ok: true; token: AccessToken }
  | {
      ok: false
      error: 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable'
      reason: RefusalReason
    }

export type AuthenticateResult =
  { ok: true; token: AccessToken } | { ok: false; response: Response; reason: RefusalReason }

/** RFC 9728 §2. */
export type ProtectedResourceMetadata = {
  resource: string
  authorization_servers: string[]
  bearer_methods_supported: ['header']
  scopes_supported?: string[]
  resource_name?: string
  resource_documentation?: string
}

/** https, or http on a loopback host (local development); no credentials, no fragment. */
function checkUrl(name: string, value: string, { query }: { query: boolean }): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new TypeError(`${name} must be an absolute URL`)
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new TypeError(`${name} must be an https URL (http only on a loopback host)`)
  }
  if (url.username || url.password || value.includes('#') || (!query && url.search)) {
    throw new TypeError(`${name} must have no credentials, fragment${query ? '' : ' or query'}`)
  }
  return url
}

function checkScopes(scopes: readonly string[]): void {
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.test(scope)) throw new TypeError(`invalid scope: ${JSON.stringify(scope)}`)
  }
}

const isNumericDate = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value)
const isNonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value !== ''

export function protectedResource(options: ProtectedResourceOptions) {
  const { issuer, resource, name, documentation } = options
  checkUrl('issuer', issuer, { query: false })
  const resourceUrl = checkUrl('resource', resource, { query: true })
  const jwksUri = options.jwksUri ?? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`
  checkUrl('jwksUri', jwksUri, { query: true })
  const scopesSupported = options.scopes ?? []
  checkScopes(scopesSupported)
  const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS
  if (!(tolerance >= 0 && tolerance <= MAX_CLOCK_TOLERANCE_SECONDS)) {
    throw new TypeError(`clockToleranceSeconds must be 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}`)
  }
  const keys = createKeySet({
    jwksUri,
    // Bound lazily so a test's or a runtime's replacement of the global is seen.
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
  })

  // RFC 9728 §3.1: the well-known segment goes between the host and the resource's path
  // (a lone "/" path is dropped); the query stays at the end.
  const path = resourceUrl.pathname === '/' ? '' : resourceUrl.pathname
  const metadataPath = `${WELL_KNOWN}${path}`
  const metadataUrl = `${resourceUrl.origin}${metadataPath}${resourceUrl.search}`

  function checkClaims(claims: Record<string, unknown>): void {
    // First-party tokens of the same issuer are marked so; they never open a resource.
    if ('token_use' in claims) throw new TokenRefused('first_party_token')
    if (claims.iss !== issuer) throw new TokenRefused('wrong_issuer')
    const { aud } = claims
    const audOk =
      aud === resource || (Array.isArray(aud) && aud.length === 1 && aud[0] === resource)
    if (!audOk) throw new TokenRefused('wrong_audience')
    const { exp, iat, nbf } = claims
    if (!isNumericDate(exp) || !isNumericDate(iat)) throw new TokenRefused('missing_claim')
    const now = Date.now() / 1000
    if (now - tolerance >= exp) throw new TokenRefused('expired')
    if (iat > now + tolerance) throw new TokenRefused('issued_in_future')
    if (nbf !== undefined && !isNumericDate(nbf)) throw new TokenRefused('malformed')
    if (nbf !== undefined && nbf > now + tolerance) throw new TokenRefused('not_yet_valid')
    for (const claim of ['sub', 'client_id', 'jti'] as const) {
      if (!isNonEmptyString(claims[claim])) throw new TokenRefused('missing_claim')
    }
    if (claims.scope !== undefined && typeof claims.scope !== 'string') {
      throw new TokenRefused('malformed')
    }
  }

  /** Verifies a bare token: signature, typ, iss, aud, times, and that it holds `scopes`. */
  async function verify(
    token: string,
    { scopes = [] }: { scopes?: readonly string[] } = {},
  ): Promise<VerifyResult> {
    checkScopes(scopes)
    let claims: Record<string, unknown>
    try {
      const jws = parseAccessTokenJws(token)
      const key = await keys.keyFor(jws.header.kid, jws.header.alg)
      await verifySignature(jws, key)
      checkClaims(jws.payload)
      claims = jws.payload
    } catch (error) {
      if (error instanceof JwksUnavailable) {
        return { ok: false, error: 'temporarily_unavailable', reason: 'jwks_unavailable' }
      }
      const reason = error instanceof TokenRefused ? error.reason : 'malformed'
      return { ok: false, error: 'invalid_token', reason }
    }
    const granted = ((claims.scope as string | undefined) ?? '').split(' ').filter(Boolean)
    if (!scopes.every((scope) => granted.includes(scope))) {
      return { ok: false, error: 'insufficient_scope', reason: 'insufficient_scope' }
    }
    return {
      ok: true,
      token: {
        sub: claims.sub as string,
        clientId: claims.client_id as string,
        scopes: granted,
        expiresAt: claims.exp as number,
        claims,
      },
    }
  }

  /**
   * Authenticates a request by its `Authorization: Bearer` header (the only method: RFC 9728
   * and the MCP spec forbid tokens in the query). On refusal, `response` is the answer to send.
   */
  async function authenticate(
    request: Request,
    { scopes = [] }: { scopes?: readonly string[] } = {},
  ): Promise<AuthenticateResult> {
    checkScopes(scopes)
    const refuse = (
      reason: RefusalReason,
      error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope',
    ): AuthenticateResult => ({
      ok: false,
      reason,
      response: challengeResponse({ error, scopes, resourceMetadata: metadataUrl }),
    })
    const header = request.headers.get('Authorization')
    if (new URL(request.url).searchParams.has('access_token')) {
      return refuse('invalid_request', 'invalid_request')
    }
    if (header === null || header === '') return refuse('no_token')
    // Two Authorization fields arrive joined by ", "; no single credential holds a comma.
    if (header.includes(',')) return refuse('invalid_request', 'invalid_request')
    if (!/^bearer(?: |$)/i.test(header)) return refuse('no_token')
    const token = BEARER.exec(header)?.[1]
    if (token === undefined) return refuse('invalid_request', 'invalid_request')
    const result = await verify(token, { scopes })
    if (result.ok) return result
    if (result.error === 'temporarily_unavailable') {
      return { ok: false, reason: result.reason, response: unavailableResponse() }
    }
    return refuse(result.reason, result.error)
  }

  function metadata(): ProtectedResourceMetadata {
    return {
      resource,
      authorization_servers: [issuer],
      bearer_methods_supported: ['header'],
      ...(scopesSupported.length ? { scopes_supported: [...scopesSupported] } : {}),
      ...(name ? { resource_name: name } : {}),
      ...(documentation ? { resource_documentation: documentation } : {}),
    }
  }

  /** The metadata document as served: public, cacheable, readable from any origin. */
  function metadataResponse(): Response {
    return new Response(JSON.stringify(metadata()), {
      headers: {
        'Content-Type': 'application/json',
        'Cache-Control': `public, max-age=${METADATA_MAX_AGE_SECONDS}`,
        'Access-Control-Allow-Origin': '*',
      },
    })
  }

  return {
    issuer,
    resource,
    /** The path this resource's metadata is served at (RFC 9728 §3.1). */
    metadataPath,
    /** The absolute URL of the metadata, as named in every challenge. */
    metadataUrl,
    verify,
    authenticate,
    metadata,
    metadataResponse,
    /** The challenge for a refusal the resource decides itself (a 403 after its own checks). */
    challenge: (error: 'invalid_token' | 'insufficient_scope', scopes: readonly string[] = []) => {
      checkScopes(scopes)
      return challengeResponse({ error, scopes, resourceMetadata: metadataUrl })
    },
  }
}

export type ProtectedResource = ReturnType<typeof protectedResource>
