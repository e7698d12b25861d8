// Clients' metadata documents (Client ID Metadata Documents) cached in KV: the only code that
// reads or writes those records. What is cached was fetched and checked (services/oauth-server/
// client-documents.ts); it lives as long as the document's own Cache-Control allows, within KV's
// floor of 60 seconds and a day.
import { KV_MIN_EXPIRATION_TTL_SECONDS } from '../env'
import { guarded } from './errors'
import { kvKeys } from './keys'

/** A checked document, as the authorization server uses it. */
export type ClientDocument = {
  clientId: string
  name: string | null
  redirectUris: string[]
  /** `private_key_jwt` (with keys, inline or by URL), or `none`. */
  authMethod: 'none' | 'private_key_jwt'
  jwks: JsonWebKey[] | null
  jwksUri: string | null
  /** Its grant_types name refresh_token (absent: authorization_code only, RFC 7591). */
  refreshes: boolean
  /** RP-initiated logout's post_logout_redirect_uris (absent in documents cached before). */
  postLogoutRedirectUris?: string[]
  /**
   * The id_token_signed_response_alg it names, null for none (then the default when used);
   * absent in documents cached before, read as none.
   */
  idTokenAlg?: 'RS256' | 'ES256' | 'EdDSA' | null
  /** Epoch ms it was fetched. */
  fetchedAt: number
}

export type ClientDocumentStore = ReturnType<typeof clientDocumentStore>

export function clientDocumentStore(kv: KVNamespace) {
  return {
    get: (urlDigest: string) =>
      guarded('kv', 'get client document', () =>
        kv.get<ClientDocument>(kvKeys.clientDocument(urlDigest), 'json'),
      ),

    put: (urlDigest: string, document: ClientDocument, ttlSeconds: number) =>
      guarded('kv', 'put client document', () =>
        kv.put(kvKeys.clientDocument(urlDigest), JSON.stringify(document), {
          expirationTtl: Math.max(KV_MIN_EXPIRATION_TTL_SECONDS, ttlSeconds),
        }),
      ),
  }
}
