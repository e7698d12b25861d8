// Discovery documents: the public signing keys (RFC 7517) and the authorization server metadata
// (RFC 8414), so other services and OAuth libraries need no configuration beyond the URL.
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { publicSigningKeys } from '../auth/access-tokens'
import { type AppEnv, loadConfig } from '../env'

/** Verifiers cache the key set this long; a new key is published at least this long before it signs. */
export const JWKS_MAX_AGE_SECONDS = 300

export const wellKnownRoutes = new Hono<AppEnv>()
  // Public documents holding nothing secret: any origin may read them.
  .use('/.well-known/*', cors({ origin: '*', allowMethods: ['GET'] }))
  .get('/.well-known/jwks.json', async (c) => {
    const cfg = loadConfig(c.env, new URL(c.req.url).origin)
    const keys = await publicSigningKeys(cfg)
    return c.json({ keys }, 200, {
      'Cache-Control': `public, max-age=${JWKS_MAX_AGE_SECONDS}`,
    })
  })
  .get('/.well-known/oauth-authorization-server', (c) => {
    const origin = new URL(c.req.url).origin
    const cfg = loadConfig(c.env, origin)
    const url = (path: string) => new URL(path, origin).href
    return c.json(
      {
        // RFC 8414 §3.3: clients refuse metadata whose issuer is not the URL they asked.
        issuer: cfg.issuer,
        token_endpoint: url('/oauth/token'),
        revocation_endpoint: url('/oauth/revoke'),
        jwks_uri: url('/.well-known/jwks.json'),
        // No authorization endpoint: first-party login is POST /login (RFC 9700 §2.4).
        response_types_supported: [],
        grant_types_supported: ['refresh_token'],
        token_endpoint_auth_methods_supported: ['none'],
        revocation_endpoint_auth_methods_supported: ['none'],
        service_documentation: url('/docs'),
      },
      200,
      { 'Cache-Control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` },
    )
  })
