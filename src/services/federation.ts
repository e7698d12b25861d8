// Signing in (or connecting an account) at another provider: start the authorization request,
// then turn its callback into a session. The protocol is federation/client.ts's; this decides
// whose account a proven identity reaches (identities.ts) and starts the session exactly as a
// password sign-in does (AuthService). Knows nothing of Hono or bindings.
import type { AuthUser } from '../env'
import { now } from '../clock'
import { sha256Base64Url } from '../auth/encoding'
import { ApiError } from '../errors'
import { log } from '../log'
import {
  codeChallenge,
  type FederationState,
  newFederationState,
  openFederationState,
  sealFederationState,
} from '../auth/federation-state'
import {
  authorizationUrl,
  type CallbackParams,
  type ExternalProfile,
  type Fetcher,
  profileFromIdToken,
  redeemCode,
  SignInRefused,
} from '../federation/client'
import { authorizationOrigins, ProviderError } from '../federation/discovery'
import {
  type Provider,
  ProviderSettingError,
  type ProviderTable,
  usableProviders,
} from '../federation/providers'
import { OutboundError } from '../outbound/fetch'
import type { TokenPair } from '../schemas'
import type { IdentityRecord, IdentityStore } from '../store/identities'
import { AccountService } from './account'
import { type AuthDeps, AuthService } from './auth'
import {
  addressOf,
  decideLink,
  type LinkIntent,
  linkableEmail,
  usernameBase,
  usernameCandidate,
} from './identities'
import { Notices } from './notices'
import { type Client, SessionService } from './sessions'

export type FederationDeps = AuthDeps & {
  identities: IdentityStore
  /** The configured providers (Settings.providers): read when a route needs one. */
  providers: () => ProviderTable
  /** Tests route the presets' fixed hosts to a stand-in; unset in production. */
  fetcher?: Fetcher
}

/** Long enough to sign in at a provider (a password, a second factor), short enough to go stale. */
export const FEDERATION_STATE_TTL_MS = 10 * 60 * 1000

/**
 * How long a used ID token is remembered: longer than any provider's ID tokens live (Google's
 * and Microsoft's an hour, Apple's ten minutes), so one cannot be replayed while it is valid.
 */
const ID_TOKEN_USE_RECORD_MS = 24 * 60 * 60 * 1000

/** Username guesses before a new account gives up (each a random suffix after the first). */
const USERNAME_ATTEMPTS = 6

export type Completion =
  | { kind: 'signed_in'; tokens: TokenPair; returnTo: string }
  /** Two-factor is on: the same second step as a password sign-in. */
  | { kind: 'mfa'; mfaToken: string; returnTo: string }
  /** A signed-in user connected the provider. */
  | { kind: 'linked'; returnTo: string }

/** The identities a user has, as the API and /account show them. */
export type IdentityView = {
  provider: string
  /** The provider's display name, or its id when it is no longer configured. */
  name: string
  email: string | null
  linkedAt: string
  lastUsedAt: string | null
}

const failed = (detail: string) => new ApiError('federated_sign_in_failed', detail)

const STATE_REFUSED =
  'This sign-in cannot be finished in this browser (it expired, was finished already, or was started elsewhere); start it again'

export class FederationService {
  constructor(private readonly deps: FederationDeps) {}

  /** The provider `id`, usable: 404 when none is configured, 503 when its settings are broken. */
  provider(id: string): Provider {
    const found = this.deps.providers().get(id)
    if (!found)
      throw new ApiError('provider_not_found', `No provider "${id.slice(0, 32)}" is configured`)
    if (found instanceof ProviderSettingError) {
      throw new ApiError(
        'provider_unavailable',
        'Signing in with this provider is not set up correctly',
      )
    }
    return found
  }

