// The authorization endpoint's decisions (RFC 6749 §4.1, OAuth 2.1): check a request in a fixed
// order (client, then redirect, and only then may an error go to the redirect), then decide what
// the browser needs (sign in, consent, or its code), and issue the code. Knows nothing of Hono;
// the pages render and redirect (pages/authorize.ts).
import type { AuthMethod, Config, ProtectedResource } from '../../env'
import { readIdTokenHint } from '../../auth/id-tokens'
import { now } from '../../clock'
import {
  type AuthorizeRequest,
  type RequestUse,
  openAuthorizeRequest,
  sealAuthorizeRequest,
} from '../../auth/authorize-request'
import type { MfaKeys } from '../../auth/mfa-keys'
import { randomBytes, sha256Base64Url, toBase64Url } from '../../auth/encoding'
import { matchRedirectUri, redirectTarget } from '../../auth/redirect-uris'
import type { AuthorizationCodeStore } from '../../store/authorization-codes'
import type { CeremonyUses } from '../../store/ceremony-uses'
import type { GrantStore } from '../../store/oauth-grants'
import type { OAuthClient } from '../../store/oauth-clients'
import type { ClientService } from './clients'
import { isOpenIdScope } from './openid'
import type { EventSink } from '../events'

/** RFC 9700 §4.2.1 suggests codes live no more than a minute or so. */
export const CODE_TTL_MS = 60 * 1000

/** How long a request may wait for its user to sign in and decide. */
export const AUTHORIZE_REQUEST_TTL_MS = 15 * 60 * 1000

/** A client's state comes back verbatim; this much is plenty for any real one. */
const STATE_MAX_LENGTH = 1024

/** Every silent login_required says the same: its wording must not tell two cases apart. */
const SIGN_IN_NEEDED = 'The user must sign in'

/** A nonce is a relying party's random value; this much is plenty. */
const NONCE_MAX_LENGTH = 512

/** max_age: a whole number of seconds (ten digits: three centuries). */
const MAX_AGE = /^\d{1,10}$/

/** A username or an email address, as the sign-in form takes it. */
const LOGIN_HINT_MAX_LENGTH = 254

/** RFC 7636 §4.2: base64url of a SHA-256, 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/

/** The parameters as they came (query or form), every value of each. */
export type AuthorizeParams = Record<string, string[]>

/** Who is signed in in this browser, as the authorization endpoint needs to know. */
export type Signer = {
  id: string
  sessionId: string
  amr: AuthMethod[]
  idp?: string
  /** When the session signed in, epoch ms. */
  authTime: number
}

/**
 * What a checked request leads to: a page that says what is wrong (the client or its redirect
 * cannot be trusted, so nothing goes to the redirect); an invalid request from a known client,
 * whose error the page offers to take back to the client's redirect but does not send there by
 * itself (anyone can register a client, so a registered redirect is no reason to trust it:
 * RFC 9700 §4.11.2); or a valid request.
 */
/**
 * Why a request is refused on a page (never sent back to an unverified redirect): a key the
 * page words in the visitor's language (i18n apps.refusedBecause), with the parameter it names.
 */
export type AuthorizeRefusal =
  'repeated' | 'noClient' | 'unknownClient' | 'unregisteredRedirect' | 'noRedirect'

export type Checked =
  | { refuse: { status: 400; reason: AuthorizeRefusal; param?: string } }
  | { invalid: { error: string; description: string; redirect: string; host: string } }
  | { request: AuthorizeRequest; client: OAuthClient }

/** What the browser needs next. */
export type Next = { signIn: true } | { consent: true } | { redirect: string }

export type AuthorizeDeps = {
  clientService: ClientService
  /** Seal the request while it waits for the sign-in and for the consent decision. */
  mfaKeys: () => Promise<MfaKeys>
  ceremonies: CeremonyUses
  grants: GrantStore
  codes: AuthorizationCodeStore
  resources: () => ProtectedResource[]
  /** The signing keys read an id_token_hint. */
  config: () => Promise<Config>
  /** UserInfo as a resource: an OpenID request that names no other gets its token for it. */
  userInfo: ProtectedResource
  issuer: string
  events: EventSink
}

/** The client's redirect with `params` added to its query, and `iss` (RFC 9207) always. */
export function redirectWith(
  redirectUri: string,
  issuer: string,
  params: Record<string, string | null>,
): string {
  const url = new URL(redirectUri)
  for (const [name, value] of Object.entries(params)) {
    if (value !== null) url.searchParams.append(name, value)
  }
  url.searchParams.append('iss', issuer)
  return url.href
}

export class AuthorizeService {
  constructor(private readonly deps: AuthorizeDeps) {}

