// The relying-party side of a sign-in at another provider: the authorization request, and the
// redemption of its code into a checked profile. OpenID providers through discovery and their ID
// tokens; GitHub (OAuth 2 only) through its API. No Hono, no storage: the service that calls
// this owns the state, the decision what the profile signs in to, and the session.
import { fetchJson, type OutboundOptions } from '../outbound/fetch'
import { appleClientSecret } from './apple-secret'
import { discover, ProviderError, providerKey } from './discovery'
import { IdTokenError, verifyIdToken } from './id-token'
import type { OAuth2Provider, OidcProvider, Provider } from './providers'

/** What a provider says about the person, checked. A sign-in knows them by (provider, subject). */
export type ExternalProfile = {
  provider: string
  subject: string
  email: string | null
  /** The provider vouches for the address (its claim, or GitHub's primary verified address). */
  emailVerified: boolean
  name: string | null
  /** A handle at the provider (preferred_username, GitHub's login): the first guess at a username. */
  handle: string | null
}

/** Why a callback signs no one in, when it is the request's fault rather than the provider's. */
export type SignInFailure =
  /** The provider answered the authorization request with an error (the person cancelled). */
  | 'provider_denied'
  /** `iss` in the response is not this provider's (RFC 9207: a mix-up), or missing where promised. */
  | 'wrong_issuer'
  /** The code was refused at the token endpoint (used, expired, another client's or verifier's). */
  | 'code_refused'
  /** The ID token did not verify; the IdTokenError reason is logged beside it. */
  | 'id_token_refused'
  /** UserInfo described another subject than the ID token. */
  | 'userinfo_mismatch'

export class SignInRefused extends Error {
  readonly status = 400
  constructor(
    readonly reason: SignInFailure,
    /** A finer reason for the log (an IdTokenError's), never a value from the request. */
    readonly detail?: string,
  ) {
    super(`sign-in refused: ${reason}${detail ? ` (${detail})` : ''}`)
    this.name = 'SignInRefused'
  }
}

/** The request's own values; the service makes them fresh for each sign-in. */
export type AuthorizationParams = {
  redirectUri: string
  state: string
  /** OIDC only; GitHub has no ID token to carry it. */
  nonce: string
  /** base64url(SHA-256(code_verifier)). */
  codeChallenge: string
}

/** The tests route the presets' fixed hosts to a stand-in; production leaves this unset. */
export type Fetcher = OutboundOptions['fetcher']

const outbound = (provider: Provider, fetcher: Fetcher): OutboundOptions => ({
  allowLoopback: provider.allowLoopback,
  fetcher,
})

/** Where to send the browser. Throws OutboundError or ProviderError when discovery fails. */
export async function authorizationUrl(
  provider: Provider,
  params: AuthorizationParams,
  fetcher?: Fetcher,
): Promise<URL> {
  const endpoint =
    provider.protocol === 'oidc'
      ? (await discover(provider, fetcher)).authorizationEndpoint
      : provider.authorizationEndpoint
  const url = new URL(endpoint)
  const query: Record<string, string> = {
    response_type: 'code',
    client_id: provider.clientId,
    redirect_uri: params.redirectUri,
    scope: provider.scopes.join(' '),
    state: params.state,
    code_challenge: params.codeChallenge,
    code_challenge_method: 'S256',
  }
  if (provider.protocol === 'oidc') {
    query.nonce = params.nonce
    if (provider.responseMode === 'form_post') query.response_mode = 'form_post'
    // Google shows only accounts of the domain; the token's `hd` is still what is checked.
    if (provider.hostedDomain) query.hd = provider.hostedDomain
  } else {
    // GitHub: a person without a GitHub account may make one on the way (its default, stated).
    query.allow_signup = 'true'
  }
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value)
  return url
}

/** The callback's parameters as they came (query or form_post body). */
export type CallbackParams = {
  code: string | null
  error: string | null
  iss: string | null
  /** Apple's first callback only: `{"name": {"firstName", "lastName"}, "email"}`. */
  user: string | null
}

/**
 * RFC 9207: a response naming another issuer is a mix-up; one without `iss` is refused only
 * where the provider said it always sends one.
 */
