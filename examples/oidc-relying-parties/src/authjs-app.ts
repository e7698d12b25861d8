// A tiny Node app that signs people in with Auth.js (@auth/core) and edge-auth as its one
// OpenID Provider: POST /auth/signin/edge-auth (with Auth.js's CSRF token) redirects to
// edge-auth's /authorize; edge-auth returns to /auth/callback/edge-auth; Auth.js checks state,
// PKCE and nonce, exchanges the code, validates the ID token and sets its session cookie (a JWT
// session, no database); GET /auth/session shows who is signed in.
import { Auth, type AuthConfig } from '@auth/core'
import { serve, type RunningApp } from './serve'

export type OidcClient = {
  /** edge-auth's URL, exactly as its discovery document's `issuer`. */
  issuer: string
  clientId: string
  clientSecret: string
}

/** The Auth.js configuration docs/openid-provider.md shows. `secret` encrypts its cookies. */
export function authJsConfig({ issuer, clientId, clientSecret }: OidcClient, secret: string) {
  return {
    basePath: '/auth',
    // The app trusts the Host header it is served under (here, its loopback address).
    trustHost: true,
    secret,
    session: { strategy: 'jwt' },
    providers: [
      {
        id: 'edge-auth',
        name: 'edge-auth',
        type: 'oidc',
        issuer,
        clientId,
        clientSecret,
        // PKCE (S256), state and nonce: edge-auth requires PKCE of public clients.
        checks: ['pkce', 'state', 'nonce'],
        authorization: { params: { scope: 'openid profile email' } },
        // What the registration answered edge-auth signs this app's ID tokens with (RS256,
        // OpenID Connect's default); anything else is refused.
        client: { id_token_signed_response_alg: 'RS256' },
      },
    ],
    callbacks: {
      // Auth.js gives each sign-in a random user id; keep edge-auth's stable `sub` instead.
      jwt({ token, profile }) {
        if (profile) {
          token.sub = profile.sub ?? undefined
          token.preferred_username = profile.preferred_username
        }
        return token
      },
      // GET /auth/session then shows edge-auth's `sub` and username next to name and email.
      session({ session, token }) {
        const { sub, preferred_username } = token
        return { ...session, user: { ...session.user, id: sub, preferred_username } }
      },
    },
  } satisfies AuthConfig
}

/** Serves the app on 127.0.0.1:`port`; Auth.js answers everything under /auth. */
export function startAuthJsApp(client: OidcClient, port: number): Promise<RunningApp> {
  const config = authJsConfig(
    client,
    Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex'),
  )
  return serve(async (request) => {
    if (new URL(request.url).pathname.startsWith('/auth/')) return Auth(request, config)
    return new Response('signed-in app\n', { headers: { 'content-type': 'text/plain' } })
  }, port)
}
