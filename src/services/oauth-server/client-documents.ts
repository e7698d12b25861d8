// Client ID Metadata Documents: a client whose client_id is an https URL publishes its metadata
// there, instead of registering. The document is fetched through the one outbound fetch (https, a
// named host on the default port, no redirects, time and size caps), checked, and cached in KV as
// its Cache-Control allows. Knows nothing of Hono.
import { now } from '../../clock'
import type { Config } from '../../env'
import { log } from '../../log'
import { sha256Base64Url } from '../../auth/encoding'
import { type IdTokenAlg, idTokenAlgs } from '../../auth/id-tokens'
import { OutboundError, checkOutboundUrl, fetchJson } from '../../outbound/fetch'
import type { ClientDocument, ClientDocumentStore } from '../../store/client-documents'
import type { OAuthClient } from '../../store/oauth-clients'
import { checkClientKeys } from './client-assertions'
import {
  checkClientName,
  checkGrants,
  checkIdTokenAlg,
  checkOffered,
  checkPostLogoutRedirectUris,
  checkRedirectUris,
} from './client-metadata'

/** What a document's id_token_signed_response_alg may name; which are offered is decided on use. */
const ID_TOKEN_ALGS: readonly unknown[] = ['RS256', 'ES256', 'EdDSA'] satisfies IdTokenAlg[]

/** Far more than a real document; a metadata document is a few hundred bytes. */
const DOCUMENT_MAX_BYTES = 16 * 1024
/** A client id is a URL people see on the consent page; this is plenty. */
const CLIENT_ID_MAX_LENGTH = 1024
/** Without caching headers, a document is kept five minutes; never more than a day. */
const DEFAULT_CACHE_SECONDS = 300
const MAX_CACHE_SECONDS = 24 * 3600

/** Whether a client_id names a metadata document (rather than a registered client). */
export const isDocumentClientId = (clientId: string): boolean => clientId.startsWith('https://')

/**
 * The draft's rules for the URL itself: https, a path below the root, no dot segments, no
 * fragment, no userinfo; and ours for fetching it (a named host on the default port).
 */
