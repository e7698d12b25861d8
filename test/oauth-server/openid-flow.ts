// A relying party of the worker as an OpenID Provider, as oauth4webapi plays it: discovery by
// OpenID Connect Discovery, the code flow with PKCE and a nonce, the ID token validated (its
// signature too, against the JWKS), and the browser's way to RP-initiated logout.
import { expect } from 'vitest'
import * as oauth from 'oauth4webapi'
import { ORIGIN, cookieSession } from '../helpers'
import { toBase64Url } from '../../src/auth/encoding'
import {
  AS_ENV,
  REDIRECT_URI,
  authorizeAs,
  browse,
  cookieHeader,
  options,
  registerApp,
} from './flow'

/** Where the relying party registers to land after signing out. */
export const LOGOUT_URI = 'https://app.example/signed-out'

/** An OpenID request for the user's identity alone: no resource, the OpenID scopes. */
export const OPENID = { resource: undefined, scope: 'openid profile offline_access' }

/** The metadata as an OpenID relying party reads it (/.well-known/openid-configuration). */
export async function discoverOpenId(env = AS_ENV): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(ORIGIN)
  const res = await oauth.discoveryRequest(issuer, { ...options(env), algorithm: 'oidc' })
  return oauth.processDiscoveryResponse(issuer, res)
}

/** The left half of the access token's SHA-256, base64url: an RS256 or ES256 ID token's at_hash. */
export async function atHash(accessToken: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken))
  return toBase64Url(digest.slice(0, 16))
}

/**
 * The signed-in user allows `client` an OpenID request (with a fresh nonce), and the code is
 * redeemed and its ID token validated as oauth4webapi does: the algorithm the client registered
 * (RS256 unless it asked for another), iss, aud, exp, nonce; and its signature by the JWKS.
 */
export async function openIdTokens(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  cookie: string,
  params: Record<string, string | undefined> = {},
  env = AS_ENV,
) {
  const nonce = oauth.generateRandomNonce()
  const { location, verifier, state } = await authorizeAs(
    cookie,
    client.client_id,
    { ...OPENID, nonce, ...params },
    env,
  )
  const callback = oauth.validateAuthResponse(as, client, location, state)
  const res = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    callback,
    REDIRECT_URI,
    verifier,
    options(env),
  )
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, res, {
    expectedNonce: nonce,
    requireIdToken: true,
  })
  await oauth.validateApplicationLevelSignature(as, res, options(env))
  const claims = oauth.getValidatedIdTokenClaims(tokens)!
  expect(claims.nonce).toBe(nonce)
  return { tokens, claims }
}

/**
 * A public relying party (with a post-logout URI), a user signed in by cookie, its tokens. The
 * client registers `metadata` too: `{ id_token_signed_response_alg: 'ES256' }` for ES256 ID
 * tokens (RS256 otherwise, the default with OIDC_RSA_KEYS).
 */
export async function signedInRp(
  params: Record<string, string | undefined> = {},
  env = AS_ENV,
  metadata: Partial<oauth.Client> = {},
) {
  const as = await discoverOpenId(env)
  const client = await registerApp(
    as,
    { post_logout_redirect_uris: [LOGOUT_URI], ...metadata },
    env,
  )
  const session = await cookieSession()
  const { tokens, claims } = await openIdTokens(as, client, session.cookie, params, env)
  return { as, client, session, tokens, claims }
}

/**
 * The relying party refreshes as oauth4webapi does: the response processed (its new ID token
 * validated against the client's registration) and its signature checked with the JWKS.
 */
export async function refreshedTokens(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  refreshToken: string,
  env = AS_ENV,
) {
  const res = await oauth.refreshTokenGrantRequest(
    as,
    client,
    oauth.None(),
    refreshToken,
    options(env),
  )
  const tokens = await oauth.processRefreshTokenResponse(as, client, res)
  await oauth.validateApplicationLevelSignature(as, res, options(env))
  return tokens
}

/** The browser following the relying party's logout link, with its sign-in cookie. */
export const endSession = (cookie: string | null, params: Record<string, string>, env = AS_ENV) =>
  browse(
    `/end-session?${new URLSearchParams(params)}`,
    cookie === null ? {} : { headers: { cookie: cookieHeader(cookie) } },
    env,
  )
