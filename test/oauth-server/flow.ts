// A third-party app authorizing through the worker as its authorization server: the settings
// that turn it on, the app's registration, and the browser's way through /authorize (sign-in
// cookie, consent form) to the code. Redirects are not followed, so each hop can be checked.
import { afterEach, beforeEach, expect, vi } from 'vitest'
import * as oauth from 'oauth4webapi'
import worker from '../../src/index'
import type { Bindings } from '../../src/env'
import { ORIGIN, REFRESH_COOKIE, callSettling, cookieSession } from '../helpers'

export const RESOURCE = 'https://notes.example/mcp'
export const OTHER_RESOURCE = 'https://calendar.example/mcp'
export const REDIRECT_URI = 'https://app.example/callback'

/** The authorization server on: a fixed issuer and two protected resources. */
export const AS_ENV: Partial<Bindings> = {
  JWT_ISSUER: ORIGIN,
  PROTECTED_RESOURCES: JSON.stringify([
    { resource: RESOURCE, name: 'Notes', scopes: ['notes:read', 'notes:write'] },
    { resource: OTHER_RESOURCE, name: 'Calendar', scopes: ['calendar:read'] },
  ]),
} as Partial<Bindings>

/** A request through the worker with `env`, once its deferred work is done too. */
export async function browse(path: string, init: RequestInit = {}, env = AS_ENV) {
  const { answered, settled } = callSettling(env, path, { redirect: 'manual', ...init })
  await settled
  return answered
}

/** oauth4webapi's fetch, routed into the worker (with `env`) instead of the network. */
export const workerFetch =
  (env = AS_ENV) =>
  (url: string, init?: RequestInit) => {
    const target = new URL(url)
    expect(target.origin).toBe(ORIGIN)
    return browse(target.pathname + target.search, init ?? {}, env)
  }

export const options = (env = AS_ENV) => ({ [oauth.customFetch]: workerFetch(env) })

/** The metadata, as a strict client reads it (issuer equal to the URL asked). */
export async function discover(env = AS_ENV): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(ORIGIN)
  const res = await oauth.discoveryRequest(issuer, { ...options(env), algorithm: 'oauth2' })
  return oauth.processDiscoveryResponse(issuer, res)
}

/** Registers an app by RFC 7591; a public client unless `metadata` says otherwise. */
export async function registerApp(
  as: oauth.AuthorizationServer,
  metadata: Partial<oauth.OmitSymbolProperties<oauth.Client>> = {},
  env = AS_ENV,
): Promise<oauth.Client & { client_secret?: string }> {
  const res = await oauth.dynamicClientRegistrationRequest(
    as,
    {
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
      client_name: 'Notes app',
      grant_types: ['authorization_code', 'refresh_token'],
      ...metadata,
    },
    options(env),
  )
  return (await oauth.processDynamicClientRegistrationResponse(res)) as oauth.Client & {
    client_secret?: string
  }
}

/** A fresh PKCE pair and state. */
export async function pkce() {
  const verifier = oauth.generateRandomCodeVerifier()
  return {
    verifier,
    challenge: await oauth.calculatePKCECodeChallenge(verifier),
    state: oauth.generateRandomState(),
  }
}

/** The authorization URL's path and query for `client`, with these parameters. */
export function authorizePath(
  clientId: string,
  params: Record<string, string | undefined>,
): string {
  const url = new URL('/authorize', ORIGIN)
  const all: Record<string, string | undefined> = {
    client_id: clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    code_challenge_method: 'S256',
    resource: RESOURCE,
    scope: 'notes:read',
    ...params,
  }
  for (const [name, value] of Object.entries(all)) {
    if (value !== undefined) url.searchParams.set(name, value)
  }
  return url.pathname + url.search
}

export const cookieHeader = (cookie: string) => `${REFRESH_COOKIE}=${cookie}`

/** The sealed request in a consent page's form. */
export async function consentRequestOf(res: Response): Promise<string> {
  expect(res.status).toBe(200)
  const page = await res.text()
  const match = /name="request" value="([^"]+)"/.exec(page)
  expect(match, 'a consent form').not.toBeNull()
  return match![1]!
}

/** Posts the consent form as the browser does (this origin, the refresh cookie). */
export function decide(cookie: string, request: string, decision: 'allow' | 'deny', env = AS_ENV) {
  return browse(
    '/authorize/consent',
    {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: ORIGIN,
        cookie: cookieHeader(cookie),
      },
      body: new URLSearchParams({ request, decision }),
    },
    env,
  )
}

/**
 * A signed-in user allows `client` (consent page, then the form): the redirect back to the app,
 * and what the app needs to redeem it.
 */