async function checkResponseIssuer(
  provider: OidcProvider,
  iss: string | null,
  fetcher: Fetcher,
): Promise<void> {
  const metadata = await discover(provider, fetcher)
  if (iss === null) {
    if (metadata.issParameterSupported) throw new SignInRefused('wrong_issuer', 'iss_missing')
    return
  }
  const matches = provider.tenantIssuer
    ? tenantTemplate(provider.issuer).test(iss)
    : iss === provider.issuer
  if (!matches) throw new SignInRefused('wrong_issuer')
}

/** Microsoft's `{tenantid}` template as a pattern: only a GUID may fill it. */
const tenantTemplate = (template: string) =>
  new RegExp(
    `^${template
      .split('{tenantid}')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
      .join('[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')}$`,
  )

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const text = (value: unknown, max = 256): string | null =>
  typeof value === 'string' && value.trim() !== '' && value.length <= max ? value.trim() : null

/** The client's credentials as the provider takes them: HTTP Basic unless it only takes a form. */
async function clientCredentials(
  provider: Provider,
  form: URLSearchParams,
  authMethods: string[],
): Promise<Record<string, string>> {
  const auth = provider.clientAuth
  const secret =
    auth.method === 'apple_jwt' ? await appleClientSecret(provider as OidcProvider) : auth.secret
  const basic =
    provider.protocol === 'oidc' &&
    provider.type !== 'apple' &&
    (authMethods.length === 0 || authMethods.includes('client_secret_basic'))
  if (!basic) {
    form.set('client_id', provider.clientId)
    form.set('client_secret', secret)
    return {}
  }
  // RFC 6749 §2.3.1: each part form-encoded before it is joined.
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+')
  return { authorization: `Basic ${btoa(`${encode(provider.clientId)}:${encode(secret)}`)}` }
}

/**
 * Redeems the code at the token endpoint. A 400 (invalid_grant and its kin: a code used twice,
 * expired, or bound to another verifier) refuses this sign-in; anything else unusable is the
 * provider's failure (ProviderError, 502).
 */
async function redeem(
  provider: Provider,
  endpoint: string,
  authMethods: string[],
  code: string,
  redirectUri: string,
  codeVerifier: string,
  fetcher: Fetcher,
): Promise<Record<string, unknown>> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: codeVerifier,
  })
  const headers = await clientCredentials(provider, form, authMethods)
  const { status, json } = await fetchJson(endpoint, {
    ...outbound(provider, fetcher),
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    acceptStatus: [400, 401],
  })
  if (!isObject(json)) throw new ProviderError(provider.id, 'invalid_metadata')
  // GitHub answers a bad code with 200 and an `error`; others with 400.
  if (status !== 200 || json.error !== undefined) {
    if (json.error === 'invalid_client' || json.error === 'unauthorized_client' || status === 401) {
      throw new ProviderError(provider.id, 'client_refused')
    }
    throw new SignInRefused('code_refused')
  }
  if (typeof json.access_token !== 'string') {
    throw new ProviderError(provider.id, 'invalid_token_response')
  }
  return json
}

/**
 * Turns a callback's code into the person's checked profile. `nonce` and `codeVerifier` are
 * the ones this browser's sign-in started with.
 */
export async function redeemCode(
  provider: Provider,
  callback: CallbackParams,
  expected: { redirectUri: string; codeVerifier: string; nonce: string },
  fetcher?: Fetcher,
): Promise<ExternalProfile> {
  if (callback.error !== null || callback.code === null) throw new SignInRefused('provider_denied')
  if (provider.protocol === 'oauth2') {
    const tokens = await redeem(
      provider,
      provider.tokenEndpoint,
      [],
      callback.code,
      expected.redirectUri,
      expected.codeVerifier,
      fetcher,
    )
    return githubProfile(provider, tokens.access_token as string, fetcher)
  }
  await checkResponseIssuer(provider, callback.iss, fetcher)
  const metadata = await discover(provider, fetcher)
  const tokens = await redeem(
    provider,
    metadata.tokenEndpoint,
    metadata.tokenAuthMethods,
    callback.code,
    expected.redirectUri,
    expected.codeVerifier,
    fetcher,
  )
  if (typeof tokens.id_token !== 'string') {
    throw new ProviderError(provider.id, 'invalid_token_response')
  }
  const profile = await profileFromIdToken(provider, tokens.id_token, expected.nonce, fetcher)
  if (provider.type === 'apple') return withAppleName(profile, callback.user)
  // Scope claims may come only from UserInfo (OIDC Core §5.4, where an access token is issued).
  if (profile.email === null && metadata.userinfoEndpoint) {
    return withUserInfo(provider, profile, metadata.userinfoEndpoint, tokens, fetcher)
  }
  return profile
}