  /**
   * Starts a sign-in (or, with `link`, connecting the signed-in user's account): the URL to
   * send the browser to, and the sealed state this browser must bring back.
   */
  async begin(
    id: string,
    request: {
      redirectUri: string
      returnTo: string
      link: AuthUser | null
      /** Connecting adds a way in: the password confirms it, as adding a passkey does. */
      password?: string
    },
  ): Promise<{ url: string; sealed: string; maxAgeSeconds: number }> {
    const provider = this.provider(id)
    if (request.link)
      await new AccountService(this.deps).confirmChange(request.link, request.password)
    const link = request.link && { userId: request.link.id, sessionId: request.link.sessionId }
    const state = newFederationState(request.returnTo, link, now() + FEDERATION_STATE_TTL_MS)
    const challenge = await codeChallenge(state.codeVerifier)
    const url = await this.fromProvider(provider, () =>
      authorizationUrl(
        provider,
        {
          redirectUri: request.redirectUri,
          state: state.state,
          nonce: state.nonce,
          codeChallenge: challenge,
        },
        this.deps.fetcher,
      ),
    )
    const sealed = await sealFederationState(await this.deps.mfaKeys(), provider.id, state)
    this.event('federation_started', { provider: provider.id, link: link !== null })
    return { url: url.href, sealed, maxAgeSeconds: FEDERATION_STATE_TTL_MS / 1000 }
  }

  /**
   * Finishes a sign-in from the provider's callback. `sealed` is the state this browser kept;
   * `visitor`, whoever the browser is signed in as now (it must still be the one that asked,
   * when connecting an account).
   */
  async complete(
    id: string,
    callback: CallbackParams & { state: string | null },
    sealed: string | undefined,
    context: { redirectUri: string; visitor: AuthUser | null; client: Client },
  ): Promise<Completion> {
    const provider = this.provider(id)
    const state = await this.openState(provider, callback.state, sealed)
    const intent = await this.intentOf(state, context.visitor)
    // Spent before the code is redeemed: whatever happens next, this state signs in once.
    const use = `federation:${state.state}`
    if (!(await this.deps.ceremonies.useOnce(use, state.expiresAt, now()))) {
      this.refused(provider, 'state_used')
      throw failed(STATE_REFUSED)
    }
    const profile = await this.fromProvider(provider, () =>
      redeemCode(
        provider,
        callback,
        {
          redirectUri: context.redirectUri,
          codeVerifier: state.codeVerifier,
          nonce: state.nonce,
        },
        this.deps.fetcher,
      ),
    )
    return this.settle(provider, profile, intent, state.returnTo, context.client)
  }

  /**
   * A native app's sign-in: it holds an ID token from the platform's own sign-in (Google's,
   * Apple's SDK), issued to this provider's client id or one of its extra `clientIds`. Verified
   * as a callback's is; each ID token signs in once. The same pair as /login, or mfa_required.
   */
  async signInWithIdToken(
    id: string,
    { idToken, nonce }: { idToken: string; nonce?: string },
    client: Client,
  ): Promise<TokenPair> {
    const provider = this.provider(id)
    if (provider.protocol !== 'oidc') {
      throw failed(`${provider.name} issues no ID tokens: sign in through /signin/${provider.id}`)
    }
    const profile = await this.fromProvider(provider, () =>
      profileFromIdToken(provider, idToken, nonce ?? null, this.deps.fetcher),
    )
    // After it verified (a forged token must cost no write): a copied token signs in nobody else.
    // Keyed by the signed part alone, not the signature: an ECDSA signature has a second valid
    // spelling (s and n - s), which must not make the same token new.
    const key = `id-token:${await sha256Base64Url(idToken.slice(0, idToken.lastIndexOf('.')))}`
    if (!(await this.deps.ceremonies.useOnce(key, now() + ID_TOKEN_USE_RECORD_MS, now()))) {
      this.refused(provider, 'id_token_used')
      throw failed('This ID token was used already; get a new one from the provider')
    }
    const done = await this.settle(provider, profile, { kind: 'sign_in' }, '', client)
    if (done.kind === 'mfa') {
      throw new ApiError(
        'mfa_required',
        'Signed in at the provider; finish signing in with a code at POST /login/mfa',
        { mfaToken: done.mfaToken },
      )
    }
    if (done.kind !== 'signed_in') throw new Error('a sign-in intent cannot end linked')
    return done.tokens
  }

  /** The providers people may sign in with here (their buttons, `GET /providers`). */
  available(): Provider[] {
    return usableProviders(this.deps.providers())
  }

  /**
   * The origins of the providers' sign-in pages: a form that connects one redirects there, which
   * the hosted pages' `form-action` must allow. Known without a fetch (discovery.ts).
   */
  signInOrigins(): string[] {
    const origins = this.available().flatMap((p) =>
      p.protocol === 'oidc' ? authorizationOrigins(p) : [new URL(p.authorizationEndpoint).origin],
    )
    return [...new Set(origins)]
  }