export function checkDocumentUrl(clientId: string): URL | null {
  if (clientId.length > CLIENT_ID_MAX_LENGTH || !URL.canParse(clientId)) return null
  const url = new URL(clientId)
  const segments = clientId.slice(url.origin.length).split(/[?#]/)[0]!.split('/')
  if (
    url.protocol !== 'https:' ||
    url.pathname === '/' ||
    clientId.includes('#') ||
    segments.some((s) => s === '.' || s === '..' || /^%2e/i.test(s)) ||
    url.username !== '' ||
    url.password !== ''
  ) {
    return null
  }
  try {
    return checkOutboundUrl(url)
  } catch {
    return null
  }
}

/** Seconds the document may be kept, from its Cache-Control; 0 for no-store or no-cache. */
export function cacheSeconds(cacheControl: string | null): number {
  if (!cacheControl) return DEFAULT_CACHE_SECONDS
  const directives = cacheControl
    .toLowerCase()
    .split(',')
    .map((d) => d.trim())
  if (directives.some((d) => d === 'no-store' || d === 'no-cache')) return 0
  const maxAge = directives.find((d) => d.startsWith('max-age='))
  const seconds = maxAge ? Number(maxAge.slice('max-age='.length)) : DEFAULT_CACHE_SECONDS
  return Number.isInteger(seconds) && seconds >= 0 ? Math.min(seconds, MAX_CACHE_SECONDS) : 0
}

/** Why a fetched document is refused, or its checked content. */
export function checkDocument(
  clientId: string,
  json: unknown,
): Omit<ClientDocument, 'fetchedAt'> | { refused: string } {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return { refused: 'not an object' }
  const doc = json as Record<string, unknown>
  if (doc.client_id !== clientId) return { refused: 'client_id is not the URL it was fetched from' }
  if ('client_secret' in doc || 'client_secret_expires_at' in doc) {
    return { refused: 'a document cannot carry a secret' }
  }
  const method = doc.token_endpoint_auth_method ?? 'none'
  if (method !== 'none' && method !== 'private_key_jwt') {
    return { refused: 'token_endpoint_auth_method must be none or private_key_jwt' }
  }
  const keys =
    method === 'private_key_jwt'
      ? checkClientKeys(doc.jwks, doc.jwks_uri)
      : { jwks: null, jwksUri: null }
  if ('refused' in keys) return keys
  const uris = checkRedirectUris(doc.redirect_uris)
  if ('refused' in uris) return uris
  const grants = checkGrants(doc.grant_types, doc.response_types)
  if ('refused' in grants) return grants
  const named = checkClientName(doc.client_name)
  if ('refused' in named) return named
  const logout = checkPostLogoutRedirectUris(doc.post_logout_redirect_uris)
  if ('refused' in logout) return logout
  const offered = checkOffered(doc)
  if (offered) return offered
  const alg = doc.id_token_signed_response_alg
  if (alg !== undefined && !ID_TOKEN_ALGS.includes(alg)) {
    return { refused: 'id_token_signed_response_alg must be RS256, ES256 or EdDSA' }
  }
  return {
    clientId,
    name: named.name,
    redirectUris: uris.redirectUris,
    authMethod: method,
    ...keys,
    refreshes: grants.refreshes,
    ...logout,
    idTokenAlg: (alg as IdTokenAlg | undefined) ?? null,
  }
}

export type ClientDocumentDeps = {
  documents: ClientDocumentStore
  requestId?: string
  /** Which ID token algorithms are offered now (the document's may no longer be). */
  config: () => Promise<Config>
}

export class ClientDocuments {
  constructor(private readonly deps: ClientDocumentDeps) {}

  /** The client the document describes, from the cache or fetched now; null when unusable. */
  async resolve(clientId: string): Promise<OAuthClient | null> {
    const url = checkDocumentUrl(clientId)
    if (!url) return this.refuse(clientId, 'the URL is not one a client id may be')
    const digest = await sha256Base64Url(clientId)
    const cached = await this.deps.documents.get(digest)
    // The cache is keyed by a digest: the document must still name this very URL.
    const document =
      cached?.clientId === clientId ? cached : await this.fetch(clientId, url, digest)
    if (!document) return null
    // As at registration: the algorithm named must be offered; none named, the default.
    const alg = checkIdTokenAlg(
      document.idTokenAlg ?? undefined,
      idTokenAlgs(await this.deps.config()),
    )
    if ('refused' in alg) return this.refuse(clientId, alg.refused)
    return {
      id: document.clientId,
      secretHash: null,
      // A document cached before it could name a method is a public client's.
      authMethod: document.authMethod ?? 'none',
      name: document.name,
      clientUri: null,
      redirectUris: document.redirectUris,
      jwks: document.jwks ?? null,
      jwksUri: document.jwksUri ?? null,
      refreshes: document.refreshes ?? false,
      postLogoutRedirectUris: document.postLogoutRedirectUris ?? [],
      applicationType: null,
      idTokenAlg: alg.idTokenAlg,
      createdAt: document.fetchedAt,
      lastUsedAt: now(),
    }
  }

  private async fetch(clientId: string, url: URL, digest: string): Promise<ClientDocument | null> {
    let answer: { json: unknown; headers: Headers }
    try {
      answer = await fetchJson(url, { maxBytes: DOCUMENT_MAX_BYTES })
    } catch (err) {
      if (!(err instanceof OutboundError)) throw err
      return this.refuse(clientId, `fetch failed: ${err.reason}`)
    }
    const checked = checkDocument(clientId, answer.json)
    if ('refused' in checked) return this.refuse(clientId, checked.refused)
    const document = { ...checked, fetchedAt: now() }
    const ttl = cacheSeconds(answer.headers.get('cache-control'))
    if (ttl > 0) await this.deps.documents.put(digest, document, ttl)
    return document
  }

  private refuse(clientId: string, reason: string): null {
    log.warn('client_document_refused', {
      requestId: this.deps.requestId,
      host: URL.canParse(clientId) ? new URL(clientId).host : undefined,
      reason,
    })
    return null
  }
}
