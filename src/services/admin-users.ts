// What an operator does to accounts through the admin API: find and read them, create one (an
// import), disable and enable, end every session, reset two-factor, delete. Every change is
// reported through deps.events, whose actor (the key or admin user) the route supplied. Knows
// nothing of Hono or bindings.
import { now } from '../clock'
import { ApiError } from '../errors'
import { hashPassword } from '../auth/passwords'
import type { Language } from '../i18n/languages'
import type { GrantStore } from '../store/oauth-grants'
import type { AdminUserRow } from '../store/users'
import type { AuthDeps } from './auth'
import { Notices } from './notices'
import { profileCache } from './profile-cache'
import { SessionService } from './sessions'
import { TotpService } from './totp'
import { decodeCursor, isPositionId, pageOf } from './cursor'

export type AdminUserDeps = AuthDeps & {
  grants: GrantStore
  /**
   * Who calls: a server's key, or an admin user (signed in with a second factor, recently). Only
   * an admin user may change an admin's account: a `users:write` key that could reset an
   * admin's two-factor, or end and disable them, could make itself an admin's session.
   */
  caller: 'api_key' | 'admin'
}

export type AdminUserOrder = 'created' | 'username'

/** An account as the admin API shows it in a list: never a hash, a secret or a public key. */
export type AdminUserSummary = {
  id: string
  username: string
  createdAt: string
  email: string | null
  language: Language | null
  role: 'admin' | null
  hasPassword: boolean
  disabledAt: string | null
}

/** One account with everything that signs it in or holds access to it. */
export type AdminUserDetail = AdminUserSummary & {
  sessions: {
    id: string
    createdAt: string
    lastUsedAt: string
    expiresAt: string
    userAgent: string | null
    country: string | null
    city: string | null
  }[]
  passkeys: { id: string; name: string; createdAt: string; lastUsedAt: string | null }[]
  twoFactor: { totp: 'off' | 'pending' | 'on'; recoveryCodesLeft: number }
  identities: {
    provider: string
    subject: string
    email: string | null
    linkedAt: string
    lastUsedAt: string | null
  }[]
  grants: {
    id: string
    clientId: string
    clientName: string | null
    resource: string
    scopes: string[]
    createdAt: string
    lastUsedAt: string
  }[]
}

export type AdminUserPage = { users: AdminUserSummary[]; nextCursor: string | null }

export type AdminUserCreate = {
  username: string
  password?: string
  email?: string
  language?: Language
}

const iso = (ms: number) => new Date(ms).toISOString()
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms))

export const userNotFound = () => new ApiError('user_not_found', 'There is no user with that id')

/** Where a page ends, tied to the order and search it was given for. */
type Cursor = { o: AdminUserOrder; q: string; k: string; i: string }

/** Another order's or search's cursor would skip or repeat rows: refused, not reinterpreted. */
const readCursor =
  (order: AdminUserOrder, query: string) =>
  (value: unknown): Cursor | null => {
    const { o, q, k, i } = (value ?? {}) as Record<string, unknown>
    return o === order && q === query && isPositionId(k) && isPositionId(i)
      ? { o: order, q: query, k, i }
      : null
  }

/** A username prefix that some username could start with (usernames.ts's characters). */
const USERNAME_PREFIX = /^[A-Za-z0-9_.-]{1,32}$/

const summary = (row: AdminUserRow): AdminUserSummary => ({
  id: row.id,
  username: row.username,
  createdAt: row.createdAt,
  email: row.verifiedEmail,
  language: row.language,
  role: row.role,
  hasPassword: row.hasPassword,
  disabledAt: isoOrNull(row.disabledAt),
})

export class AdminUserService {
  private readonly sessions: SessionService
  private readonly totp: TotpService

  constructor(private readonly deps: AdminUserDeps) {
    this.sessions = new SessionService(deps)
    this.totp = new TotpService(deps)
  }

