// The OpenID Provider's part of the authorization server (OpenID Connect Core 1.0): its scopes,
// the claims they release, and UserInfo, which is served as a resource of its own: an access
// token for it is a resource token whose audience is the UserInfo endpoint, so a token issued
// for any other resource is refused there, and one for UserInfo is refused by every resource.
import { type Config, OPENID_SCOPES, type ProtectedResource } from '../../env'
import { ApiError } from '../../errors'
import type { ProfileClaims } from '../../auth/id-tokens'
import { readResourceToken } from '../../auth/resource-tokens'
import type { GrantStore } from '../../store/oauth-grants'
import type { UserStore } from '../../store/users'

export { OPENID_SCOPES }

export const isOpenIdScope = (scope: string): boolean =>
  (OPENID_SCOPES as readonly string[]).includes(scope)

/** The claims this service releases, for discovery's claims_supported. */
export const CLAIMS_SUPPORTED = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'amr',
  'at_hash',
  'preferred_username',
  'email',
  'email_verified',
]

export const userInfoEndpoint = (issuer: string) => `${issuer}/userinfo`

/** Five minutes, as a resource's default: UserInfo checks its grant on every call anyway. */
const USERINFO_TOKEN_TTL_SECONDS = 300

/** UserInfo as a resource: what an OpenID request without `resource` gets its access token for. */
export const userInfoResource = (issuer: string): ProtectedResource => ({
  resource: userInfoEndpoint(issuer),
  name: 'Your profile',
  scopes: [...OPENID_SCOPES],
  accessTokenTtl: USERINFO_TOKEN_TTL_SECONDS,
})

/** What the granted scopes release about the user: no address unless it is verified. */
export function profileClaims(
  user: { username: string; verifiedEmail: string | null },
  scopes: readonly string[],
): ProfileClaims {
  return {
    ...(scopes.includes('profile') ? { preferred_username: user.username } : {}),
    ...(scopes.includes('email') && user.verifiedEmail !== null
      ? { email: user.verifiedEmail, email_verified: true as const }
      : {}),
  }
}

export type UserInfo = { sub: string } & ProfileClaims

export type UserInfoDeps = {
  users: UserStore
  grants: GrantStore
  config: () => Promise<Config>
  issuer: string
}

const invalidToken = () =>
  new ApiError('invalid_token', 'The access token is invalid, expired or not for UserInfo')

export class UserInfoService {
  constructor(private readonly deps: UserInfoDeps) {}

  /**
   * OIDC Core §5.3: the claims the token's scopes release, for a token issued for UserInfo
   * whose grant still stands (a removed app learns nothing more, even with a live token).
   */
  async claims(token: string): Promise<UserInfo> {
    const audience = userInfoEndpoint(this.deps.issuer)
    const claims = await readResourceToken(token, audience, await this.deps.config())
    if (!claims) throw invalidToken()
    const scopes = claims.scope.split(' ')
    if (!scopes.includes('openid')) {
      throw new ApiError('insufficient_scope', 'UserInfo needs a token with the openid scope')
    }
    const [user, grant] = await Promise.all([
      this.deps.users.findUserById(claims.sub),
      this.deps.grants.find(claims.sub, claims.client_id, audience),
    ])
    if (!user || !grant) throw invalidToken()
    return { sub: user.id, ...profileClaims(user, scopes) }
  }
}
