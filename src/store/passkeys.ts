// Passkeys (WebAuthn credentials) in D1: the only code that reads or writes the passkeys table.
import { CREDENTIAL_ID_MAX_LENGTH } from '../auth/webauthn/credential-id'
import { isUniqueViolation } from './d1-errors'
import { StorageError, guarded } from './errors'
import { anotherWayIn } from './ways-in'
import type { Language } from '../i18n/languages'

export type PasskeyRecord = {
  /** The credential id, base64url (at most 1023 bytes): unique across every account. */
  id: string
  userId: string
  /** The COSE public key, base64url. */
  publicKey: string
  counter: number
  transports: string[]
  /** multiDevice: backup eligible (a synced passkey); singleDevice: bound to one authenticator. */
  deviceType: 'singleDevice' | 'multiDevice'
  backedUp: boolean
  name: string
  createdAt: number
  lastUsedAt: number | null
}

type Row = {
  id: string
  user_id: string
  public_key: string
  counter: number
  transports: string | null
  device_type: string
  backed_up: number
  name: string
  created_at: number
  last_used_at: number | null
}

const toRecord = (row: Row): PasskeyRecord => ({
  id: row.id,
  userId: row.user_id,
  publicKey: row.public_key,
  counter: row.counter,
  transports: row.transports ? (JSON.parse(row.transports) as string[]) : [],
  deviceType: row.device_type === 'multiDevice' ? 'multiDevice' : 'singleDevice',
  backedUp: row.backed_up === 1,
  name: row.name,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
})

export type PasskeyStore = ReturnType<typeof passkeyStore>

export function passkeyStore(db: D1Database) {
  const insertPasskey = (passkey: PasskeyRecord) => {
    // A row no lookup would find (find() does not look past the limit) must not be written;
    // the schema and the verifier refuse such an id first, so this is a bug upstream.
    if (passkey.id.length > CREDENTIAL_ID_MAX_LENGTH) {
      throw new RangeError('A credential id over 1023 bytes reached the passkey store')
    }
    return db
      .prepare(
        `INSERT INTO passkeys (id, user_id, public_key, counter, transports, device_type, backed_up, name, created_at, last_used_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
      )
      .bind(
        passkey.id,
        passkey.userId,
        passkey.publicKey,
        passkey.counter,
        JSON.stringify(passkey.transports),
        passkey.deviceType,
        passkey.backedUp ? 1 : 0,
        passkey.name,
        passkey.createdAt,
      )
  }

  return {
    /** Adds a credential; 'exists' when its id is registered already, to any account. */
    async create(passkey: PasskeyRecord): Promise<'created' | 'exists'> {
      const statement = insertPasskey(passkey)
      try {
        await statement.run()
        return 'created'
      } catch (err) {
        if (isUniqueViolation(err)) return 'exists'
        throw new StorageError('d1', 'insert passkey', err)
      }
    },

    /**
     * A new account with no password and its first passkey, both or neither (signing up with a
     * passkey): 'username_taken' or 'exists' (the credential is registered already) on a conflict.
     * Writes the users row too, as store/identities.ts does for an account made by a provider.
     */
    async createAccount(
      user: { id: string; username: string; createdAt: string; language?: Language | null },
      passkey: PasskeyRecord,
    ): Promise<'created' | 'username_taken' | 'exists'> {
      const statement = insertPasskey(passkey)
      try {
        await db.batch([
          db
            .prepare(
              "INSERT INTO users (id, username, password_hash, created_at, language) VALUES (?, ?, '', ?, ?)",
            )
            .bind(user.id, user.username, user.createdAt, user.language ?? null),
          statement,
        ])
        return 'created'
      } catch (err) {
        if (isUniqueViolation(err)) {
          return /users\.username/.test((err as Error).message) ? 'username_taken' : 'exists'
        }
        throw new StorageError('d1', 'create account with passkey', err)
      }
    },

    /** The credential with this id; null, unread, for an id longer than any credential's. */
    async find(id: string): Promise<PasskeyRecord | null> {
      if (id.length > CREDENTIAL_ID_MAX_LENGTH) return null
      const row = await guarded('d1', 'find passkey', () =>
        db.prepare('SELECT * FROM passkeys WHERE id = ?').bind(id).first<Row>(),
      )
      return row ? toRecord(row) : null
    },

    /** The user's passkeys, newest first. */
    async list(userId: string): Promise<PasskeyRecord[]> {
      const { results } = await guarded('d1', 'list passkeys', () =>
        db
          .prepare('SELECT * FROM passkeys WHERE user_id = ? ORDER BY created_at DESC, id')
          .bind(userId)
          .all<Row>(),
      )
      return results.map(toRecord)
    },

    /** Renames one of the user's passkeys: null when the user has no such passkey. */
    async rename(userId: string, id: string, name: string): Promise<PasskeyRecord | null> {
      const row = await guarded('d1', 'rename passkey', () =>
        db
          .prepare('UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ? RETURNING *')
          .bind(name, id, userId)
          .first<Row>(),
      )
      return row ? toRecord(row) : null
    },

    /**
     * Removes one of the user's passkeys unless it is the last way in (ways-in.ts): kept while
     * the user has no password, other passkey or identity. 'not_found' when the user has no such passkey.
     */
    async remove(userId: string, id: string): Promise<'removed' | 'not_found' | 'last'> {
      const result = await guarded('d1', 'remove passkey', () =>
        db
          .prepare(
            `DELETE FROM passkeys WHERE user_id = ?1 AND id = ?2
               AND ${anotherWayIn({ passkey: '?2' })}`,
          )
          .bind(userId, id)
          .run(),
      )
      if (result.meta.changes === 1) return 'removed'
      return (await this.find(id))?.userId === userId ? 'last' : 'not_found'
    },

    /**
     * Records a sign-in: the authenticator's new counter (only ever forward, so of two racing
     * sign-ins the later counter stays) and the time.
     */
    recordUse: (id: string, counter: number, at: number) =>
      guarded('d1', 'record passkey use', () =>
        db
          .prepare(
            'UPDATE passkeys SET counter = MAX(counter, ?2), last_used_at = ?3 WHERE id = ?1',
          )
          .bind(id, counter, at)
          .run(),
      ),
  }
}