  async check(params: AuthorizeParams): Promise<Checked> {
    const one = (name: string) => params[name]?.[0]
    const refuse = (reason: AuthorizeRefusal, param?: string): Checked => ({
      refuse: { status: 400, reason, ...(param === undefined ? {} : { param }) },
    })
    // RFC 6749 §3.1: no parameter twice. Until the client and its redirect are known, say so here.
    for (const name of ['client_id', 'redirect_uri']) {
      if ((params[name]?.length ?? 0) > 1) return refuse('repeated', name)
    }
    const clientId = one('client_id')
    if (!clientId) return refuse('noClient')
    const client = await this.deps.clientService.find(clientId)
    if (!client) {
      return refuse('unknownClient')
    }
    const sent = one('redirect_uri')
    let redirectUri: string
    if (sent !== undefined) {
      if (!matchRedirectUri(sent, client.redirectUris)) {
        return refuse('unregisteredRedirect')
      }
      redirectUri = sent
    } else if (client.redirectUris.length === 1) {
      redirectUri = client.redirectUris[0]!
    } else {
      return refuse('noRedirect')
    }
    // From here on the redirect is the client's own: errors may be offered back to it.
    const stateValue = one('state')
    const state =
      stateValue !== undefined && stateValue.length <= STATE_MAX_LENGTH ? stateValue : null
    const fail = (error: string, description: string): Checked => ({
      invalid: {
        error,
        description,
        redirect: redirectWith(redirectUri, this.deps.issuer, {
          error,
          error_description: description,
          state,
        }),
        host: redirectTarget(redirectUri).shown,
      },
    })
    const repeated = Object.entries(params).find(([name, v]) => name !== 'resource' && v.length > 1)
    if (repeated) return fail('invalid_request', `${repeated[0]} is sent more than once`)
    if (stateValue !== undefined && state === null) {
      return fail('invalid_request', `state is longer than ${STATE_MAX_LENGTH} characters`)
    }
    if (one('response_type') !== 'code') {
      return fail('unsupported_response_type', 'Only response_type=code is supported')
    }
    const openId = (one('scope') ?? '').split(' ').includes('openid')
    const nonce = one('nonce')
    if (nonce !== undefined && (nonce.length === 0 || nonce.length > NONCE_MAX_LENGTH)) {
      return fail('invalid_request', `nonce must be 1 to ${NONCE_MAX_LENGTH} characters`)
    }
    const challenge = one('code_challenge')
    const method = one('code_challenge_method')
    // RFC 9700 §2.1.1: a confidential OpenID client may rely on its nonce instead of PKCE, as
    // many relying parties do; everyone else must send S256. Sent at all, PKCE must be right.
    const nonceInstead =
      challenge === undefined &&
      method === undefined &&
      client.authMethod !== 'none' &&
      openId &&
      nonce !== undefined
    if (!nonceInstead && (method !== 'S256' || !challenge || !S256_CHALLENGE.test(challenge))) {
      return fail(
        'invalid_request',
        'PKCE is required: code_challenge with code_challenge_method=S256',
      )
    }
    // OIDC Core §6: request objects are not supported, and saying so beats ignoring them.
    if (one('request') !== undefined) {
      return fail('request_not_supported', 'Request objects are not supported')
    }
    if (one('request_uri') !== undefined) {
      return fail('request_uri_not_supported', 'request_uri is not supported')
    }
    const target = this.target(params, one('scope'), client)
    if ('error' in target) return fail(target.error, target.description)
    const { resource, scopes } = target
    const prompts = new Set((one('prompt') ?? '').split(' ').filter(Boolean))
    if (prompts.has('none') && prompts.size > 1) {
      return fail('invalid_request', 'prompt=none cannot be combined with other values')
    }
    const maxAgeText = one('max_age')
    if (maxAgeText !== undefined && !MAX_AGE.test(maxAgeText)) {
      return fail('invalid_request', 'max_age must be a number of seconds')
    }
    const hint = one('login_hint')
    // OIDC Core §3.1.2.1: id_token_hint names the user the app expects; a hint that is not one
    // of this service's ID tokens is an error, never ignored.
    const idTokenHint = one('id_token_hint')
    const hinted = idTokenHint ? await readIdTokenHint(idTokenHint, await this.deps.config()) : null
    if (idTokenHint !== undefined && (!hinted || hinted.clientId !== client.id)) {
      return fail(
        'invalid_request',
        'id_token_hint is not an ID token this service issued to the app',
      )
    }
    const at = now()
    return {
      client,
      request: {
        clientId: client.id,
        redirectUri,
        redirectUriSent: sent !== undefined,
        state,
        codeChallenge: nonceInstead ? null : challenge!,
        resource: resource.resource,
        scopes,
        forceLogin: prompts.has('login'),
        forceConsent: prompts.has('consent'),
        silent: prompts.has('none'),
        nonce: openId ? (nonce ?? null) : null,
        maxAge: maxAgeText === undefined ? null : Number(maxAgeText),
        // Only a hint that could be a username or an address is passed on to the form.
        loginHint: hint !== undefined && hint.length <= LOGIN_HINT_MAX_LENGTH ? hint : null,
        hintSubject: hinted?.sub ?? null,
        at,
        expiresAt: at + AUTHORIZE_REQUEST_TTL_MS,
      },
    }
  }

