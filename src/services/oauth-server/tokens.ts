// The token endpoint for third-party apps: the authorization_code grant (PKCE S256) and the
// refresh_token grant of their sessions, and revocation of those. A grant's session is one of
// SessionService's (rotation, the retry window, reuse detection, revocation marks), bound to its
// client, resource and scope: it mints resource tokens only, never a first-party one.
import type { Config, ProtectedResource } from '../../env'
import { now } from '../../clock'
import { ApiError } from '../../errors'
import { sha256Base64Url, timingSafeEqual, utf8 } from '../../auth/encoding'
import { type ProfileClaims, idTokenRing, mintIdToken } from '../../auth/id-tokens'
import { mintResourceToken } from '../../auth/resource-tokens'
import type { AuthorizationCodeStore, Settled } from '../../store/authorization-codes'
import type { GrantStore } from '../../store/oauth-grants'
import type { UserStore } from '../../store/users'
import type { OAuthClient } from '../../store/oauth-clients'
import { profileClaims } from './openid'
import {
  type Client,
  type LiveToken,
  type SessionDeps,
  SessionService,
  type Standing,
  invalidRefreshToken,
} from '../sessions'

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/

/** RFC 6749 §5.1, with the scope granted. */
export type GrantTokens = {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  /** Only for a client that registered the refresh_token grant. */
  refresh_token?: string
  scope: string
  /** With the openid scope (OpenID Connect Core §3.1.3.3). */
  id_token?: string
}

export type TokenDeps = SessionDeps & {
  codes: AuthorizationCodeStore
  grants: GrantStore
  users: UserStore
  config: () => Promise<Config>
  resources: () => ProtectedResource[]
  requestId?: string
}

/** Whom and what a grant's tokens are for; `openId` when an ID token may be issued beside them. */
type Subject = {
  userId: string
  clientId: string
  resource: ProtectedResource
  scope: string
  authTime: number
  amr: LiveToken['amr']
  openId: { profile: ProfileClaims; nonce: string | null; alg: OAuthClient['idTokenAlg'] } | null
}

const invalidGrant = (detail = 'The authorization code is invalid, expired or used') =>
  new ApiError('invalid_grant', detail)
const refreshTokenReused = () =>
  new ApiError(
    'refresh_token_reused',
    'The refresh token was used after it had been replaced, so this grant session ended; authorize again',
  )

export class TokenService {
  private readonly sessions: SessionService

  constructor(private readonly deps: TokenDeps) {
    this.sessions = new SessionService(deps)
  }

