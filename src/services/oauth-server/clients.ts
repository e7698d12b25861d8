// OAuth clients: dynamic registration (RFC 7591), finding a client for an authorization request,
// and authenticating one at the token endpoint. Knows nothing of Hono or bindings.
import { now } from '../../clock'
import { ApiError } from '../../errors'
import {
  randomBytes,
  sha256Base64Url,
  timingSafeEqual,
  toBase64Url,
  utf8,
} from '../../auth/encoding'
import type { ClientAuthMethod, OAuthClient, OAuthClientStore } from '../../store/oauth-clients'
import type { CeremonyUses } from '../../store/ceremony-uses'
import {
  ASSERTION_TYPE,
  assertedClientId,
  checkClientKeys,
  verifyClientAssertion,
} from './client-assertions'
import { type ClientDocumentDeps, ClientDocuments, isDocumentClientId } from './client-documents'
import type { Config } from '../../env'
import { asymmetricKeysRequired } from '../../auth/resource-tokens'
import { type IdTokenAlg, idTokenAlgs, idTokenRing } from '../../auth/id-tokens'
import {
  type OpenIdMetadata,
  checkClientName,
  checkGrants,
  checkOpenIdMetadata,
  checkRedirectUris,
} from './client-metadata'

/** A registered client no one has granted anything, unused this long, is gone: it registers again. */
export const CLIENT_IDLE_LIMIT_MS = 30 * 24 * 3600 * 1000

/** How often a client's last use is written: once a day is enough to keep it from lapsing. */
const LAST_USE_GRANULARITY_MS = 24 * 3600 * 1000

export const SUPPORTED_AUTH_METHODS: ClientAuthMethod[] = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
]

/** RFC 7591 §2 (and OIDC Registration) metadata this service reads; the rest is ignored. */
export type ClientMetadata = OpenIdMetadata & {
  redirect_uris: string[]
  token_endpoint_auth_method?: string
  grant_types?: string[]
  response_types?: string[]
  client_name?: string
  client_uri?: string
  /** private_key_jwt: the public keys, inline (a JWK set) or by URL. */
  jwks?: unknown
  jwks_uri?: string
}

/** RFC 7591 §3.2.1: the client's id, its secret (shown once), and its metadata as registered. */
export type RegisteredClient = {
  client_id: string
  client_secret?: string
  client_id_issued_at: number
  client_secret_expires_at?: 0
  redirect_uris: string[]
  token_endpoint_auth_method: ClientAuthMethod
  grant_types: string[]
  response_types: string[]
  client_name?: string
  client_uri?: string
  jwks?: { keys: JsonWebKey[] }
  jwks_uri?: string
  post_logout_redirect_uris?: string[]
  application_type?: 'web' | 'native'
  /** What ID tokens for it are signed with: as asked, else RS256 when offered, else the ring's. */
  id_token_signed_response_alg: IdTokenAlg
}

/** How a token request authenticated: what it sent, read from the form and the header. */
export type ClientCredentials = {
  /** client_id in the form. */
  clientId?: string
  /** client_secret in the form (client_secret_post). */
  clientSecret?: string
  /** The Authorization header's Basic credentials (client_secret_basic), decoded. */
  basic?: { id: string; secret: string }
  /** client_assertion_type and client_assertion (private_key_jwt). */
  assertion?: { type: string; value: string }
}

const unknownClient = () =>
  new ApiError(
    'invalid_client',
    'The client is unknown or its authentication failed; a registered client that lapsed registers again',
  )

const metadataError = (detail: string) => new ApiError('invalid_client_metadata', detail)

export type ClientDeps = ClientDocumentDeps & {
  clients: OAuthClientStore
  ceremonies: CeremonyUses
  defer: (task: Promise<unknown>) => void
  /** What a client assertion's `aud` may name: the issuer and the token endpoint. */
  assertionAudiences: () => string[]
  /** Which algorithms an ID token may be signed with. */
  config: () => Promise<Config>
}

/** The client ids a request names: the form's, the Basic header's, the assertion's `sub`. */
const namedIds = ({ clientId, basic, assertion }: ClientCredentials): string[] =>
  [clientId, basic?.id, assertion ? assertedClientId(assertion.value) : undefined].filter(
    (id): id is string => id !== undefined,
  )

/**
 * The client a request claims to be, before it is authenticated: only to read ahead (the
 * refresh token's records) while authenticate() runs; authenticate() decides.
 */
export const claimedClientId = (credentials: ClientCredentials): string =>
  namedIds(credentials)[0] ?? ''

export class ClientService {
  constructor(private readonly deps: ClientDeps) {}