  /**
   * The resource a request is for, and its scopes. OAuth: the resource named, or the only one
   * configured, and its scopes (all of them when none are named). OpenID (`openid` in scope): the
   * OpenID scopes may join a resource's; with no resource named and no scope but those, the access
   * token is for UserInfo. offline_access stays only for a client that may refresh.
   */
  private target(
    params: AuthorizeParams,
    scopeText: string | undefined,
    client: OAuthClient,
  ): { resource: ProtectedResource; scopes: string[] } | { error: string; description: string } {
    const resources = this.deps.resources()
    const asked = params.resource ?? []
    if (asked.length > 1) {
      return { error: 'invalid_target', description: 'Ask for one resource per authorization' }
    }
    const requested =
      scopeText === undefined || scopeText.trim() === ''
        ? null
        : [...new Set(scopeText.split(' ').filter(Boolean))]
    const openId = requested?.includes('openid') ?? false
    const ownScopes = requested?.filter((s) => !(openId && isOpenIdScope(s))) ?? []
    const resource =
      asked.length === 1
        ? resources.find((r) => r.resource === asked[0])
        : openId && ownScopes.length === 0
          ? this.deps.userInfo
          : resources.length === 1
            ? resources[0]
            : undefined
    if (!resource) {
      return {
        error: 'invalid_target',
        description:
          asked.length === 1
            ? 'The resource is not one this service issues tokens for'
            : 'Name the resource',
      }
    }
    const scopes = requested ?? resource.scopes
    const unknown = scopes.find(
      (s) => !resource.scopes.includes(s) && !(openId && isOpenIdScope(s)),
    )
    if (unknown !== undefined) {
      return { error: 'invalid_scope', description: 'A scope is not one the resource defines' }
    }
    return {
      resource,
      scopes: client.refreshes ? scopes : scopes.filter((s) => s !== 'offline_access'),
    }
  }

  /**
   * What the browser needs now: to sign in (none; or prompt=login or max_age and no sign-in
   * recent enough), to consent (nothing remembered covers it, or prompt=consent), or nothing
   * more: its code. prompt=none answers at the redirect instead of asking.
   */
  async next(request: AuthorizeRequest, signer: Signer | null): Promise<Next> {
    const silentError = (error: string, description: string): Next => ({
      redirect: this.errorRedirect(request, error, description),
    })
    const notSignedIn = () =>
      request.silent ? silentError('login_required', SIGN_IN_NEEDED) : ({ signIn: true } as const)
    if (!signer || !this.recentEnough(request, signer)) return notSignedIn()
    // Signed in as someone other than the id_token_hint names: a sign-in may fix that, unless
    // it just happened (then the answer is an error, not a loop) or nothing may be shown. The
    // answer is word for word the signed-out one: the hint may be the app's own user's.
    if (request.hintSubject && signer.id !== request.hintSubject) {
      return request.silent || signer.authTime >= request.at
        ? silentError('login_required', SIGN_IN_NEEDED)
        : { signIn: true }
    }
    const grant = await this.deps.grants.find(signer.id, request.clientId, request.resource)
    // prompt=none from an app this user never allowed hears what it would hear with nobody
    // signed in: anyone can register an app, and must not learn who is signed in here.
    if (request.silent && grant === null) return notSignedIn()
    const covered =
      grant !== null && request.scopes.every((s) => grant.scope.split(' ').includes(s))
    if (!covered || request.forceConsent) {
      return request.silent
        ? silentError('consent_required', 'The user has not allowed this')
        : { consent: true }
    }
    return { redirect: await this.issueCode(request, signer, grant.id) }
  }

  /**
   * Whether the browser's sign-in will do: one made after the request arrived always does (the
   * user just signed in for it); an earlier one only without prompt=login, and within max_age.
   */
  private recentEnough(request: AuthorizeRequest, signer: Signer): boolean {
    if (signer.authTime >= request.at) return true
    if (request.forceLogin) return false
    return request.maxAge === null || now() - signer.authTime <= request.maxAge * 1000
  }

