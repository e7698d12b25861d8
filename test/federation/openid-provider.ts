// The tests' side of test/global/openid-provider.ts: a user signing in at a real OpenID provider,
// from inside workerd, as a browser would. Redirects are followed by hand, with a cookie jar for
// the provider's origin, until the provider sends the browser somewhere else (the worker's
// callback). Nothing here touches the worker: the caller takes the URL it gets back there.
import * as oauth from 'oauth4webapi'
import { inject } from 'vitest'
import type {
  OpenIdProviderInfo,
  OpenIdProviderName,
  ProviderAccount,
} from '../global/openid-provider'

export type { OpenIdProviderInfo, OpenIdProviderName, ProviderAccount }

/** Issuer and client credentials of one of the loopback providers. */
export const openidProvider = (which: OpenIdProviderName): OpenIdProviderInfo =>
  inject('openidProviders')[which]

/** A form_post authorization response: where the browser would post, and what. */
export type FormPost = { action: string; fields: Record<string, string> }

// authorize → interaction → resume → callback is four hops; a few more for slack, not a loop.
const MAX_HOPS = 8
const REDIRECTS = new Set([301, 302, 303, 307, 308])

type Step = { kind: 'login'; account: ProviderAccount } | { kind: 'abort' }
type Outcome = { kind: 'redirect'; url: URL } | { kind: 'form'; form: FormPost }

/** Cookies the provider set, as name=value, sent back on every request to it. */
class CookieJar {
  private readonly cookies = new Map<string, string>()

  header(): string | undefined {
    if (this.cookies.size === 0) return undefined
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  take(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0]!
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      // oidc-provider clears a cookie by setting it empty (and expired).
      if (value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }
}

async function unexpected(what: string, url: URL, res: Response): Promise<Error> {
  const body = (await res.text().catch(() => '')).slice(0, 2000)
  return new Error(
    `openid provider: unexpected answer to ${what} ${url.pathname}: ${res.status}\n${body}`,
  )
}

async function send(
  jar: CookieJar,
  url: URL,
  init: { method?: string; form?: Record<string, string> } = {},
): Promise<Response> {
  const headers = new Headers()
  const cookie = jar.header()
  if (cookie) headers.set('cookie', cookie)
  if (init.form) headers.set('content-type', 'application/x-www-form-urlencoded')
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    body: init.form ? new URLSearchParams(init.form).toString() : undefined,
    redirect: 'manual',
  })
  jar.take(res)
  return res
}

async function locationOf(what: string, url: URL, res: Response): Promise<URL> {
  const location = res.headers.get('location')
  if (!REDIRECTS.has(res.status) || !location) throw await unexpected(what, url, res)
  await res.body?.cancel()
  return new URL(location, url)
}

/** The login form's fields for `account` (email_verified as "true"/"false"). */
function loginFields(account: ProviderAccount): Record<string, string> {
  const fields: Record<string, string> = { sub: account.sub }
  if (account.email !== undefined) fields.email = account.email
  if (account.email_verified !== undefined) fields.email_verified = String(account.email_verified)
  if (account.name !== undefined) fields.name = account.name
  if (account.preferred_username !== undefined)
    fields.preferred_username = account.preferred_username
  return fields
}

/** Answers the provider's login interaction at `url`; returns where it sends the browser next. */
async function interact(jar: CookieJar, url: URL, uid: string, step: Step): Promise<URL> {
  const res = await send(jar, url)
  if (res.status !== 200) throw await unexpected('interaction', url, res)
  const details = (await res.json()) as { uid: string; prompt: { name: string } }
  if (details.uid !== uid || details.prompt.name !== 'login') {
    throw new Error(`openid provider: unexpected interaction ${JSON.stringify(details)}`)
  }
  const action = new URL(`/interaction/${uid}/${step.kind}`, url)
  const finished = await send(jar, action, {
    method: 'POST',
    form: step.kind === 'login' ? loginFields(step.account) : {},
  })
  return locationOf(`interaction ${step.kind}`, action, finished)
}

const decode = (text: string) =>
  text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&')

/** The auto-submitting form of oidc-provider's form_post response mode, or null. */
function parseFormPost(html: string): FormPost | null {
  const form = /<form method="post" action="([^"]*)">/.exec(html)
  if (!form) return null
  const fields: Record<string, string> = {}
  for (const [, name, value] of html.matchAll(
    /<input type="hidden" name="([^"]*)" value="([^"]*)"\/>/g,
  ))
    fields[decode(name!)] = decode(value!)
  return { action: decode(form[1]!), fields }
}

