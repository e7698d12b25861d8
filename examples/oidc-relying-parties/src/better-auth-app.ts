// A tiny Node app that signs people in with better-auth's genericOAuth plugin and edge-auth as
// the OpenID Provider, found by discovery: POST /api/auth/sign-in/social {provider, callbackURL}
// answers edge-auth's /authorize URL; edge-auth returns to /api/auth/callback/edge-auth;
// better-auth checks state, sends the PKCE verifier, verifies the ID token against edge-auth's
// JWKS (RS256, issuer, audience, nonce) and starts its own session; GET /api/auth/get-session
// shows the user. Users, accounts and sessions live in memory.
import { betterAuth } from 'better-auth'
import { memoryAdapter } from 'better-auth/adapters/memory'
import { genericOAuth } from 'better-auth/plugins'
import type { OidcClient } from './authjs-app'
import { serve, type RunningApp } from './serve'

/** The better-auth configuration docs/openid-provider.md shows, for the app at `baseURL`. */
export function betterAuthConfig(
  { issuer, clientId, clientSecret }: OidcClient,
  baseURL: string,
  secret: string,
) {
  return {
    baseURL,
    basePath: '/api/auth',
    secret,
    database: memoryAdapter({ user: [], session: [], account: [], verification: [] }),
    plugins: [
      genericOAuth({
        config: [
          {
            providerId: 'edge-auth',
            discoveryUrl: `${issuer}/.well-known/openid-configuration`,
            // Refuse to start the provider without the issuer and JWKS that ID tokens are checked with.
            requireIdTokenVerification: true,
            clientId,
            clientSecret,
            // better-auth's default: the secret in the token request's body (client_secret_post).
            authentication: 'post' as const,
            scopes: ['openid', 'profile', 'email'],
            pkce: true,
            // edge-auth releases a username, and a name only if the user has one.
            mapProfileToUser: (profile: Record<string, unknown>) => ({
              name: String(profile.name ?? profile.preferred_username ?? ''),
            }),
          },
        ],
      }),
    ],
  }
}

/** Serves the app on 127.0.0.1:`port`; better-auth answers everything under /api/auth. */
export function startBetterAuthApp(client: OidcClient, port: number): Promise<RunningApp> {
  const baseURL = `http://127.0.0.1:${port}`
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex')
  const auth = betterAuth(betterAuthConfig(client, baseURL, secret))
  return serve(async (request) => {
    if (new URL(request.url).pathname.startsWith('/api/auth/')) return auth.handler(request)
    return new Response('signed-in app\n', { headers: { 'content-type': 'text/plain' } })
  }, port)
}