  /**
   * Whether the request's client still exists and still lists its redirect: a client may lapse,
   * and a metadata document drop a redirect, while a page is open.
   */
  async stillValid(request: AuthorizeRequest): Promise<OAuthClient | null> {
    const client = await this.deps.clientService.find(request.clientId)
    return client && matchRedirectUri(request.redirectUri, client.redirectUris) ? client : null
  }

  /** What the consent page shows: the client and the resource, both still there; else null. */
  async consentSubject(
    request: AuthorizeRequest,
  ): Promise<{ client: OAuthClient; resource: ProtectedResource; signInOnly: boolean } | null> {
    const client = await this.stillValid(request)
    const signInOnly = request.resource === this.deps.userInfo.resource
    const resource = signInOnly
      ? this.deps.userInfo
      : this.deps.resources().find((r) => r.resource === request.resource)
    return client && resource ? { client, resource, signInOnly } : null
  }

  /** The user allowed it: the consent is remembered (widening any earlier one), and the code issued. */
  async allow(request: AuthorizeRequest, client: OAuthClient, signer: Signer): Promise<string> {
    const at = now()
    const grant = await this.deps.grants.consent(
      signer.id,
      client,
      request.resource,
      request.scopes,
      at,
    )
    // A new connected app, not a consent given again (or widened) for one the user has.
    if (grant.createdAt === at) {
      this.deps.events.emit('grant_created', {
        userId: signer.id,
        sessionId: signer.sessionId,
        clientId: client.id,
        grantId: grant.id,
        scopes: grant.scope.split(' ').filter(Boolean),
      })
    }
    return this.issueCode(request, signer, grant.id)
  }

  /** A checked request sealed for the sign-in detour's cookie, and the id that cookie is named by. */
  async pending(request: AuthorizeRequest): Promise<{ id: string; sealed: string }> {
    const sealed = await sealAuthorizeRequest(await this.deps.mfaKeys(), 'pending', request)
    return { id: toBase64Url(randomBytes(12)), sealed }
  }

  /** A request sealed for the consent form shown to `signer`, with the nonce its decision spends. */
  async forConsent(request: AuthorizeRequest, signer: Signer): Promise<string> {
    const shownTo = {
      userId: signer.id,
      sessionId: signer.sessionId,
      nonce: toBase64Url(randomBytes(16)),
    }
    return sealAuthorizeRequest(await this.deps.mfaKeys(), 'consent', { ...request, shownTo })
  }

  /** A sealed request this service made for `use`, if it has not expired; else null. */
  async open(use: RequestUse, sealed: string): Promise<AuthorizeRequest | null> {
    return openAuthorizeRequest(await this.deps.mfaKeys(), use, sealed, now())
  }

  /**
   * Spends the consent form's one decision: true the first time only (D1 decides between two
   * racing posts of one form). A form without a nonce decides nothing.
   */
  async decideOnce(request: AuthorizeRequest): Promise<boolean> {
    const nonce = request.shownTo?.nonce
    if (!nonce) return false
    return this.deps.ceremonies.useOnce(`consent:${nonce}`, request.expiresAt, now())
  }

  /** The user said no: the client hears access_denied at its redirect. */
  deny(request: AuthorizeRequest): string {
    return this.errorRedirect(request, 'access_denied', 'The user did not allow access')
  }

  errorRedirect(request: AuthorizeRequest, error: string, description: string): string {
    return redirectWith(request.redirectUri, this.deps.issuer, {
      error,
      error_description: description,
      state: request.state,
    })
  }

  /** A single-use code for the request, stored under its hash, and the redirect carrying it. */
  private async issueCode(
    request: AuthorizeRequest,
    signer: Signer,
    grantId: string,
  ): Promise<string> {
    const code = toBase64Url(randomBytes(32))
    const at = now()
    await this.deps.codes.issue(
      await sha256Base64Url(code),
      {
        clientId: request.clientId,
        userId: signer.id,
        grantId,
        sessionId: crypto.randomUUID(),
        signerSessionId: signer.sessionId,
        redirectUri: request.redirectUri,
        redirectUriSent: request.redirectUriSent,
        codeChallenge: request.codeChallenge,
        resource: request.resource,
        scope: request.scopes.join(' '),
        authTime: signer.authTime,
        amr: signer.amr,
        idp: signer.idp ?? null,
        nonce: request.nonce,
        expiresAt: at + CODE_TTL_MS,
      },
      at,
    )
    return redirectWith(request.redirectUri, this.deps.issuer, { code, state: request.state })
  }
}