/** Verifies an ID token from `provider` (a callback's, or a native app's) into a profile. */
export async function profileFromIdToken(
  provider: OidcProvider,
  idToken: string,
  nonce: string | null,
  fetcher?: Fetcher,
): Promise<ExternalProfile> {
  let claims
  try {
    claims = await verifyIdToken(idToken, { ...provider, nonce }, (header) =>
      providerKey(provider, header, fetcher),
    )
  } catch (err) {
    if (err instanceof IdTokenError) throw new SignInRefused('id_token_refused', err.reason)
    throw err
  }
  return {
    provider: provider.id,
    subject: claims.sub,
    email: claims.email,
    emailVerified: claims.email_verified,
    name: claims.name,
    handle: null,
  }
}

/** Apple sends the name once, in the first callback's `user` field, never in the ID token. */
function withAppleName(profile: ExternalProfile, user: string | null): ExternalProfile {
  if (user === null || user.length > 2048) return profile
  try {
    const parsed: unknown = JSON.parse(user)
    const name = isObject(parsed) && isObject(parsed.name) ? parsed.name : null
    const full = [text(name?.firstName, 64), text(name?.lastName, 64)].filter(Boolean).join(' ')
    return full ? { ...profile, name: full } : profile
  } catch {
    return profile
  }
}

async function withUserInfo(
  provider: OidcProvider,
  profile: ExternalProfile,
  endpoint: string,
  tokens: Record<string, unknown>,
  fetcher: Fetcher,
): Promise<ExternalProfile> {
  const { json } = await fetchJson(endpoint, {
    ...outbound(provider, fetcher),
    headers: { authorization: `Bearer ${tokens.access_token as string}` },
  })
  if (!isObject(json)) throw new ProviderError(provider.id, 'invalid_metadata')
  // OIDC Core §5.3.2: UserInfo's `sub` must be the ID token's, or none of it is used.
  if (json.sub !== profile.subject) throw new SignInRefused('userinfo_mismatch')
  const email = text(json.email, 320)
  const verified = json.email_verified === true || json.email_verified === 'true'
  return {
    ...profile,
    email,
    emailVerified: email !== null && verified,
    name: profile.name ?? text(json.name, 128),
    handle: text(json.preferred_username, 64),
  }
}

/** GitHub's REST API wants these on every call. */
const GITHUB_HEADERS = {
  accept: 'application/vnd.github+json',
  'x-github-api-version': '2022-11-28',
}

/**
 * GitHub: `/user` for the numeric id (the subject: the login can be renamed) and the profile;
 * `/user/emails` for the primary address and whether GitHub verified it. `/user`'s `email` is
 * the public one, null when private, and is never taken as verified.
 */
async function githubProfile(
  provider: OAuth2Provider,
  accessToken: string,
  fetcher: Fetcher,
): Promise<ExternalProfile> {
  const headers = { ...GITHUB_HEADERS, authorization: `Bearer ${accessToken}` }
  const [user, emails] = await Promise.all([
    fetchJson(provider.userEndpoint, { ...outbound(provider, fetcher), headers }),
    // Without the user:email scope (a narrowed app) this is 403 or 404: no address, not a failure.
    fetchJson(provider.emailsEndpoint, {
      ...outbound(provider, fetcher),
      headers,
      acceptStatus: [403, 404],
    }),
  ])
  const body = user.json
  if (!isObject(body) || !Number.isSafeInteger(body.id) || (body.id as number) <= 0) {
    throw new ProviderError(provider.id, 'invalid_metadata')
  }
  const primary =
    emails.status === 200 && Array.isArray(emails.json)
      ? emails.json.find((entry) => isObject(entry) && entry.primary === true)
      : undefined
  const email = isObject(primary) ? text(primary.email, 320) : null
  return {
    provider: provider.id,
    subject: String(body.id),
    email,
    emailVerified: email !== null && isObject(primary) && primary.verified === true,
    name: text(body.name, 128),
    handle: text(body.login, 64),
  }
}
