// Identities at other providers in D1: the only code that reads or writes the identities table.
// An account made by a first federated sign-in is written here too, with its identity in one
// batch, so no account exists without the identity it was made for (and a second sign-in of the
// same subject racing the first finds the identity, not a twin account).
import { isUniqueViolation } from './d1-errors'
import { StorageError, guarded } from './errors'
import type { UserRecord } from './users'
import { anotherWayIn } from './ways-in'

export type IdentityRecord = {
  /** The AUTH_PROVIDERS key. */
  provider: string
  /** The provider's `sub` (or GitHub's numeric id): what identifies the person there. */
  subject: string
  userId: string
  /** The address the provider last gave, for display; never used to find an account. */
  email: string | null
  createdAt: number
  lastUsedAt: number | null
}

type Row = {
  provider: string
  subject: string
  user_id: string
  email: string | null
  created_at: number
  last_used_at: number | null
}

const toRecord = (row: Row): IdentityRecord => ({
  provider: row.provider,
  subject: row.subject,
  userId: row.user_id,
  email: row.email,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
})

/** Which unique rule an insert broke: the subject is someone's, or the account has this provider. */
function conflictOf(err: unknown): 'identity_taken' | 'provider_linked' | 'username_taken' | null {
  if (!isUniqueViolation(err)) return null
  const message = (err as Error).message
  if (/identities\.user_id/.test(message)) return 'provider_linked'
  if (/users\.username/.test(message)) return 'username_taken'
  return /identities\./.test(message) ? 'identity_taken' : null
}

const INSERT_IDENTITY =
  'INSERT INTO identities (provider, subject, user_id, email, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)'

export type IdentityStore = ReturnType<typeof identityStore>

export function identityStore(db: D1Database) {
  const insertIdentity = (identity: IdentityRecord) =>
    db
      .prepare(INSERT_IDENTITY)
      .bind(
        identity.provider,
        identity.subject,
        identity.userId,
        identity.email,
        identity.createdAt,
        identity.lastUsedAt,
      )

  return {
    async find(provider: string, subject: string): Promise<IdentityRecord | null> {
      const row = await guarded('d1', 'find identity', () =>
        db
          .prepare('SELECT * FROM identities WHERE provider = ? AND subject = ?')
          .bind(provider, subject)
          .first<Row>(),
      )
      return row ? toRecord(row) : null
    },

    async list(userId: string): Promise<IdentityRecord[]> {
      const { results } = await guarded('d1', 'list identities', () =>
        db
          .prepare('SELECT * FROM identities WHERE user_id = ? ORDER BY created_at')
          .bind(userId)
          .all<Row>(),
      )
      return results.map(toRecord)
    },

    /**
     * A new password-less account and its identity, both or neither. `verifiedEmail`, when
     * given, becomes the account's verified address. Which rule refused it, on a conflict:
     * the identity is already someone's (a racing first sign-in won), the username is taken,
     * or another account verified the address meanwhile.
     */
    async createAccount(
      user: Omit<UserRecord, 'passwordHash'>,
      identity: IdentityRecord,
      verifiedEmail: string | null,
    ): Promise<'created' | 'identity_taken' | 'username_taken' | 'email_taken'> {
      try {
        await db.batch([
          db
            .prepare(
              `INSERT INTO users (id, username, password_hash, created_at, email, email_verified_at, language)
               VALUES (?, ?, '', ?, ?, ?, ?)`,
            )
            .bind(
              user.id,
              user.username,
              user.createdAt,
              verifiedEmail,
              verifiedEmail === null ? null : identity.createdAt,
              user.language ?? null,
            ),
          insertIdentity(identity),
        ])
        return 'created'
      } catch (err) {
        const conflict = conflictOf(err)
        if (conflict === 'identity_taken' || conflict === 'username_taken') return conflict
        if (isUniqueViolation(err) && /users\.email/.test((err as Error).message)) {
          return 'email_taken'
        }
        throw new StorageError('d1', 'create account with identity', err)
      }
    },

    /**
     * Links an identity to an existing account: 'identity_taken' when the subject belongs to an
     * account already (this one or another), 'provider_linked' when the account has another
     * identity at this provider. A deleted account (the foreign key) is 'no_account'.
     */
    async link(
      identity: IdentityRecord,
    ): Promise<'linked' | 'identity_taken' | 'provider_linked' | 'no_account'> {
      try {
        await insertIdentity(identity).run()
        return 'linked'
      } catch (err) {
        const conflict = conflictOf(err)
        if (conflict === 'provider_linked') {
          // SQLite names only the first index it trips, (user_id, provider) before the key: the
          // same identity linked again to its own account (a racing twin) reads as this.
          const taken = await this.find(identity.provider, identity.subject)
          return taken ? 'identity_taken' : 'provider_linked'
        }
        if (conflict === 'identity_taken') return conflict
        if (err instanceof Error && /FOREIGN KEY constraint failed/i.test(err.message)) {
          return 'no_account'
        }
        throw new StorageError('d1', 'link identity', err)
      }
    },

    /** A sign-in with it: the time, and the address the provider gave this time. */
    recordUse: (provider: string, subject: string, email: string | null, at: number) =>
      guarded('d1', 'record identity use', () =>
        db
          .prepare(
            'UPDATE identities SET last_used_at = ?, email = ? WHERE provider = ? AND subject = ?',
          )
          .bind(at, email, provider, subject)
          .run(),
      ),

    /**
     * Unlinks the account's identity at `provider` unless it is the last way in (no password,
     * passkey or other identity); 'not_found' when the account has none there.
     */
    async remove(userId: string, provider: string): Promise<'removed' | 'not_found' | 'last'> {
      const result = await guarded('d1', 'remove identity', () =>
        db
          .prepare(
            `DELETE FROM identities WHERE user_id = ?1 AND provider = ?2
               AND ${anotherWayIn({ identity: '?2' })}`,
          )
          .bind(userId, provider)
          .run(),
      )
      if (result.meta.changes === 1) return 'removed'
      const still = await guarded('d1', 'find identity by provider', () =>
        db
          .prepare('SELECT 1 AS found FROM identities WHERE user_id = ? AND provider = ?')
          .bind(userId, provider)
          .first<{ found: number }>(),
      )
      return still ? 'last' : 'not_found'
    },
  }
}
