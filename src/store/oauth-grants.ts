// Users' grants to third-party apps in D1: the only code that reads or writes oauth_grants. A
// grant is the remembered consent (client, resource, scopes) and the "connected app" its user
// can remove; the sessions it started carry its id (session-index.ts).
import { guarded } from './errors'

/** Times are epoch ms; `scope` is space-separated. */
export type Grant = {
  id: string
  userId: string
  clientId: string
  resource: string
  scope: string
  createdAt: number
  lastUsedAt: number
}

type Row = {
  id: string
  user_id: string
  client_id: string
  resource: string
  scope: string
  created_at: number
  last_used_at: number
  client_name?: string | null
}

const toGrant = (row: Row): Grant => ({
  id: row.id,
  userId: row.user_id,
  clientId: row.client_id,
  resource: row.resource,
  scope: row.scope,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
})

/**
 * `touch` as a statement for another store's batch (the code exchange's closing checks): a row
 * when the grant is still there, none when its user removed it.
 */
export const touchStatement = (db: D1Database, id: string, at: number) =>
  db
    .prepare(
      'UPDATE oauth_grants SET last_used_at = MAX(last_used_at, ?) WHERE id = ? RETURNING id',
    )
    .bind(at, id)

export type GrantStore = ReturnType<typeof grantStore>

export function grantStore(db: D1Database) {
  return {
    /** The user's grant to the client for the resource, if there is one. */
    async find(userId: string, clientId: string, resource: string): Promise<Grant | null> {
      const row = await guarded('d1', 'find grant', () =>
        db
          .prepare(
            'SELECT * FROM oauth_grants WHERE user_id = ? AND client_id = ? AND resource = ?',
          )
          .bind(userId, clientId, resource)
          .first<Row>(),
      )
      return row ? toGrant(row) : null
    },

    /**
     * Records consent to `scopes`: the existing grant widened to the union (its id kept), or a
     * new grant with only these. The widening is conditional on the grant read still being
     * there: one removed in between is not brought back with its old scopes.
     */
    async consent(
      userId: string,
      client: { id: string; name: string | null },
      resource: string,
      scopes: string[],
      at: number,
    ): Promise<Grant> {
      const clientId = client.id
      const existing = await this.find(userId, clientId, resource)
      if (existing) {
        const scope = [...new Set([...existing.scope.split(' '), ...scopes])]
          .filter(Boolean)
          .join(' ')
        const row = await guarded('d1', 'widen consent', () =>
          db
            .prepare('UPDATE oauth_grants SET scope = ?, client_name = ? WHERE id = ? RETURNING *')
            .bind(scope, client.name, existing.id)
            .first<Row>(),
        )
        if (row) return toGrant(row)
      }
      // Two first consents at once: the later keeps its own scopes (never more than allowed).
      const row = await guarded('d1', 'record consent', () =>
        db
          .prepare(
            `INSERT INTO oauth_grants (id, user_id, client_id, resource, scope, created_at, last_used_at, client_name)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (user_id, client_id, resource) DO UPDATE SET scope = excluded.scope
             RETURNING *`,
          )
          .bind(
            crypto.randomUUID(),
            userId,
            clientId,
            resource,
            [...new Set(scopes)].join(' '),
            at,
            at,
            client.name,
          )
          .first<Row>(),
      )
      return toGrant(row!)
    },

    /**
     * The user's grants, each with its client's name, most recently used first: by its sessions'
     * refreshes too (written to D1 at most once in five minutes).
     */
    async list(userId: string): Promise<(Grant & { clientName: string | null })[]> {
      const { results } = await guarded('d1', 'list grants', () =>
        db
          .prepare(
            `SELECT g.id, g.user_id, g.client_id, g.resource, g.scope, g.created_at,
               MAX(g.last_used_at, COALESCE(
                 (SELECT MAX(s.last_used_at) FROM sessions s WHERE s.grant_id = g.id), 0)
               ) AS last_used_at,
               COALESCE(c.name, g.client_name) AS client_name
             FROM oauth_grants g
             LEFT JOIN oauth_clients c ON c.id = g.client_id
             WHERE g.user_id = ? ORDER BY last_used_at DESC`,
          )
          .bind(userId)
          .all<Row>(),
      )
      return results.map((row) => ({ ...toGrant(row), clientName: row.client_name ?? null }))
    },

    /** Records the grant's use; false when it is gone (removed by its user). */
    async touch(id: string, at: number): Promise<boolean> {
      const row = await guarded('d1', 'touch grant', () => touchStatement(db, id, at).first())
      return row !== null
    },

    /** Removes the grant if it is the user's; false when it is not (or is gone). */
    async remove(userId: string, id: string): Promise<boolean> {
      const result = await guarded('d1', 'delete grant', () =>
        db.prepare('DELETE FROM oauth_grants WHERE id = ? AND user_id = ?').bind(id, userId).run(),
      )
      return result.meta.changes > 0
    },
  }
}
