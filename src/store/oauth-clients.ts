// Registered OAuth clients (RFC 7591) in D1: the only code that reads or writes oauth_clients.
import { guarded } from './errors'
import { purgeSome } from './purge'

export type ClientAuthMethod =
  'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'

/** What the client's ID tokens are signed with (OIDC Registration's id_token_signed_response_alg). */
export type ClientIdTokenAlg = 'RS256' | 'ES256' | 'EdDSA'

/** A registered client. Times are epoch ms. */
export type OAuthClient = {
  id: string
  /** SHA-256 (base64url) of the secret; null for a public client. */
  secretHash: string | null
  authMethod: ClientAuthMethod
  name: string | null
  clientUri: string | null
  redirectUris: string[]
  /** private_key_jwt: the client's public keys, inline or by URL (one of the two). */
  jwks: JsonWebKey[] | null
  jwksUri: string | null
  /** It registered the refresh_token grant (RFC 7591 grant_types): it gets refresh tokens. */
  refreshes: boolean
  /** RP-initiated logout: where the browser may go after signing out (exact match). */
  postLogoutRedirectUris: string[]
  /** OIDC Registration's application_type, when the client sent one. */
  applicationType: 'web' | 'native' | null
  /**
   * The algorithm its ID tokens are signed with, as registered; null for a client registered
   * before the choice existed, which was promised the access tokens' algorithm.
   */
  idTokenAlg: ClientIdTokenAlg | null
  createdAt: number
  lastUsedAt: number
}

type Row = {
  id: string
  secret_hash: string | null
  auth_method: ClientAuthMethod
  name: string | null
  client_uri: string | null
  redirect_uris: string
  jwks: string | null
  jwks_uri: string | null
  refreshes: number
  post_logout_redirect_uris: string | null
  application_type: 'web' | 'native' | null
  id_token_alg: ClientIdTokenAlg | null
  created_at: number
  last_used_at: number
  /** Whether any user's grant names the client (a client in use never lapses). */
  granted: number
}

const toClient = (row: Row): OAuthClient & { granted: boolean } => ({
  id: row.id,
  secretHash: row.secret_hash,
  authMethod: row.auth_method,
  name: row.name,
  clientUri: row.client_uri,
  redirectUris: JSON.parse(row.redirect_uris) as string[],
  jwks: row.jwks === null ? null : (JSON.parse(row.jwks) as JsonWebKey[]),
  jwksUri: row.jwks_uri,
  refreshes: row.refreshes === 1,
  postLogoutRedirectUris:
    row.post_logout_redirect_uris === null
      ? []
      : (JSON.parse(row.post_logout_redirect_uris) as string[]),
  applicationType: row.application_type,
  idTokenAlg: row.id_token_alg,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  granted: row.granted === 1,
})

export type OAuthClientStore = ReturnType<typeof oauthClientStore>

export function oauthClientStore(db: D1Database) {
  return {
    create: (client: OAuthClient) =>
      guarded('d1', 'insert client', () =>
        db
          .prepare(
            `INSERT INTO oauth_clients (id, secret_hash, auth_method, name, client_uri, redirect_uris,
               jwks, jwks_uri, refreshes, post_logout_redirect_uris, application_type, id_token_alg,
               created_at, last_used_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .bind(
            client.id,
            client.secretHash,
            client.authMethod,
            client.name,
            client.clientUri,
            JSON.stringify(client.redirectUris),
            client.jwks === null ? null : JSON.stringify(client.jwks),
            client.jwksUri,
            client.refreshes ? 1 : 0,
            client.postLogoutRedirectUris.length === 0
              ? null
              : JSON.stringify(client.postLogoutRedirectUris),
            client.applicationType,
            client.idTokenAlg,
            client.createdAt,
            client.lastUsedAt,
          )
          .run(),
      ),

    /** The client, and whether a grant names it; null when it was never registered or is purged. */
    async find(id: string): Promise<(OAuthClient & { granted: boolean }) | null> {
      const row = await guarded('d1', 'find client', () =>
        db
          .prepare(
            `SELECT c.*, EXISTS (SELECT 1 FROM oauth_grants g WHERE g.client_id = c.id) AS granted
             FROM oauth_clients c WHERE c.id = ?`,
          )
          .bind(id)
          .first<Row>(),
      )
      return row ? toClient(row) : null
    },

    /**
     * Deletes up to `limit` clients nobody has a grant with, unused since `idleBefore`: the
     * service already answers them as gone (ClientService.find), so they would register again.
     */
    purgeIdle: (idleBefore: number, limit: number) =>
      purgeSome(
        db,
        'oauth_clients',
        'last_used_at < ? AND NOT EXISTS (SELECT 1 FROM oauth_grants WHERE oauth_grants.client_id = oauth_clients.id)',
        [idleBefore],
        limit,
      ),

    /** Moves the last use forward only (a late write cannot move it back). */
    touch: (id: string, at: number) =>
      guarded('d1', 'touch client', () =>
        db
          .prepare('UPDATE oauth_clients SET last_used_at = MAX(last_used_at, ?) WHERE id = ?')
          .bind(at, id)
          .run(),
      ),
  }
}
