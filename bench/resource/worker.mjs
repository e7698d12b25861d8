// The resource side of the authorization server (bench/authorization-server.mjs): the least a
// Worker does to accept edge-auth's RFC 9068 access tokens, with edge-auth/resource as a resource
// server would use it (from its source, resource/index.ts, as `npm pack` builds it).
//   GET /notes  authenticate() the bearer token for `notes:read` (signature against the issuer's
//               JWKS, fetched from edge-auth once and then cached in the isolate; typ, iss, aud,
//               times, scope), then a small JSON answer naming the caller
// ISSUER and RESOURCE are bindings: edge-auth's origin (its JWT_ISSUER) and the resource it
// issues the tokens for.
import { protectedResource } from '../../resource/index.ts'

/** Built once per isolate, like a real resource's: its key cache is what keeps the check warm. */
let guard = null

export default {
  async fetch(request, env) {
    const url = new URL(request.url)
    if (request.method !== 'GET' || url.pathname !== '/notes') {
      return new Response('Not found', { status: 404 })
    }
    guard ??= protectedResource({
      issuer: env.ISSUER,
      resource: env.RESOURCE,
      scopes: ['notes:read', 'notes:write'],
      name: 'Bench notes',
    })
    const auth = await guard.authenticate(request, { scopes: ['notes:read'] })
    if (!auth.ok) return auth.response
    // Like edge-auth's GET /users and the peer's /api/users: the caller, a one-element list.
    return Response.json([{ sub: auth.token.sub, clientId: auth.token.clientId }], {
      headers: { 'cache-control': 'no-store' },
    })
  },
}