  async register(metadata: ClientMetadata): Promise<RegisteredClient> {
    const method = (metadata.token_endpoint_auth_method ??
      'client_secret_basic') as ClientAuthMethod
    if (!SUPPORTED_AUTH_METHODS.includes(method)) {
      throw metadataError(
        `token_endpoint_auth_method must be one of ${SUPPORTED_AUTH_METHODS.join(', ')}`,
      )
    }
    const grants = checkGrants(metadata.grant_types, metadata.response_types)
    if ('refused' in grants) throw metadataError(grants.refused)
    const uris = checkRedirectUris(metadata.redirect_uris)
    if ('refused' in uris) {
      throw uris.redirect
        ? new ApiError('invalid_redirect_uri', uris.refused)
        : metadataError(uris.refused)
    }
    const named = checkClientName(metadata.client_name)
    if ('refused' in named) throw metadataError(named.refused)
    const clientUri = metadata.client_uri
    if (
      clientUri !== undefined &&
      (!URL.canParse(clientUri) || new URL(clientUri).protocol !== 'https:')
    ) {
      throw metadataError('client_uri must be an https URL')
    }
    const keys =
      method === 'private_key_jwt'
        ? checkClientKeys(metadata.jwks, metadata.jwks_uri)
        : { jwks: null, jwksUri: null }
    if ('refused' in keys) throw metadataError(keys.refused)
    const cfg = await this.deps.config()
    // The authorization server is off with HS256: nothing registers without an asymmetric key.
    if (cfg.signing.alg === 'HS256') throw asymmetricKeysRequired()
    const openId = checkOpenIdMetadata(metadata, uris.redirectUris, idTokenAlgs(cfg))
    if ('refused' in openId) {
      throw openId.redirect
        ? new ApiError('invalid_redirect_uri', openId.refused)
        : metadataError(openId.refused)
    }
    // The keys must import before a client is promised their algorithm (a bad OIDC_RSA_KEYS
    // fails here, naming the setting, not at its first sign-in).
    await idTokenRing(openId.idTokenAlg, cfg)
    const at = now()
    const hasSecret = method === 'client_secret_basic' || method === 'client_secret_post'
    const secret = hasSecret ? toBase64Url(randomBytes(32)) : undefined
    const client: OAuthClient = {
      id: toBase64Url(randomBytes(16)),
      secretHash: secret === undefined ? null : await sha256Base64Url(secret),
      authMethod: method,
      name: named.name,
      clientUri: clientUri ?? null,
      redirectUris: uris.redirectUris,
      ...keys,
      refreshes: grants.refreshes,
      ...openId,
      createdAt: at,
      lastUsedAt: at,
    }
    await this.deps.clients.create(client)
    return {
      client_id: client.id,
      ...(secret === undefined
        ? {}
        : { client_secret: secret, client_secret_expires_at: 0 as const }),
      client_id_issued_at: Math.floor(at / 1000),
      redirect_uris: client.redirectUris,
      token_endpoint_auth_method: method,
      grant_types: grants.grantTypes,
      response_types: ['code'],
      ...(client.name === null ? {} : { client_name: client.name }),
      ...(client.clientUri === null ? {} : { client_uri: client.clientUri }),
      ...(keys.jwks === null ? {} : { jwks: { keys: keys.jwks } }),
      ...(keys.jwksUri === null ? {} : { jwks_uri: keys.jwksUri }),
      ...(openId.postLogoutRedirectUris.length === 0
        ? {}
        : { post_logout_redirect_uris: openId.postLogoutRedirectUris }),
      ...(openId.applicationType === null ? {} : { application_type: openId.applicationType }),
      id_token_signed_response_alg: openId.idTokenAlg,
    }
  }

  /**
   * A client that may act now: registered and not lapsed, or described by the metadata document
   * its https client_id names. Null otherwise.
   */
  async find(clientId: string): Promise<OAuthClient | null> {
    if (isDocumentClientId(clientId)) return new ClientDocuments(this.deps).resolve(clientId)
    if (clientId.length === 0 || clientId.length > 256) return null
    const client = await this.deps.clients.find(clientId)
    if (!client) return null
    if (!client.granted && client.lastUsedAt < now() - CLIENT_IDLE_LIMIT_MS) return null
    return client
  }

  /**
   * The client a token request authenticated as, by the method it registered: a public client
   * names itself and sends no secret; a confidential one proves its secret the registered way.
   * Anything else is invalid_client, the same answer whatever failed.
   */
  async authenticate(credentials: ClientCredentials): Promise<OAuthClient> {
    const { clientSecret, basic, assertion } = credentials
    // RFC 6749 §2.3: one method per request; two are refused, never one of them chosen.
    const methods = [assertion, basic, clientSecret].filter((m) => m !== undefined).length
    if (methods > 1) throw unknownClient()
    if (assertion && assertion.type !== ASSERTION_TYPE) {
      throw new ApiError('invalid_client', `client_assertion_type must be ${ASSERTION_TYPE}`)
    }
    const ids = namedIds(credentials)
    // Every place that names the client must name the same one.
    if (ids.some((id) => id !== ids[0])) throw unknownClient()
    const id = ids[0]
    if (id === undefined) throw new ApiError('invalid_client', 'client_id is required')
    const client = await this.find(id)
    if (!client) throw unknownClient()
    // A credential sent another way than registered (or by a public client) is refused, not ignored.
    const sent = assertion
      ? 'private_key_jwt'
      : basic
        ? 'client_secret_basic'
        : clientSecret !== undefined
          ? 'client_secret_post'
          : 'none'
    // RFC 6749 §2.3.1: Basic MUST work for every client given a secret, whichever it registered.
    const allowed =
      sent === client.authMethod ||
      (sent === 'client_secret_basic' && client.authMethod === 'client_secret_post')
    if (!allowed) throw unknownClient()
    if (sent === 'private_key_jwt') {
      await verifyClientAssertion(
        client,
        assertion!.value,
        this.deps.assertionAudiences(),
        this.deps.ceremonies,
      )
    } else if (sent !== 'none') {
      const presented = sent === 'client_secret_basic' ? basic!.secret : clientSecret!
      if (client.secretHash === null) throw unknownClient()
      const digest = await sha256Base64Url(presented)
      if (!timingSafeEqual(utf8(digest), utf8(client.secretHash))) throw unknownClient()
    }
    return client
  }

  /** Records that the client was used (at most once a day), after the response. */
  used(client: OAuthClient): void {
    if (isDocumentClientId(client.id)) return
    const at = now()
    if (at - client.lastUsedAt >= LAST_USE_GRANULARITY_MS) {
      this.deps.defer(this.deps.clients.touch(client.id, at))
    }
  }
}
