// Admin access in D1: the only code that reads or writes the api_keys table and the users' admin
// role (migration 0019). Keys are created and revoked by `npm run admin` (scripts/admin.mjs),
// which writes the same rows; the worker reads a key on every /admin call (D1 is strongly
// consistent, so a revoked key stops at once) and notes its use.
import { guarded } from './errors'

export type ApiKeyRecord = {
  id: string
  name: string
  /** base64url(SHA-256(secret)): auth/api-keys.ts compares against it. */
  secretHash: string
  /** Space-separated, as stored: auth/api-keys.ts parseScopes reads it. */
  scopes: string
  createdAt: number
  createdBy: string
  lastUsedAt: number | null
  revokedAt: number | null
}

type Row = {
  id: string
  name: string
  secret_hash: string
  scopes: string
  created_at: number
  created_by: string
  last_used_at: number | null
  revoked_at: number | null
}

const toRecord = (row: Row): ApiKeyRecord => ({
  id: row.id,
  name: row.name,
  secretHash: row.secret_hash,
  scopes: row.scopes,
  createdAt: row.created_at,
  createdBy: row.created_by,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
})

export type ApiKeyStore = ReturnType<typeof apiKeyStore>

export function apiKeyStore(db: D1Database) {
  return {
    /** A key by id, revoked or not (the caller refuses a revoked one). */
    async find(id: string): Promise<ApiKeyRecord | null> {
      const row = await guarded('d1', 'find api key', () =>
        db.prepare('SELECT * FROM api_keys WHERE id = ?').bind(id).first<Row>(),
      )
      return row ? toRecord(row) : null
    },

    /** Stores a new key (the script writes the same row with SQL of its own). */
    async add(key: Omit<ApiKeyRecord, 'lastUsedAt' | 'revokedAt'>): Promise<void> {
      await guarded('d1', 'insert api key', () =>
        db
          .prepare(
            `INSERT INTO api_keys (id, name, secret_hash, scopes, created_at, created_by)
             VALUES (?, ?, ?, ?, ?, ?)`,
          )
          .bind(key.id, key.name, key.secretHash, key.scopes, key.createdAt, key.createdBy)
          .run(),
      )
    },

    /** Marks a key revoked; false when there is no such live key. */
    async revoke(id: string, at: number): Promise<boolean> {
      const result = await guarded('d1', 'revoke api key', () =>
        db
          .prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
          .bind(at, id)
          .run(),
      )
      return result.meta.changes > 0
    },

    /**
     * Notes that a key was used at `at`, unless a use within `intervalMs` is noted already: two
     * racing requests that both read an old value write once, the second matching no row.
     */
    async touch(id: string, at: number, intervalMs: number): Promise<void> {
      await guarded('d1', 'note api key use', () =>
        db
          .prepare(
            `UPDATE api_keys SET last_used_at = ?
             WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`,
          )
          .bind(at, id, at - intervalMs)
          .run(),
      )
    },

    /** Whether the user has the admin role and is not disabled; false for one that does not exist. */
    async isAdmin(userId: string): Promise<boolean> {
      const row = await guarded('d1', 'find user role', () =>
        db
          .prepare('SELECT role FROM users WHERE id = ? AND disabled_at IS NULL')
          .bind(userId)
          .first<{ role: unknown }>(),
      )
      return row?.role === 'admin'
    },
  }
}
