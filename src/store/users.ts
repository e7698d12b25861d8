// Users in D1: the only code that reads or writes the users table. (session-index.ts owns the
// sessions and revocations tables; deleting a user writes its revocation in the same transaction.
// Sign-in reads whether TOTP is on from totp.ts's table in the same query, to save a round trip.)
import { type Language, isLanguage } from '../i18n/languages'
import { isUniqueViolation } from './d1-errors'
import { StorageError, guarded } from './errors'
import { FOREVER, type SqlValue, bound } from './session-index'

export type UserRecord = {
  id: string
  username: string
  passwordHash: string
  createdAt: string
  /** At creation: the language its email is written in (read back by `language`, not here). */
  language?: Language | null
  /** When an operator disabled the account (epoch ms); null while it may sign in. Read only. */
  disabledAt?: number | null
}

type Row = {
  id: string
  username: string
  password_hash: string
  created_at: string
  disabled_at?: number | null
}

/** A stored language, if it is still one of ours (a value written by hand reads as none). */
const languageOf = (value: unknown): Language | null => (isLanguage(value) ? value : null)

/** A user as sign-in sees it: with whether a second factor is required. */
type SignInRecord = UserRecord & { totpEnabled: boolean }

const toUser = (row: Row): UserRecord => ({
  id: row.id,
  username: row.username,
  passwordHash: row.password_hash,
  createdAt: row.created_at,
  disabledAt: row.disabled_at ?? null,
})

/** An account as the admin API lists it: no hash, the address only when verified. */
export type AdminUserRow = {
  id: string
  username: string
  createdAt: string
  verifiedEmail: string | null
  language: Language | null
  disabledAt: number | null
  hasPassword: boolean
  /** 'admin' for an admin user (migration 0019), null for everyone else. */
  role: 'admin' | null
}

const ADMIN_COLUMNS = `id, username, created_at, language, disabled_at, role,
  password_hash <> '' AS has_password,
  CASE WHEN email_verified_at IS NULL THEN NULL ELSE email END AS verified_email`

type AdminRow = {
  id: string
  username: string
  created_at: string
  language: unknown
  disabled_at: number | null
  role: string | null
  has_password: number
  verified_email: string | null
}

const toAdminRow = (row: AdminRow): AdminUserRow => ({
  id: row.id,
  username: row.username,
  createdAt: row.created_at,
  verifiedEmail: row.verified_email,
  language: languageOf(row.language),
  disabledAt: row.disabled_at,
  hasPassword: row.has_password === 1,
  role: row.role === 'admin' ? 'admin' : null,
})

/** A user as findUserById reads it: with its address if verified. */
export type UserById = UserRecord & { verifiedEmail: string | null }

/**
 * findUserById's read as a statement for another store's batch (`id` may be a subquery on that
 * store's table: the code exchange reads its code's user this way); `userById` reads its row.
 */
export const userByIdStatement = (db: D1Database, id: SqlValue) =>
  db.prepare(`SELECT * FROM users WHERE id = ${id.sql}`).bind(...id.binds)

/** The user in a row of userByIdStatement, if there is one. */
export const userById = (row: unknown): UserById | null => {
  if (!row) return null
  const user = row as Row & { email: string | null; email_verified_at: string | null }
  return { ...toUser(user), verifiedEmail: user.email_verified_at === null ? null : user.email }
}

export type UserStore = ReturnType<typeof userStore>