  /**
   * A page of accounts. `query` finds by username prefix (ignoring case), by verified address
   * (`@`, exact, ignoring case) or by provider identity (`provider:subject`); the last two name
   * one account at most, so their answer is one page.
   */
  async list(options: {
    query?: string
    order?: AdminUserOrder
    limit: number
    cursor?: string
  }): Promise<AdminUserPage> {
    const order = options.order ?? 'created'
    const query = options.query?.trim() ?? ''
    const after =
      options.cursor === undefined
        ? undefined
        : decodeCursor(options.cursor, readCursor(order, query))
    if (query.includes(':') || query.includes('@')) {
      // One account at most, all on the first page.
      const found = after ? null : await this.findOne(query)
      return { users: found ? [summary(found)] : [], nextCursor: null }
    }
    const prefix = query.normalize('NFKC')
    if (prefix !== '' && !USERNAME_PREFIX.test(prefix)) return { users: [], nextCursor: null }
    // One more than the page: whether another follows is known without an empty last page.
    const rows = await this.deps.users.adminList({
      order,
      ...(prefix === '' ? {} : { prefix }),
      ...(after ? { after: { key: after.k, id: after.i } } : {}),
      limit: options.limit + 1,
    })
    const { items, nextCursor } = pageOf(rows, options.limit, (last): Cursor => ({
      o: order,
      q: query,
      k: order === 'created' ? last.createdAt : last.username,
      i: last.id,
    }))
    return { users: items.map(summary), nextCursor }
  }

  /** The account by address or `provider:subject`, or null. */
  private async findOne(query: string): Promise<AdminUserRow | null> {
    const colon = query.indexOf(':')
    if (colon > 0 && colon < query.length - 1) {
      const identity = await this.deps.identities.find(
        query.slice(0, colon),
        query.slice(colon + 1),
      )
      return identity ? this.deps.users.adminView(identity.userId) : null
    }
    if (colon >= 0 || query.length > 254) return null
    return this.deps.users.adminByEmail(query)
  }

  /** The account with its sessions, passkeys, two-factor state, identities and grants. */
  async get(id: string): Promise<AdminUserDetail> {
    const row = await this.deps.users.adminView(id)
    if (!row) throw userNotFound()
    const [sessions, passkeys, twoFactor, identities, grants] = await Promise.all([
      this.sessions.list(id),
      this.deps.passkeys.list(id),
      this.totp.status(id),
      this.deps.identities.list(id),
      this.deps.grants.list(id),
    ])
    return {
      ...summary(row),
      sessions: sessions.map((s) => ({
        id: s.id,
        createdAt: iso(s.createdAt),
        lastUsedAt: iso(s.lastUsedAt),
        expiresAt: iso(Math.min(s.expiresAt, s.endsAt)),
        userAgent: s.userAgent,
        country: s.country,
        city: s.city,
      })),
      // Names and times only: the public key and counter are the authenticator's business.
      passkeys: passkeys.map((p) => ({
        id: p.id,
        name: p.name,
        createdAt: iso(p.createdAt),
        lastUsedAt: isoOrNull(p.lastUsedAt),
      })),
      twoFactor,
      identities: identities.map((i) => ({
        provider: i.provider,
        subject: i.subject,
        email: i.email,
        linkedAt: iso(i.createdAt),
        lastUsedAt: isoOrNull(i.lastUsedAt),
      })),
      grants: grants.map((g) => ({
        id: g.id,
        clientId: g.clientId,
        clientName: g.clientName,
        resource: g.resource,
        scopes: g.scope.split(' ').filter(Boolean),
        createdAt: iso(g.createdAt),
        lastUsedAt: iso(g.lastUsedAt),
      })),
    }
  }

  /**
   * Creates an account for an import: a password (hashed here) or none (it signs in another
   * way, or sets one through a reset), an address taken as verified, a language for its mail.
   */
  async create(input: AdminUserCreate): Promise<AdminUserSummary> {
    const user = {
      id: crypto.randomUUID(),
      username: input.username,
      passwordHash: input.password === undefined ? '' : await hashPassword(input.password),
      createdAt: iso(now()),
      language: input.language ?? null,
    }
    const created = await this.deps.users.createImported(user, input.email ?? null)
    if (created === 'taken') {
      throw new ApiError('username_taken', 'That username is already registered')
    }
    if (created === 'email_taken') {
      throw new ApiError('email_taken', 'That address is verified for another account')
    }
    this.deps.events.emit('user_registered', { userId: user.id, method: 'admin' })
    const row = await this.deps.users.adminView(user.id)
    if (!row) throw userNotFound() // deleted in the moment since: as if it never was
    return summary(row)
  }