  /**
   * RFC 6749 §4.1.3 with PKCE: the code is spent first (D1 decides between racing exchanges), then
   * every binding is checked. A code spent before is a replay: it fails, and, presented by its
   * own client, the session the first exchange started ends (RFC 9700 §4.2.4).
   *
   * Storage, after the client: one D1 batch spends the code and reads its user and whether the
   * session that allowed it is listed; the session's two KV records; one D1 batch lists the
   * session and runs the closing checks (see there for why in that order).
   */
  async exchangeCode(
    client: OAuthClient,
    params: { code?: string; code_verifier?: string; redirect_uri?: string; resource?: string },
    from: Client,
  ): Promise<GrantTokens> {
    const { code, code_verifier: verifier } = params
    if (!code) throw new ApiError('invalid_request', 'code is required')
    if (verifier !== undefined && !CODE_VERIFIER.test(verifier)) {
      throw new ApiError('invalid_request', 'code_verifier must be 43 to 128 characters (PKCE)')
    }
    if (code.length > 128) throw invalidGrant()
    const cfg = await this.deps.config()
    const codeId = await sha256Base64Url(code)
    const at = now()
    const spend = await this.deps.codes.spend(codeId, at)
    if ('unknown' in spend) throw invalidGrant()
    if ('replayed' in spend) {
      const { userId, sessionId, clientId } = spend.replayed
      // The code's own client presenting it again means it leaked (RFC 9700 §4.2.4): what the
      // first exchange started ends. Another client never got anything for it, and must not be
      // able to end the user's session with the app by presenting a leaked, spent code.
      if (clientId === client.id) await this.sessions.endOne(userId, sessionId, 'reuse', cfg)
      this.event('authorization_code_replayed', { userId, sessionId, clientId, by: client.id })
      throw invalidGrant()
    }
    const grant = spend.spent
    // RFC 9700 §2.1.1: a verifier for a code issued without a challenge is refused (a downgrade).
    const pkce =
      grant.codeChallenge === null
        ? verifier === undefined
        : verifier !== undefined &&
          timingSafeEqual(utf8(await sha256Base64Url(verifier)), utf8(grant.codeChallenge))
    const bound =
      grant.clientId === client.id &&
      grant.expiresAt > at &&
      // RFC 6749 §4.1.3: required, and equal, when the authorization request named it.
      (grant.redirectUriSent ? params.redirect_uri === grant.redirectUri : true) &&
      (params.redirect_uri === undefined || params.redirect_uri === grant.redirectUri) &&
      (params.resource === undefined || params.resource === grant.resource) &&
      pkce
    if (!bound) {
      this.event('authorization_code_refused', { clientId: client.id })
      throw invalidGrant()
    }
    const resource = this.resource(grant.resource)
    // Read with the spend: the user's own session that allowed it must still be live (a code
    // held past a sign-out everywhere, a password change or a reset, which end that session,
    // starts nothing; a code issued without one never starts anything), and a disabled
    // account's code starts nothing (its signing session has ended too, by then).
    const { user } = spend
    if (!user || !spend.signerListed || user.disabledAt != null) throw invalidGrant()
    const subject: Subject = {
      userId: user.id,
      clientId: client.id,
      resource,
      scope: grant.scope,
      authTime: grant.authTime,
      amr: grant.amr,
      openId: {
        profile: profileClaims(user, grant.scope.split(' ')),
        nonce: grant.nonce,
        alg: client.idTokenAlg,
      },
    }
    const scopes = grant.scope.split(' ')
    // The ID token's keys before anything starts: without them (OIDC_RSA_KEYS removed since the
    // client registered RS256) the answer is a 503 naming the setting, and no session is left.
    if (scopes.includes('openid')) await idTokenRing(client.idTokenAlg, cfg)
    // A client that registered only authorization_code gets its access token and no session,
    // once its grant is known to stand; so does a relying party that did not ask for
    // offline_access (OIDC Core §11: an OpenID grant is offline only when asked).
    const offline = !scopes.includes('openid') || scopes.includes('offline_access')
    if (!client.refreshes || !offline) {
      if (!(await this.deps.grants.touch(grant.grantId, now()))) throw invalidGrant()
      return this.tokens(subject, null, cfg)
    }
    const binding = {
      id: grant.grantId,
      clientId: client.id,
      resource: grant.resource,
      scope: grant.scope,
    }
    // A replay of the code, the grant's removal or the end of the session that allowed it may
    // land while this session is being written, before D1 lists it, so their ends cannot reach
    // it. So the KV records are written first, and then one D1 batch (one transaction) lists the
    // session and checks all three; D1's single writer orders that batch against each of them:
    // - before it: the batch sees the replay mark, the grant gone or the signer unlisted, and
    //   this request ends the session itself (its tombstone lands after its own records);
    // - after it: the session is listed (a grant removal ends it as any other; a sign-out
    //   everywhere does if stamped after this session began: SECURITY.md, Known limits), and a
    //   replay ends it by the id the code reserved; either way their KV writes come after this
    //   session's records, which landed before the batch.
    // A disabled account's session is not listed: start ends it and refuses (account_disabled,
    // invalid_grant in OAuth's terms). Its refresh token never leaves this request before the
    // batch has spoken.
    let settled: Settled | undefined
    const { refreshToken } = await this.sessions.start(
      user,
      from,
      grant.amr,
      cfg,
      grant.idp ?? undefined,
      {
        grant: binding,
        sessionId: grant.sessionId,
        authTime: grant.authTime,
        list: async (entry) => {
          settled = await this.deps.codes.settle(codeId, grant.grantId, now(), entry)
          return settled.listed
        },
      },
    )
    if (!settled?.grantLives || settled.replayed || !settled.signerListed) {
      await this.sessions.endOne(user.id, grant.sessionId, 'logout', cfg)
      throw invalidGrant()
    }
    this.event('grant_session_started', {
      userId: user.id,
      sessionId: grant.sessionId,
      clientId: client.id,
      grantId: grant.grantId,
    })
    return this.tokens(subject, refreshToken, cfg)
  }