export function userStore(db: D1Database) {
  return {
    /** Inserts the user; the unique index, not a prior lookup, decides whether the name is taken. */
    async createUser(user: UserRecord): Promise<'created' | 'taken'> {
      try {
        await db
          .prepare(
            'INSERT INTO users (id, username, password_hash, created_at, language) VALUES (?, ?, ?, ?, ?)',
          )
          .bind(user.id, user.username, user.passwordHash, user.createdAt, user.language ?? null)
          .run()
        return 'created'
      } catch (err) {
        if (isUniqueViolation(err)) return 'taken'
        throw new StorageError('d1', 'insert user', err)
      }
    },

    /** Case-insensitive, through the column's NOCASE collation; with whether TOTP is on. */
    async findUserByName(username: string): Promise<SignInRecord | null> {
      const row = await guarded('d1', 'find user by name', () =>
        db
          .prepare(
            `SELECT users.*, totp.enabled_at IS NOT NULL AS totp_enabled
             FROM users LEFT JOIN totp ON totp.user_id = users.id WHERE username = ?`,
          )
          .bind(username)
          .first<Row & { totp_enabled: number }>(),
      )
      return row ? { ...toUser(row), totpEnabled: row.totp_enabled === 1 } : null
    },

    /**
     * The account a sign-in names: by username, or (with an `@`, which no username has) by its
     * verified address, ignoring case; with whether TOTP is on. An unverified address names none.
     */
    async findForSignIn(login: string): Promise<SignInRecord | null> {
      if (!login.includes('@')) return this.findUserByName(login)
      const row = await guarded('d1', 'find user by email', () =>
        db
          .prepare(
            `SELECT users.*, totp.enabled_at IS NOT NULL AS totp_enabled
             FROM users LEFT JOIN totp ON totp.user_id = users.id
             WHERE email = ? COLLATE NOCASE AND email_verified_at IS NOT NULL`,
          )
          .bind(login)
          .first<Row & { totp_enabled: number }>(),
      )
      return row ? { ...toUser(row), totpEnabled: row.totp_enabled === 1 } : null
    },

    /** The user, with its address if verified (an ID token's and UserInfo's `email`). */
    async findUserById(id: string): Promise<UserById | null> {
      const row = await guarded('d1', 'find user by id', () =>
        userByIdStatement(db, bound(id)).first(),
      )
      return userById(row)
    },

    /**
     * Replaces the hash only if the stored one is still `previous`, the hash the caller checked:
     * of two writes that checked the same hash, one wins and the other changes nothing (false),
     * so nobody is told a password was set that another write replaced.
     */
    async updatePasswordHash(id: string, passwordHash: string, previous: string): Promise<boolean> {
      const result = await guarded('d1', 'update password hash', () =>
        db
          .prepare('UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?')
          .bind(passwordHash, id, previous)
          .run(),
      )
      return result.meta.changes === 1
    },

    /**
     * The account a forgotten-password request names, by username or (with an `@`, which no
     * username has) by verified address, with that address; null when none matches or the
     * account has no verified address.
     */
    async findForRecovery(login: string): Promise<{
      id: string
      username: string
      email: string
      passwordHash: string
      language: Language | null
    } | null> {
      const byEmail = login.includes('@')
      const row = await guarded('d1', 'find user for recovery', () =>
        db
          .prepare(
            `SELECT id, username, email, password_hash AS passwordHash, language FROM users
             WHERE ${byEmail ? 'email = ? COLLATE NOCASE' : 'username = ?'}
               AND email_verified_at IS NOT NULL`,
          )
          .bind(login)
          .first<{
            id: string
            username: string
            email: string
            passwordHash: string
            language: string | null
          }>(),
      )
      return row ? { ...row, language: languageOf(row.language) } : null
    },

    /**
     * The account that verified `email` (ignoring case), if any, with the address as it was
     * verified (mail goes to that spelling: only its server may fold the local part's case). By
     * address only: a value without an `@` finds nothing here, never a username.
     */
    async verifiedOwner(email: string): Promise<{ id: string; email: string } | null> {
      if (!email.includes('@')) return null
      const row = await guarded('d1', 'find verified owner', () =>
        db
          .prepare(
            'SELECT id, email FROM users WHERE email = ? COLLATE NOCASE AND email_verified_at IS NOT NULL',
          )
          .bind(email)
          .first<{ id: string; email: string }>(),
      )
      return row ?? null
    },

    /**
     * Whether an account other than `userId` has verified `email` (ignoring case): mail asking
     * to confirm it again is never sent, whoever asks.
     */
    async verifiedByAnother(email: string, userId: string): Promise<boolean> {
      const row = await guarded('d1', 'find verified email', () =>
        db
          .prepare(
            `SELECT 1 AS found FROM users
             WHERE email = ? COLLATE NOCASE AND email_verified_at IS NOT NULL AND id <> ?`,
          )
          .bind(email, userId)
          .first<{ found: number }>(),
      )
      return row !== null
    },

    /** The language the user's email is written in, or null when none is set (or no such user). */
    async language(id: string): Promise<Language | null> {
      const row = await guarded('d1', 'get language', () =>
        db
          .prepare('SELECT language FROM users WHERE id = ?')
          .bind(id)
          .first<{ language: unknown }>(),
      )
      return languageOf(row?.language)
    },

    /** Sets the language of the user's email; false when there is no such user. */
    async setLanguage(id: string, language: Language): Promise<boolean> {
      const result = await guarded('d1', 'set language', () =>
        db.prepare('UPDATE users SET language = ? WHERE id = ?').bind(language, id).run(),
      )
      return result.meta.changes === 1
    },

    /** The user's verified address, if any. */
    async verifiedEmail(id: string): Promise<string | null> {
      const row = await guarded('d1', 'get email', () =>
        db
          .prepare('SELECT email FROM users WHERE id = ? AND email_verified_at IS NOT NULL')
          .bind(id)
          .first<{ email: string }>(),
      )
      return row?.email ?? null
    },

    /**
     * Makes `email` the user's verified address, replacing any earlier one; 'taken' when another
     * account has verified it (the unique index decides, ignoring case).
     */
    /**
     * Makes `email` the user's verified address, if the password is still `passwordHash` (the
     * one the link was asked with): 'changed' when it is not, 'taken' when another account has
     * the address verified.
     */
    async setVerifiedEmail(
      id: string,
      email: string,
      at: number,
      passwordHash: string,
    ): Promise<'set' | 'taken' | 'changed'> {
      try {
        const { meta } = await db
          .prepare(
            'UPDATE users SET email = ?, email_verified_at = ? WHERE id = ? AND password_hash = ?',
          )
          .bind(email, at, id, passwordHash)
          .run()
        return meta.changes === 1 ? 'set' : 'changed'
      } catch (err) {
        if (isUniqueViolation(err)) return 'taken'
        throw new StorageError('d1', 'set email', err)
      }
    },

    /**
     * Disables the account at `at`, or enables it (null). Disabling keeps the first time (a
     * second disable changes nothing); false when there is no such user. Ending its sessions is
     * SessionService's, after this write: the session index refuses new ones from here on.
     */
    async setDisabled(id: string, at: number | null): Promise<boolean> {
      const result = await guarded('d1', 'set disabled', () =>
        db
          .prepare(
            'UPDATE users SET disabled_at = CASE WHEN ?2 IS NULL THEN NULL ELSE COALESCE(disabled_at, ?2) END WHERE id = ?1',
          )
          .bind(id, at)
          .run(),
      )
      return result.meta.changes === 1
    },

    /**
     * An account made by an operator (an import): like createUser, with an address already
     * verified when given. 'email_taken' when another account has verified that address.
     */
    async createImported(
      user: UserRecord,
      verifiedEmail: string | null,
    ): Promise<'created' | 'taken' | 'email_taken'> {
      try {
        await db
          .prepare(
            `INSERT INTO users (id, username, password_hash, created_at, language, email, email_verified_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .bind(
            user.id,
            user.username,
            user.passwordHash,
            user.createdAt,
            user.language ?? null,
            verifiedEmail,
            verifiedEmail === null ? null : Date.parse(user.createdAt),
          )
          .run()
        return 'created'
      } catch (err) {
        if (isUniqueViolation(err)) {
          return /users\.email/.test((err as Error).message) ? 'email_taken' : 'taken'
        }
        throw new StorageError('d1', 'insert imported user', err)
      }
    },

    /** One account as the admin API shows it (never its hash); null when there is none. */
    async adminView(id: string): Promise<AdminUserRow | null> {
      const row = await guarded('d1', 'find user for admin', () =>
        db.prepare(`SELECT ${ADMIN_COLUMNS} FROM users WHERE id = ?`).bind(id).first<AdminRow>(),
      )
      return row ? toAdminRow(row) : null
    },

    /** The account whose verified address is `email` (ignoring case), as the admin API shows it. */
    async adminByEmail(email: string): Promise<AdminUserRow | null> {
      const row = await guarded('d1', 'find user by email for admin', () =>
        db
          .prepare(
            `SELECT ${ADMIN_COLUMNS} FROM users
             WHERE email = ? COLLATE NOCASE AND email_verified_at IS NOT NULL`,
          )
          .bind(email)
          .first<AdminRow>(),
      )
      return row ? toAdminRow(row) : null
    },

    /**
     * A page of accounts for the admin API: newest first (by creation, then id) or by username
     * (ignoring case), optionally those whose username starts with `prefix` (ignoring case);
     * `after` is the last row of the previous page. One more row than `limit` tells whether
     * another page follows.
     */
    async adminList(options: {
      order: 'created' | 'username'
      prefix?: string
      after?: { key: string; id: string }
      limit: number
    }): Promise<AdminUserRow[]> {
      const where: string[] = []
      const binds: unknown[] = []
      if (options.prefix !== undefined) {
        // LIKE ignores ASCII case, as the username's NOCASE collation does; its wildcards in
        // the prefix are matched as themselves.
        where.push("username LIKE ? ESCAPE '\\'")
        binds.push(`${options.prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`)
      }
      if (options.after && options.order === 'created') {
        where.push('(created_at < ? OR (created_at = ? AND id < ?))')
        binds.push(options.after.key, options.after.key, options.after.id)
      } else if (options.after) {
        where.push('username > ?')
        binds.push(options.after.key)
      }
      const order = options.order === 'created' ? 'created_at DESC, id DESC' : 'username ASC'
      const sql = `SELECT ${ADMIN_COLUMNS} FROM users
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`
      const { results } = await guarded('d1', 'list users for admin', () =>
        db
          .prepare(sql)
          .bind(...binds, options.limit)
          .all<AdminRow>(),
      )
      return results.map(toAdminRow)
    },

    /**
     * Deletes the user and, in the same transaction, records that every session it has or could
     * still be starting has ended (a revocation "forever"); its session rows follow through their
     * foreign key (ON DELETE CASCADE). Both or neither: a failed delete leaves the account whole.
     */
    deleteUser: (id: string) =>
      guarded('d1', 'delete user', () =>
        db.batch([
          db
            .prepare(
              `INSERT INTO revocations (user_id, at, keep) VALUES (?1, ?2, NULL)
               ON CONFLICT (user_id) DO UPDATE SET at = ?2, keep = NULL`,
            )
            .bind(id, FOREVER),
          db.prepare('DELETE FROM users WHERE id = ?').bind(id),
        ]),
      ),
  }
}