/** Follows the flow from `authorizeUrl` until the provider sends the browser off its origin. */
async function run(authorizeUrl: string, step: Step): Promise<Outcome> {
  const jar = new CookieJar()
  let url = new URL(authorizeUrl)
  const origin = url.origin
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const res = await send(jar, url)
    if (!REDIRECTS.has(res.status)) {
      const html = await res.text()
      const form = res.status === 200 || res.status === 400 ? parseFormPost(html) : null
      if (form) return { kind: 'form', form }
      throw new Error(
        `openid provider: unexpected answer to GET ${url.pathname}: ${res.status}\n${html.slice(0, 2000)}`,
      )
    }
    const next = await locationOf('GET', url, res)
    if (next.origin !== origin) return { kind: 'redirect', url: next }
    const uid = /^\/interaction\/([^/]+)$/.exec(next.pathname)?.[1]
    url = uid ? await interact(jar, next, uid, step) : next
  }
  throw new Error(`openid provider: more than ${MAX_HOPS} hops from ${authorizeUrl}`)
}

async function redirected(authorizeUrl: string, step: Step): Promise<URL> {
  const outcome = await run(authorizeUrl, step)
  if (outcome.kind !== 'redirect') {
    throw new Error(`openid provider: answered a form, not a redirect: ${JSON.stringify(outcome)}`)
  }
  return outcome.url
}

/**
 * Signs `account` in at the provider `authorizeUrl` points to (storing its claims there) and
 * grants the requested scopes. Returns the URL the provider then redirects to: normally the
 * redirect_uri with code, state and iss; with error=… if the provider refused the request.
 */
export const signInAtProvider = (authorizeUrl: string, account: ProviderAccount): Promise<URL> =>
  redirected(authorizeUrl, { kind: 'login', account })

/** Cancels at the provider's login step: returns the redirect_uri with error=access_denied. */
export const denyAtProvider = (authorizeUrl: string): Promise<URL> =>
  redirected(authorizeUrl, { kind: 'abort' })

/** As signInAtProvider, for response_mode=form_post: the form the browser would post. */
export async function signInAtProviderFormPost(
  authorizeUrl: string,
  account: ProviderAccount,
): Promise<FormPost> {
  const outcome = await run(authorizeUrl, { kind: 'login', account })
  if (outcome.kind !== 'form') {
    throw new Error(`openid provider: redirected to ${outcome.url.href}, not a form_post form`)
  }
  return outcome.form
}

/**
 * Gives the `rotating` provider new signing keys; the old ones leave its JWKS at once. The
 * providers serve every test file of the run, so only files that expect rotations use it.
 * `main` refuses (404): its keys never change.
 */
export async function rotateKeys(which: OpenIdProviderName = 'rotating'): Promise<void> {
  const url = new URL('/_rotate', openidProvider(which).issuer)
  const res = await fetch(url, { method: 'POST' })
  if (res.status !== 200) throw await unexpected('POST', url, res)
  await res.body?.cancel()
}

// A relying party's side, by hand with oauth4webapi: an authorization request and its code's
// redemption, for tests that need the provider's own tokens (a native app's ID token).

/** The redirect URI the hand-built requests use, registered at both providers. */
export const REDIRECT_URI = 'https://auth.example/signin/local/callback'
export const insecure = { [oauth.allowInsecureRequests]: true } as const

export async function discover(which: OpenIdProviderName) {
  const info = openidProvider(which)
  const issuer = new URL(info.issuer)
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }),
  )
  return { info, as }
}

/** An authorization request as the worker will make one, built by hand. */
export async function authorizeRequest(
  which: OpenIdProviderName,
  extra: Record<string, string | null> = {},
) {
  const { info, as } = await discover(which)
  const verifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const nonce = oauth.generateRandomNonce()
  const url = new URL(as.authorization_endpoint!)
  const params: Record<string, string | null> = {
    response_type: 'code',
    client_id: info.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  }
  for (const [key, value] of Object.entries(params))
    if (value !== null) url.searchParams.set(key, value)
  return { info, as, url: url.href, verifier, state, nonce }
}

/** Trades the code in `callback` for tokens, as the worker's callback will. */
export async function redeem(
  request: Awaited<ReturnType<typeof authorizeRequest>>,
  callback: URL,
  client = { id: request.info.clientId, secret: request.info.clientSecret },
) {
  const { as, state, nonce, verifier } = request
  const rp: oauth.Client = { client_id: client.id }
  const params = oauth.validateAuthResponse(as, rp, callback, state)
  const res = await oauth.authorizationCodeGrantRequest(
    as,
    rp,
    oauth.ClientSecretBasic(client.secret),
    params,
    REDIRECT_URI,
    verifier,
    insecure,
  )
  return {
    rp,
    tokens: await oauth.processAuthorizationCodeResponse(as, rp, res, { expectedNonce: nonce }),
  }
}
