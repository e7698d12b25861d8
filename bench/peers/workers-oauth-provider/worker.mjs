// @cloudflare/workers-oauth-provider 1.2.3 as its README's "One Worker: OAuthProvider" section sets
// it up: the provider owns the token and registration endpoints and guards `apiRoute`; the
// app's `defaultHandler` owns /authorize. Storage is the `OAUTH_KV` namespace, taken from the
// `env` the provider is handed on each request.
import { AuthorizationError, OAuthProvider } from '@cloudflare/workers-oauth-provider'

// The canonical resource (RFC 8707 audience) must be a fixed URL known at construction. The
// package accepts http only on a loopback host, "so wrangler dev works at
// http://localhost:8787" (docs/authorization-server.md); the bench sends `Host: localhost:8787`
// so the worker sees the URL a deployment would. Tokens are checked against the request URL.
const RESOURCE = 'http://localhost:8787/api'

// The one user the bench signs in. The provider is not an identity provider: who the user is
// and whether they consent is the app's business, so this app approves at once.
const BENCH_USER = { id: 'bench-user', username: 'bench' }

/** The protected API: the provider has looked up and checked the token, then decrypted props. */
const apiHandler = {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    if (request.method === 'GET' && url.pathname === '/api/users') {
      // Like edge-auth's GET /users: the caller's public record, a one-element list.
      return Response.json([{ id: ctx.props.userId, username: ctx.props.username }], {
        headers: { 'cache-control': 'no-store' },
      })
    }
    return new Response('Not found', { status: 404 })
  },
}

const escape = (value) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

/** The app's own routes: /authorize, approved without a page for the fixed bench user. */
const defaultHandler = {
  async fetch(request, env) {
    const url = new URL(request.url)
    if (url.pathname !== '/authorize') return new Response('Not found', { status: 404 })
    try {
      const oauthRequest = await env.OAUTH_PROVIDER.parseAuthRequest(request)
      const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({
        request: oauthRequest,
        userId: BENCH_USER.id,
        metadata: { label: 'bench' },
        scope: oauthRequest.scope,
        props: { userId: BENCH_USER.id, username: BENCH_USER.username },
        // One user, many concurrent sessions (the bench's refresh chains), as edge-auth allows.
        // By default a new authorization revokes the user's earlier grants for the same client.
        revokeExistingGrants: false,
      })
      return Response.redirect(redirectTo, 302)
    } catch (error) {
      // The error handling of docs/consent-page.md.
      if (error instanceof AuthorizationError && error.redirectTo) {
        return Response.redirect(error.redirectTo, 302)
      }
      if (error instanceof AuthorizationError) {
        return new Response(escape(error.description), {
          status: 400,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
        })
      }
      throw error
    }
  },
}

export default new OAuthProvider({
  apiRoute: '/api/',
  apiHandler,
  defaultHandler,
  authorizeEndpoint: '/authorize',
  tokenEndpoint: '/token',
  clientRegistrationEndpoint: '/register',
  scopesSupported: ['profile'],
  resourceMetadata: { resource: RESOURCE, authorization_servers: ['http://localhost:8787'] },
  // Lifetimes are the defaults: access tokens 1 hour, refresh grants 30 days (not sliding),
  // DCR clients 90 days.
})
