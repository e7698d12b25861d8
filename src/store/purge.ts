// Bounded deletes for the hourly cleanup (consumers/scheduled.ts): each store that keeps rows past
// their use purges them through this, a batch at a time, so one run never holds D1's single
// writer for long. The caller names a table it owns and a fixed condition; only values are bound.
import { guarded } from './errors'

/** Deletes up to `limit` rows of `table` matching `condition`; returns how many went. */
export async function purgeSome(
  db: D1Database,
  table: string,
  condition: string,
  values: unknown[],
  limit: number,
): Promise<number> {
  const result = await guarded('d1', `purge ${table}`, () =>
    db
      .prepare(
        `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${condition} LIMIT ?)`,
      )
      .bind(...values, limit)
      .run(),
  )
  return result.meta.changes
}