  async list(caller: AuthUser): Promise<IdentityView[]> {
    return (await this.deps.identities.list(caller.id)).map((identity) => {
      return {
        provider: identity.provider,
        name: this.nameOf(identity.provider),
        email: identity.email,
        linkedAt: new Date(identity.createdAt).toISOString(),
        lastUsedAt:
          identity.lastUsedAt === null ? null : new Date(identity.lastUsedAt).toISOString(),
      }
    })
  }

  /** Disconnects the caller's identity at `provider`, unless nothing else would sign in. */
  async unlink(caller: AuthUser, provider: string): Promise<void> {
    await new SessionService(this.deps).requireListed(caller)
    const result = await this.deps.identities.remove(caller.id, provider)
    if (result === 'not_found') {
      throw new ApiError('identity_not_found', 'Your account has no identity at that provider')
    }
    if (result === 'last') {
      throw new ApiError(
        'last_sign_in_method',
        'This is the only way into your account: set a password or add a passkey first',
      )
    }
    this.event('identity_unlinked', { userId: caller.id, sessionId: caller.sessionId, provider })
    new Notices(this.deps).send(caller.id, 'identity_removed', undefined, {
      provider: this.nameOf(provider),
    })
  }

  private async openState(
    provider: Provider,
    presented: string | null,
    sealed: string | undefined,
  ): Promise<FederationState> {
    // No cookie: another browser's callback (login CSRF), or cookies blocked.
    if (!sealed) return this.refusedState(provider, 'state_cookie_missing')
    const state = await openFederationState(await this.deps.mfaKeys(), provider.id, sealed)
    if (!state) return this.refusedState(provider, 'state_cookie_invalid')
    if (state.expiresAt <= now()) return this.refusedState(provider, 'state_expired')
    if (presented !== state.state) return this.refusedState(provider, 'state_mismatch')
    return state
  }

  private refusedState(provider: Provider, reason: string): never {
    this.refused(provider, reason)
    throw failed(STATE_REFUSED)
  }

  /** Connecting needs the same signed-in session that started it, still listed. */
  private async intentOf(state: FederationState, visitor: AuthUser | null): Promise<LinkIntent> {
    if (!state.link) return { kind: 'sign_in' }
    if (visitor?.id !== state.link.userId || visitor.sessionId !== state.link.sessionId) {
      throw failed(
        'You are no longer signed in as the account that asked to connect; sign in and try again',
      )
    }
    await new SessionService(this.deps).requireListed(visitor)
    return { kind: 'link', userId: visitor.id }
  }

  /** What the proven identity reaches, done. */
  private async settle(
    provider: Provider,
    profile: ExternalProfile,
    intent: LinkIntent,
    returnTo: string,
    client: Client,
  ): Promise<Completion> {
    const existing = await this.deps.identities.find(provider.id, profile.subject)
    const email = linkableEmail(profile, provider.emailTrusted)
    const emailOwner =
      !existing && intent.kind === 'sign_in' && email !== null
        ? ((await this.deps.users.verifiedOwner(email))?.id ?? null)
        : null
    const decision = decideLink({
      intent,
      profile,
      emailTrusted: provider.emailTrusted,
      existing,
      emailOwner,
    })
    switch (decision.kind) {
      case 'sign_in':
        this.deps.defer(
          this.deps.identities.recordUse(provider.id, profile.subject, addressOf(profile), now()),
        )
        return this.signIn(provider, decision.userId, returnTo, client)
      case 'already_linked':
        return { kind: 'linked', returnTo }
      case 'identity_taken':
        this.event('identity_link_refused', { provider: provider.id, reason: 'identity_taken' })
        throw new ApiError(
          'identity_taken',
          `That ${provider.name} account already signs in to another account here`,
        )
      case 'link':
        return this.link(provider, profile, decision.userId, decision.auto, returnTo, client)
      case 'create':
        return this.create(provider, profile, decision.verifiedEmail, returnTo, client)
    }
  }

