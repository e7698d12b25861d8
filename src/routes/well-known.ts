// Discovery documents: the public signing keys (RFC 7517) and the authorization server metadata
// (RFC 8414), so other services and OAuth libraries need no configuration beyond the URL.
import * as z from 'zod'
import { cors } from 'hono/cors'
import { publicSigningKeys } from '../auth/access-tokens'
import { idTokenAlgs } from '../auth/id-tokens'
import { publicBase, requestConfig, settings } from '../env'
import { ApiError } from '../errors'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import { CONFIG_ERRORS, jsonContent, problems } from '../http/openapi'
import { ASSERTION_ALGS } from '../services/oauth-server/client-assertions'
import { CLAIMS_SUPPORTED, OPENID_SCOPES, userInfoEndpoint } from '../services/oauth-server/openid'
import { authorizationServer } from './services'

/** Verifiers cache the key set this long; a new key is published at least this long before it signs. */
export const JWKS_MAX_AGE_SECONDS = 300

// Public documents holding nothing secret: any origin may read them.
const anyOrigin = cors({ origin: '*', allowMethods: ['GET'] })

const cacheable = { 'Cache-Control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` }

const JwksSchema = z
  .object({
    keys: z.array(
      z.object({
        kid: z.string(),
        kty: z.enum(['EC', 'OKP', 'RSA']),
        crv: z.enum(['P-256', 'Ed25519']).optional(),
        x: z.string().optional(),
        y: z.string().optional(),
        n: z.string().optional().meta({ description: 'RSA (RS256, ID tokens only): the modulus' }),
        e: z.string().optional().meta({ description: 'RSA: the public exponent' }),
        alg: z.enum(['ES256', 'EdDSA', 'RS256']),
        use: z.literal('sig'),
      }),
    ),
  })
  .meta({ id: 'JWKS' })

const MetadataSchema = z
  .object({
    issuer: z.string(),
    authorization_endpoint: z.string().url().optional(),
    token_endpoint: z.string().url(),
    registration_endpoint: z.string().url().optional(),
    revocation_endpoint: z.string().url(),
    jwks_uri: z.string().url(),
    response_types_supported: z.array(z.string()),
    grant_types_supported: z.array(z.string()),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    revocation_endpoint_auth_methods_supported: z.array(z.string()),
    code_challenge_methods_supported: z.array(z.literal('S256')).optional(),
    token_endpoint_auth_signing_alg_values_supported: z.array(z.string()).optional(),
    scopes_supported: z.array(z.string()).optional(),
    authorization_response_iss_parameter_supported: z.boolean().optional(),
    client_id_metadata_document_supported: z.boolean().optional(),
    service_documentation: z.string().url(),
    // OpenID Connect Discovery 1.0 §3, published in both documents so they cannot disagree.
    userinfo_endpoint: z.string().url().optional(),
    end_session_endpoint: z.string().url().optional(),
    id_token_signing_alg_values_supported: z.array(z.enum(['RS256', 'ES256', 'EdDSA'])).optional(),
    subject_types_supported: z.array(z.literal('public')).optional(),
    claims_supported: z.array(z.string()).optional(),
    prompt_values_supported: z.array(z.string()).optional(),
    response_modes_supported: z.array(z.string()).optional(),
    claims_parameter_supported: z.boolean().optional(),
    request_parameter_supported: z.boolean().optional(),
    request_uri_parameter_supported: z.boolean().optional(),
  })
  .meta({ id: 'AuthorizationServerMetadata' })

const jwks = createRoute({
  method: 'get',
  path: '/.well-known/jwks.json',
  operationId: 'getJwks',
  summary: 'The public keys that verify access tokens and ID tokens (empty with HS256)',
  tags: ['discovery'],
  middleware: [anyOrigin] as const,
  responses: {
    200: jsonContent(JwksSchema, 'JSON Web Key Set (RFC 7517)'),
    ...problems(CONFIG_ERRORS),
  },
})

const metadata = createRoute({
  method: 'get',
  path: '/.well-known/oauth-authorization-server',
  operationId: 'getAuthorizationServerMetadata',
  summary: 'OAuth 2.0 authorization server metadata (RFC 8414)',
  tags: ['discovery'],
  middleware: [anyOrigin] as const,
  responses: {
    200: jsonContent(MetadataSchema, 'Where the endpoints and keys are'),
    ...problems(CONFIG_ERRORS),
  },
})

const openIdConfiguration = createRoute({
  method: 'get',
  path: '/.well-known/openid-configuration',
  operationId: 'getOpenIdConfiguration',
  summary: 'OpenID Connect Discovery 1.0: the same document as RFC 8414, for relying parties',
  tags: ['discovery'],
  middleware: [anyOrigin] as const,
  responses: {
    200: jsonContent(MetadataSchema, 'Where the endpoints and keys are'),
    ...problems(['authorization_server_unavailable', ...CONFIG_ERRORS]),
  },
})

/** Whether the authorization server is on: its endpoints are then listed. */
function authorizationServerOn(c: Parameters<typeof authorizationServer>[0]): boolean {
  try {
    authorizationServer(c)
    return true
  } catch (err) {
    if (err instanceof ApiError && err.code === 'authorization_server_unavailable') return false
    throw err
  }
}

/**
 * The metadata: the first-party endpoints, and, when the authorization server is on, its own and
 * the OpenID Provider's (null `server` then says it is off).
 */
function metadataOf(c: Parameters<typeof authorizationServer>[0]) {
  const cfg = requestConfig(c)
  // Under JWT_ISSUER when it is set to a URL; else under the origin asked, which then varies
  // the answer (an issuer such as "edge-auth" names tokens but cannot hold endpoints).
  const { base, fromHost } = publicBase(c)
  const url = (path: string) => base + path
  if (fromHost) c.header('Vary', 'Host', { append: true })
  const common = {
    // RFC 8414 §3.3: clients refuse metadata whose issuer is not the URL they asked.
    issuer: cfg.issuer,
    token_endpoint: url('/oauth/token'),
    revocation_endpoint: url('/oauth/revoke'),
    jwks_uri: url('/.well-known/jwks.json'),
    service_documentation: url('/docs'),
  }
  // The authorization server needs a fixed issuer (JWT_ISSUER) and keys a resource can verify
  // with the JWKS; without them only the user's own apps' endpoints are listed.
  if (!authorizationServerOn(c)) {
    return {
      on: false as const,
      document: {
        ...common,
        // No authorization endpoint: first-party login is POST /login (RFC 9700 §2.4).
        response_types_supported: [],
        grant_types_supported: ['refresh_token'],
        token_endpoint_auth_methods_supported: ['none'],
        revocation_endpoint_auth_methods_supported: ['none'],
      },
    }
  }
  const resourceScopes = settings(c.env).protectedResources.flatMap((r) => r.scopes)
  const methods = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt']
  return {
    on: true as const,
    document: {
      ...common,
      authorization_endpoint: url('/authorize'),
      registration_endpoint: url('/oauth/register'),
      // The very URL UserInfo tokens name as their audience.
      userinfo_endpoint: userInfoEndpoint(authorizationServer(c)),
      end_session_endpoint: url('/end-session'),
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: methods,
      revocation_endpoint_auth_methods_supported: methods,
      token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGS],
      code_challenge_methods_supported: ['S256' as const],
      scopes_supported: [...new Set([...OPENID_SCOPES, ...resourceScopes])],
      claims_supported: CLAIMS_SUPPORTED,
      // RS256 first when OIDC_RSA_KEYS is set: OpenID Connect's default, which clients that
      // register no algorithm get.
      id_token_signing_alg_values_supported: idTokenAlgs(cfg),
      subject_types_supported: ['public' as const],
      prompt_values_supported: ['none', 'login', 'consent'],
      claims_parameter_supported: false,
      request_parameter_supported: false,
      // Discovery's default is true: an OP without it must say so.
      request_uri_parameter_supported: false,
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
    },
  }
}

export const wellKnownRoutes = documentedRoutes()
  .openapi(jwks, async (c) => {
    return c.json({ keys: await publicSigningKeys(requestConfig(c)) }, 200, cacheable)
  })
  .openapi(metadata, (c) => c.json(metadataOf(c).document, 200, cacheable))
  .openapi(openIdConfiguration, (c) => {
    const { on, document } = metadataOf(c)
    // An OpenID Provider needs the authorization server: the 503 names the setting it lacks.
    if (!on) authorizationServer(c)
    return c.json(document, 200, cacheable)
  })