  /**
   * Disables the account, then ends every session it has. In that order: once D1 holds the
   * disable, no new session can be listed for it (session-index.ts), so the end that follows
   * covers every session there will ever be until it is enabled. Repeating it repeats the end
   * (the repair when the first answered 503 between the two writes) and keeps the first time.
   */
  async disable(id: string): Promise<AdminUserSummary> {
    await this.changeable(id)
    if (!(await this.deps.users.setDisabled(id, now()))) throw userNotFound()
    // Recorded once D1 holds it: a failure while the sessions end still leaves the trail.
    this.deps.events.emit('user_disabled', { userId: id })
    await this.sessions.endEveryListed(id, await this.deps.config())
    profileCache.forget(id)
    return this.summaryOf(id)
  }

  /** The account may sign in again; the sessions the disable ended stay ended. */
  async enable(id: string): Promise<AdminUserSummary> {
    await this.changeable(id)
    if (!(await this.deps.users.setDisabled(id, null))) throw userNotFound()
    this.deps.events.emit('user_enabled', { userId: id })
    return this.summaryOf(id)
  }

  /** Ends every session: the user's own and third-party apps' (their grants stay). */
  async endSessions(id: string): Promise<void> {
    await this.changeable(id)
    const cfg = await this.deps.config()
    // SessionService.endAll's two steps, with the event between them: recorded once D1 has
    // ended the sessions, whatever happens while KV is told.
    await this.deps.index.revokeAll(id, now())
    this.deps.events.emit('sessions_ended', { userId: id })
    await this.sessions.republish(id, cfg)
  }

  /**
   * Turns TOTP off and removes the recovery codes, as the owner's disable does; passkeys stay
   * (each is a factor of its own). The owner is told by mail, as when they turn it off.
   */
  async resetMfa(id: string): Promise<void> {
    await this.changeable(id)
    const { totp } = await this.totp.status(id)
    await this.deps.totp.remove(id)
    this.deps.events.emit('mfa_reset', { userId: id, totpDisabled: totp !== 'off' })
    if (totp === 'on') new Notices(this.deps).send(id, 'totp_disabled')
  }

  /**
   * Deletes the account as its owner's deletion does: D1 deletes it and records the end of every
   * session in one transaction, then KV is told. A retry after a failure in between finds it
   * gone (404) but completes the end first.
   */
  async delete(id: string): Promise<void> {
    const cfg = await this.deps.config()
    const found = (await this.changeable(id, 'gone')) !== null
    if (found) {
      await this.deps.users.deleteUser(id)
      profileCache.forget(id)
      this.deps.events.emit('account_deleted', { userId: id })
    }
    await this.sessions.republish(id, cfg)
    if (!found) throw userNotFound()
  }

  /**
   * The account, if this caller may change it: 404 when there is none (or null, for a delete
   * that completes an earlier one), 403 admin_required for an admin's account and a key.
   */
  private async changeable(id: string): Promise<AdminUserRow>
  private async changeable(id: string, missing: 'gone'): Promise<AdminUserRow | null>
  private async changeable(id: string, missing?: 'gone'): Promise<AdminUserRow | null> {
    const row = await this.deps.users.adminView(id)
    if (!row) {
      if (missing === 'gone') return null
      throw userNotFound()
    }
    if (row.role === 'admin' && this.deps.caller !== 'admin') {
      throw new ApiError('admin_required', "Only an admin user may change an admin's account")
    }
    return row
  }

  private async summaryOf(id: string): Promise<AdminUserSummary> {
    const row = await this.deps.users.adminView(id)
    if (!row) throw userNotFound()
    return summary(row)
  }
}