  /**
   * The refresh_token grant for an app's session: the same chain rules as a first-party refresh
   * (a retry or a racing twin gets the same successor; reuse outside the window ends this grant
   * session only). `scope` may narrow the access token; `resource` must be the grant's.
   */
  async refresh(
    authenticate: () => Promise<OAuthClient>,
    claimedClientId: string,
    token: string,
    params: { scope?: string; resource?: string },
  ): Promise<GrantTokens> {
    const cfg = await this.deps.config()
    // The client is authenticated while the token's records are read (both only read), so a
    // refresh waits on one storage round less; the token stands only for the client proven.
    const [client, read] = await Promise.all([
      authenticate(),
      this.sessions.standing(token, cfg, { clientId: claimedClientId }),
    ])
    if (!client.refreshes) {
      throw new ApiError(
        'unauthorized_client',
        'The client did not register the refresh_token grant',
      )
    }
    const standing: Standing = client.id === claimedClientId ? read : { kind: 'unknown' }
    switch (standing.kind) {
      case 'unknown':
        throw invalidRefreshToken()
      case 'ended':
        throw standing.byReuse ? refreshTokenReused() : invalidRefreshToken()
      case 'reused':
        await this.sessions.endOne(standing.userId, standing.sessionId, 'reuse', cfg)
        this.event('refresh_reuse_detected', {
          userId: standing.userId,
          sessionId: standing.sessionId,
          clientId: client.id,
        })
        throw refreshTokenReused()
    }
    const live = standing.token
    const grant = live.grant!
    if (params.resource !== undefined && params.resource !== grant.resource) {
      throw new ApiError('invalid_target', "The resource is not this grant's")
    }
    const granted = grant.scope.split(' ')
    const scopes = params.scope === undefined ? granted : params.scope.split(' ').filter(Boolean)
    if (scopes.length === 0 || !scopes.every((s) => granted.includes(s))) {
      throw new ApiError('invalid_scope', 'The scope is wider than the grant')
    }
    const resource = this.resource(grant.resource)
    // A new ID token for an OpenID grant (OIDC Core §12.2), with the user's claims as they are
    // now: read only when a scope releases any, beside the session's extension.
    const openId = scopes.includes('openid')
    // The ID token's keys before the session moves on (see exchangeCode).
    if (openId) await idTokenRing(client.idTokenAlg, cfg)
    const releases = openId && (scopes.includes('profile') || scopes.includes('email'))
    const [user] = await Promise.all([
      releases ? this.deps.users.findUserById(live.userId) : null,
      standing.kind === 'current' ? this.sessions.extend(live, cfg) : null,
    ])
    if (releases && !user) throw invalidRefreshToken()
    this.event('grant_token_refreshed', {
      userId: live.userId,
      sessionId: live.sessionId,
      clientId: client.id,
      repeat: standing.kind === 'current' ? undefined : standing.kind,
    })
    return this.tokens(
      {
        userId: live.userId,
        clientId: client.id,
        resource,
        scope: scopes.join(' '),
        authTime: live.authTime,
        amr: live.amr,
        openId: openId
          ? {
              profile: user ? profileClaims(user, scopes) : {},
              nonce: null,
              alg: client.idTokenAlg,
            }
          : null,
      },
      live.successor,
      cfg,
    )
  }

  /**
   * RFC 7009 for an app's refresh token: ends its session if the token is the client's; says
   * nothing either way. A token the chain has moved past is reuse, as on refresh.
   */
  async revoke(client: OAuthClient, token: string): Promise<void> {
    const cfg = await this.deps.config()
    const standing = await this.sessions.standing(token, cfg, { clientId: client.id })
    if (standing.kind === 'reused') {
      await this.sessions.endOne(standing.userId, standing.sessionId, 'reuse', cfg)
      return
    }
    if (standing.kind === 'unknown' || standing.kind === 'ended') return
    await this.sessions.endOne(standing.token.userId, standing.token.sessionId, 'logout', cfg)
    this.event('grant_session_revoked', {
      userId: standing.token.userId,
      sessionId: standing.token.sessionId,
      clientId: client.id,
    })
  }

  /** The resource as configured now: one removed from PROTECTED_RESOURCES gets no more tokens. */
  private resource(id: string): ProtectedResource {
    const resource = this.deps.resources().find((r) => r.resource === id)
    if (!resource) throw new ApiError('invalid_target', 'The resource is no longer served')
    return resource
  }

  private async tokens(
    subject: Subject,
    refreshToken: string | null,
    cfg: Config,
  ): Promise<GrantTokens> {
    const { token, expiresIn } = await mintResourceToken(
      { ...subject, resource: subject.resource.resource, ttl: subject.resource.accessTokenTtl },
      cfg,
    )
    const scopes = subject.scope.split(' ')
    const idToken =
      subject.openId && scopes.includes('openid')
        ? await mintIdToken(
            {
              userId: subject.userId,
              clientId: subject.clientId,
              authTime: subject.authTime,
              amr: subject.amr,
              nonce: subject.openId.nonce,
              accessToken: token,
              profile: subject.openId.profile,
            },
            subject.openId.alg,
            cfg,
          )
        : null
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: expiresIn,
      ...(refreshToken === null ? {} : { refresh_token: refreshToken }),
      scope: subject.scope,
      ...(idToken === null ? {} : { id_token: idToken }),
    }
  }

  private event(name: string, fields: Record<string, unknown>): void {
    this.deps.events.emit(name, fields)
  }
}