export async function authorizeAs(
  cookie: string,
  clientId: string,
  params: Record<string, string | undefined> = {},
  env = AS_ENV,
) {
  const { verifier, challenge, state } = await pkce()
  const path = authorizePath(clientId, { code_challenge: challenge, state, ...params })
  const page = await browse(path, { headers: { cookie: cookieHeader(cookie) } }, env)
  let location: string
  if (page.status === 303) {
    location = page.headers.get('location')!
  } else {
    const res = await decide(cookie, await consentRequestOf(page), 'allow', env)
    expect(res.status).toBe(303)
    location = res.headers.get('location')!
  }
  return { location: new URL(location), verifier, state }
}

/** A user signed in by cookie, a registered public app, and the metadata. */
export async function appAndUser(env = AS_ENV) {
  const as = await discover(env)
  const client = await registerApp(as, {}, env)
  const session = await cookieSession()
  return { as, client, session }
}

/** The whole way to a token response: authorize, validate the redirect, redeem the code. */
export async function tokensFor(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  cookie: string,
  params: Record<string, string | undefined> = {},
  env = AS_ENV,
) {
  const { location, verifier, state } = await authorizeAs(cookie, client.client_id, params, env)
  const callback = oauth.validateAuthResponse(as, client, location, state)
  const res = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    callback,
    REDIRECT_URI,
    verifier,
    { ...options(env), additionalParameters: { resource: params.resource ?? RESOURCE } },
  )
  return oauth.processAuthorizationCodeResponse(as, client, res)
}

// ---- Raw requests, for the attacks (test/flows/authorization-server.attacks.test.ts): a strict
// client such as oauth4webapi refuses to send most of them.

/** Registers a client by a raw RFC 7591 request (any body, any headers); the response. */
export const registerRaw = (body: unknown, headers: Record<string, string> = {}, env = AS_ENV) =>
  browse(
    '/oauth/register',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    },
    env,
  )

/** A raw form post to the token endpoint (or `path`), with optional extra headers. */
export const tokenRequest = (
  fields: Record<string, string | undefined> | URLSearchParams,
  headers: Record<string, string> = {},
  env = AS_ENV,
  path = '/oauth/token',
) => {
  const body =
    fields instanceof URLSearchParams
      ? fields
      : new URLSearchParams(
          Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined),
        )
  return browse(
    path,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    },
    env,
  )
}

/** A signed-in user's code for `clientId` (consent given), with the verifier that redeems it. */
export async function codeFor(
  cookie: string,
  clientId: string,
  params: Record<string, string | undefined> = {},
  env = AS_ENV,
) {
  const { location, verifier, state } = await authorizeAs(cookie, clientId, params, env)
  const code = location.searchParams.get('code')
  expect(code, `a code at ${location.href}`).not.toBeNull()
  return { code: code!, verifier, state, location }
}

/** Redeems a code as a public client would, by raw request; `extra` adds or overrides fields. */
export const redeem = (
  clientId: string,
  code: string,
  verifier: string | undefined,
  extra: Record<string, string | undefined> = {},
  headers: Record<string, string> = {},
  env = AS_ENV,
) =>
  tokenRequest(
    {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT_URI,
      resource: RESOURCE,
      client_id: clientId,
      ...extra,
    },
    headers,
    env,
  )

/** The refresh_token grant for a public client, by raw request. */
export const refreshGrant = (clientId: string, refreshToken: string, env = AS_ENV) =>
  tokenRequest(
    { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId },
    {},
    env,
  )

/**
 * Watches every answer of the worker in the file's tests; after each, none may be a 5xx but the
 * `allowed` ones (the 503 of an authorization server switched off, where a test sets that up).
 */
export function expectNoServerErrors(allowed: number[] = []) {
  const statuses: { url: string; status: number }[] = []
  beforeEach(() => {
    statuses.length = 0
    const original = worker.fetch
    vi.spyOn(worker, 'fetch').mockImplementation(async (req, bindings, ctx) => {
      const res = await original(req, bindings, ctx)
      statuses.push({ url: req.url, status: res.status })
      return res
    })
  })
  afterEach(() => {
    vi.restoreAllMocks()
    expect(statuses.filter((s) => s.status >= 500 && !allowed.includes(s.status))).toEqual([])
  })
}

export type TokenBody = {
  access_token?: string
  refresh_token?: string
  error?: string
  error_description?: string
}

/** A token endpoint's JSON answer. */
export const tokenJson = async (res: Response) => (await res.json()) as TokenBody

/** A refresh of `token` that must fail as oauth4webapi sees it: invalid_grant, nothing issued. */
export async function expectRefreshRefused(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  token: string,
  env = AS_ENV,
) {
  const res = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), token, options(env))
  await expect(oauth.processRefreshTokenResponse(as, client, res)).rejects.toMatchObject({
    error: 'invalid_grant',
  })
}