  private async link(
    provider: Provider,
    profile: ExternalProfile,
    userId: string,
    auto: boolean,
    returnTo: string,
    client: Client,
  ): Promise<Completion> {
    const result = await this.deps.identities.link(this.identity(provider, profile, userId))
    if (result === 'identity_taken') {
      // A racing sign-in of the same identity linked or created it first: it signs in there
      // (or, when connecting, it is someone else's: decide again on what is stored now).
      return this.settle(
        provider,
        profile,
        auto ? { kind: 'sign_in' } : { kind: 'link', userId },
        returnTo,
        client,
      )
    }
    if (result === 'provider_linked' || result === 'no_account') {
      if (auto) return this.create(provider, profile, null, returnTo, client)
      if (result === 'no_account') throw failed(STATE_REFUSED)
      throw new ApiError(
        'provider_already_linked',
        `Your account already has a ${provider.name} account connected; disconnect it first`,
      )
    }
    this.event('identity_linked', { userId, provider: provider.id, auto })
    new Notices(this.deps).send(userId, 'identity_linked', undefined, { provider: provider.name })
    return auto ? this.signIn(provider, userId, returnTo, client) : { kind: 'linked', returnTo }
  }

  private async create(
    provider: Provider,
    profile: ExternalProfile,
    verifiedEmail: string | null,
    returnTo: string,
    client: Client,
  ): Promise<Completion> {
    const base = usernameBase(profile)
    let email = verifiedEmail
    for (let attempt = 0; attempt < USERNAME_ATTEMPTS; attempt++) {
      const user = {
        id: crypto.randomUUID(),
        username: usernameCandidate(base, attempt),
        createdAt: new Date(now()).toISOString(),
        // Its email's language from now on: the sign-up request's (the callback's).
        language: this.deps.requestLanguage ?? null,
      }
      const identity = this.identity(provider, profile, user.id)
      const result = await this.deps.identities.createAccount(user, identity, email)
      if (result === 'created') {
        this.event('user_registered', {
          userId: user.id,
          provider: provider.id,
          method: 'federated',
        })
        return this.signIn(provider, user.id, returnTo, client)
      }
      // The same identity's first sign-in, racing this one, made the account: sign in to it.
      if (result === 'identity_taken')
        return this.settle(provider, profile, { kind: 'sign_in' }, returnTo, client)
      // Another account verified the address meanwhile: this one goes without it.
      if (result === 'email_taken') {
        email = null
        attempt--
      }
    }
    log.error('federated_username_exhausted', { provider: provider.id })
    throw new ApiError('temporarily_unavailable', 'Could not create the account; try again')
  }

  private identity(provider: Provider, profile: ExternalProfile, userId: string): IdentityRecord {
    const at = now()
    return {
      provider: provider.id,
      subject: profile.subject,
      userId,
      // Shown on /account and in the API: only a real address, never whatever the claim held.
      email: addressOf(profile),
      createdAt: at,
      lastUsedAt: at,
    }
  }

  private async signIn(
    provider: Provider,
    userId: string,
    returnTo: string,
    client: Client,
  ): Promise<Completion> {
    try {
      const tokens = await new AuthService(this.deps).signInProven(
        userId,
        { method: 'fed', idp: provider.id },
        client,
      )
      return { kind: 'signed_in', tokens, returnTo }
    } catch (err) {
      if (err instanceof ApiError && err.code === 'mfa_required') {
        return { kind: 'mfa', mfaToken: err.extra.mfaToken!, returnTo }
      }
      throw err
    }
  }

  /**
   * Runs a call that talks to the provider, turning its failures into our answers: the
   * request's fault is federated_sign_in_failed (400), the provider's provider_unavailable (503).
   */
  private async fromProvider<T>(provider: Provider, call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (err) {
      if (err instanceof SignInRefused) {
        this.refused(provider, err.reason, err.detail)
        throw failed(
          err.reason === 'provider_denied'
            ? `Signing in with ${provider.name} was cancelled`
            : `${provider.name} did not confirm who you are; start the sign-in again`,
        )
      }
      if (
        err instanceof ProviderError ||
        err instanceof OutboundError ||
        err instanceof ProviderSettingError
      ) {
        log.warn('provider_failed', {
          requestId: this.deps.requestId,
          provider: provider.id,
          error: err.name,
          reason: err instanceof ProviderSettingError ? err.variable : err.reason,
        })
        throw new ApiError(
          'provider_unavailable',
          `${provider.name} cannot be reached right now; try again later`,
        )
      }
      throw err
    }
  }

  /** The provider's display name, or its id when it is no longer configured (or broken). */
  private nameOf(id: string): string {
    return this.available().find((p) => p.id === id)?.name ?? id
  }

  private refused(provider: Provider, reason: string, detail?: string): void {
    this.event('federated_sign_in_refused', { provider: provider.id, reason, detail })
  }

  private event(name: string, fields: Record<string, unknown>): void {
    this.deps.events.emit(name, fields)
  }
}
