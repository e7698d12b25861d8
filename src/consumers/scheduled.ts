// The Cron Trigger's handler: purges what the tables keep past its use. Audit events older than
// AUDIT_RETENTION_DAYS; session rows that can no longer refresh; email links and codes past their
// expiry; email quota rows whose window has ended; registered clients that are gone (no grant,
// unused for 30 days); settled webhook deliveries as old as the audit log keeps. Each table is purged in bounded batches, up
// to a ceiling per run, so a run stays short and D1's single writer is never held for long; what
// is left waits for the next hour. KV needs none of this: every key there has a TTL.
import { now } from '../clock'
import { log, setLogLevel } from '../log'
import { settings } from '../env'
import type { Bindings } from '../env'
import { auditStore } from '../store/audit-events'
import { emailCodeStore } from '../store/email-codes'
import { emailQuota } from '../store/email-quota'
import { emailTokenStore } from '../store/email-tokens'
import { sessionIndex } from '../store/session-index'
import { oauthClientStore } from '../store/oauth-clients'
import { webhookDeliveryStore } from '../store/webhook-deliveries'
import { CLIENT_IDLE_LIMIT_MS } from '../services/oauth-server/clients'

const DAY_MS = 24 * 60 * 60 * 1000
/** Rows deleted by one statement. */
export const PURGE_BATCH = 500
/** Statements per table per run: at most 10,000 rows of a table an hour. */
export const PURGE_BATCHES_PER_RUN = 20
/**
 * A session's idle limit in D1 lags its real one by up to the last-use period (five minutes,
 * services/sessions.ts); a day's margin leaves every row a refresh could still need.
 */
const IDLE_MARGIN_MS = DAY_MS

/** One purge: deletes at most `limit` rows, answering how many went. */
type Purge = (limit: number) => Promise<number>

async function drain(purge: Purge): Promise<number> {
  let total = 0
  for (let i = 0; i < PURGE_BATCHES_PER_RUN; i++) {
    const gone = await purge(PURGE_BATCH)
    total += gone
    if (gone < PURGE_BATCH) break
  }
  return total
}

/** What one run purged, by table (also its log line, `purged`). */
export type PurgeReport = Record<string, number>

/** Runs every purge; one that fails is logged and the others still run. */
export async function purgeExpired(env: Bindings, at = now()): Promise<PurgeReport> {
  const retentionDays = settings(env).auditRetentionDays
  const purges: Record<string, Purge> = {
    auditEvents: (limit) => auditStore(env.DB).purgeBefore(at - retentionDays * DAY_MS, limit),
    sessions: (limit) => sessionIndex(env.DB).purgeExpired(at, at - IDLE_MARGIN_MS, limit),
    // Not "tokens": the log redacts fields with secret-looking names.
    emailLinks: (limit) => emailTokenStore(env.DB).purgeExpired(at, limit),
    emailCodes: (limit) => emailCodeStore(env.DB).purgeExpired(at, limit),
    emailQuota: (limit) => emailQuota(env.DB).purgeExpired(at, limit),
    // The delivery log keeps as long as the audit log; a delivery still being tried is kept.
    webhookDeliveries: (limit) =>
      webhookDeliveryStore(env.DB).purgeBefore(at - retentionDays * DAY_MS, limit),
    oauthClients: (limit) => oauthClientStore(env.DB).purgeIdle(at - CLIENT_IDLE_LIMIT_MS, limit),
  }
  const report: PurgeReport = {}
  let failed = false
  for (const [table, purge] of Object.entries(purges)) {
    try {
      report[table] = await drain(purge)
    } catch (err) {
      failed = true
      log.error('purge_failed', { table, errorName: err instanceof Error ? err.name : typeof err })
    }
  }
  log.info('purged', report)
  if (failed) throw new Error('a purge failed; the next run tries again')
  return report
}

export async function scheduled(
  _controller: ScheduledController,
  env: Bindings,
  _ctx: ExecutionContext,
): Promise<void> {
  setLogLevel(settings(env).logLevel)
  await purgeExpired(env)
}
