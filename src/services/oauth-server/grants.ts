// Connected apps: the grants a user has given third-party apps, listed and removed. Removing one
// ends every session started under it, so its refresh tokens stop at once; the access tokens
// already issued run out (a resource checks them offline). Knows nothing of Hono or bindings.
import type { Config } from '../../env'
import { ApiError } from '../../errors'
import type { GrantStore } from '../../store/oauth-grants'
import { type SessionDeps, SessionService } from '../sessions'

/** A grant as its user sees it. Times are epoch ms. */
export type ConnectedApp = {
  id: string
  clientId: string
  clientName: string | null
  resource: string
  scopes: string[]
  createdAt: number
  lastUsedAt: number
}

export type GrantDeps = SessionDeps & {
  grants: GrantStore
  config: () => Promise<Config>
  requestId?: string
}

export class GrantService {
  private readonly sessions: SessionService

  constructor(private readonly deps: GrantDeps) {
    this.sessions = new SessionService(deps)
  }

  async list(userId: string): Promise<ConnectedApp[]> {
    const grants = await this.deps.grants.list(userId)
    return grants.map((g) => ({
      id: g.id,
      clientId: g.clientId,
      clientName: g.clientName,
      resource: g.resource,
      scopes: g.scope.split(' ').filter(Boolean),
      createdAt: g.createdAt,
      lastUsedAt: g.lastUsedAt,
    }))
  }

  /**
   * Removes the grant, then ends its sessions. In that order: a code exchange racing this one
   * either started its session before the list below (and is ended here) or checks the grant
   * after its removal (and ends its own session; TokenService.exchangeCode).
   */
  async remove(userId: string, grantId: string): Promise<void> {
    const cfg = await this.deps.config()
    const removed = await this.deps.grants.remove(userId, grantId)
    // A retry after a failure below finds the grant gone but its sessions still listed: it ends them.
    const sessionIds = await this.deps.index.grantSessions(userId, grantId)
    if (!removed && sessionIds.length === 0) {
      throw new ApiError('grant_not_found', 'You have no such connected app')
    }
    for (const sessionId of sessionIds) {
      await this.sessions.endOne(userId, sessionId, 'logout', cfg)
    }
    this.deps.events.emit('grant_removed', {
      userId,
      grantId,
      sessions: sessionIds.length,
    })
  }
}
