// Scale on paper, backed by numbers: a month of 10 thousand, 1 million, 10 million and 50 million
// monthly active users, their busiest hour taken from a day's curve, from the storage operations
// the bench counted per request and the platform's published limits. Says which limit each
// population meets first, at what load, and what it costs. Run by `npm run bench` (quick mode
// included), or alone: `node bench/simulate.mjs [results.json]`. docs/scaling.md explains the table.
//
// The write path modelled: a session's last use (once per active session per LAST_USE period)
// does not go to D1 from the request. Each isolate coalesces the updates it sees into one
// message of the WRITES queue per flush window (up to 500 updates a message); the consumer
// takes batches of up to 100 messages and applies each batch chunk in ONE D1 statement. So the
// D1 writer sees statements per batch, not per update, and the queue sees messages per isolate
// and window, not per update. How many updates a message carries on average is not something
// the bench can count (it depends on how many isolates serve the load): it is WRITE_PATH.coalescing
// below, an explicit and deliberately low assumption, and the table says what happens if it is 1.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { LAST_USE, PRICES, USAGE_PATTERNS, monthOf } from './pricing.mjs'

export const POPULATIONS = [1e4, 1e6, 1e7, 5e7]

/**
 * The limits that bind, with where they are published. D1 runs one query at a time per
 * database; its limits page puts throughput at about 1,000 queries a second for 1 ms queries.
 */
export const LIMITS = {
  d1QueriesPerSecond: 1000, // https://developers.cloudflare.com/d1/platform/limits/ (FAQ)
  // https://developers.cloudflare.com/queues/platform/limits/
  queueMessagesPerSecond: 5000, // per queue
  queueBatchMessages: 100, // per consumer batch
  queueConcurrentConsumers: 250,
  freeRequestsPerDay: 100_000, // https://developers.cloudflare.com/workers/platform/limits/
  freeKvWritesPerDay: 1000, // https://developers.cloudflare.com/kv/platform/limits/
  freeKvReadsPerDay: 100_000,
  freeD1RowsWrittenPerDay: 100_000, // https://developers.cloudflare.com/d1/platform/limits/
}

/**
 * The batched write path's constants (src/store's write queue and its consumer) and the
 * assumptions the model makes about it, each stated.
 */
export const WRITE_PATH = {
  /** One message per isolate per flush window carries at most this many (src/store/write-queue.ts). */
  updatesPerMessageMax: 500,
  /**
   * ASSUMPTION: updates a message carries on average at the peak. A message can hold 500;
   * 10 means an isolate sees only ten sessions due a last-use write per one-second window at
   * the busiest hour (at 50 million MAU the peak has ~10,000 such updates a second, spread over
   * every location's isolates). Deliberately low: the queue's limit scales with it, and the
   * table also gives the population at which the queue binds with no coalescing at all (1).
   */
  coalescing: 10,
  /** The consumer applies each batch chunk of up to 100 messages in one D1 statement. */
  messagesPerStatement: 100,
  /**
   * ASSUMPTION: D1 publishes ~1,000 queries a second for 1 ms queries, not a per-row cost. A
   * batch statement updates hundreds of rows, so each row written is charged this much of the
   * single writer's time on top of the statement's 1 ms (SQLite updates a row by primary key
   * in microseconds; 10 µs per row written, each update writing 2 with its index, is generous).
   */
  d1MsPerRowWritten: 0.01,
  /** ASSUMPTION: seconds one consumer invocation runs (a D1 statement and the acks), generous. */
  consumerSeconds: 0.5,
  /** Queues bills a message as three operations: written, read, acknowledged. */
  queueOpsPerMessage: 3,
}

/** Share of the day's active users in each hour: a smooth day, busiest in the evening (2.5:1). */
export const HOURLY_SHARE = (() => {
  const weights = Array.from(
    { length: 24 },
    (_, h) => 1 + 0.43 * Math.sin(((h - 13) / 24) * 2 * Math.PI),
  )
  const sum = weights.reduce((a, b) => a + b, 0)
  return weights.map((w) => w / sum)
})()

/**
 * What one sign-in, refresh and token check cost, from the measured runs. A sign-in's audit row
 * is written after the response, one D1 batch of its own (the instrument's count of statements on
 * the audit_events table), kept apart from the sign-in's own D1 load so the table can show it.
 */
function perOperation(results) {
  const pick = (run) => ({ ...run.ops, cpuUs: run.cpuUsPerRequest })
  const signIn = pick(results.signIn['edge-auth'])
  const audit = results.signIn['edge-auth'].tables?.audit_events ?? { queries: 0, rowsWritten: 0 }
  return {
    signIn: {
      ...signIn,
      d1Queries: Math.max(0, (signIn.d1Queries ?? 0) - audit.queries),
      d1RowsWritten: Math.max(0, (signIn.d1RowsWritten ?? 0) - audit.rowsWritten),
      auditRows: audit.queries > 0 ? 1 : 0,
      auditRowsWritten: audit.rowsWritten,
    },
    refresh: pick(results.refresh['edge-auth']),
    tokenCheck: pick(results.tokenCheck['edge-auth']),
  }
}

/**
 * One population under one usage pattern. Every user is active one hour a day; the peak hour
 * holds HOURLY_SHARE's largest share of them. A session's last use goes through the write queue
 * once a period while it is active, which the short bench runs rarely catch, so it is added here
 * by design rather than by count.
 */
export function simulatePopulation(mau, pattern, ops, path = WRITE_PATH) {
  const month = monthOf(pattern)
  const peakShare = Math.max(...HOURLY_SHARE)
  const activeAtPeak = mau * peakShare // each active for the whole hour
  const signIns = (mau * month.signIns * peakShare) / (30 * 3600)
  const perSecond = {
    refreshes: (activeAtPeak * month.refreshes) / (30 * 3600),
    signIns,
    // Updates the write queue carries: last uses. Audit rows go to D1 after each response.
    sessionTouches: activeAtPeak / LAST_USE.periodSeconds,
    auditRows: signIns * ops.signIn.auditRows,
  }
  const updates = perSecond.sessionTouches
  const coalescing = Math.min(path.coalescing, path.updatesPerMessageMax)
  const queueMessagesPerSecond = updates / coalescing
  const consumerStatements = queueMessagesPerSecond / path.messagesPerStatement
  const d1QueriesPerSecond =
    consumerStatements + signIns * (ops.signIn.d1Queries ?? 0) + perSecond.auditRows
  const d1RowsWrittenPerSecond =
    perSecond.sessionTouches * LAST_USE.d1RowsPerWrite +
    signIns * ((ops.signIn.d1RowsWritten ?? 0) + (ops.signIn.auditRowsWritten ?? 0))
  // The writer's busy share: 1 ms a query (D1's published figure) plus the rows it writes.
  const d1Busy = (d1QueriesPerSecond + d1RowsWrittenPerSecond * path.d1MsPerRowWritten) / 1000
  const consumersBusy = consumerStatements * path.consumerSeconds // invocations in flight
  const kvWritesPerSecond =
    perSecond.refreshes * (ops.refresh.kvWrite ?? 0) + signIns * (ops.signIn.kvWrite ?? 0)
  const cpuCores = (perSecond.refreshes * ops.refresh.cpuUs + signIns * ops.signIn.cpuUs) / 1e6 // isolate-seconds a second

  // A month, in billable units.
  const requests = mau * (month.refreshes + month.signIns) // checks run in the app's own requests
  const kvReads = mau * (month.refreshes * ops.refresh.kvRead + month.signIns * ops.signIn.kvRead)
  const kvWrites =
    mau * (month.refreshes * ops.refresh.kvWrite + month.signIns * ops.signIn.kvWrite)
  const d1RowsWritten =
    mau *
    (month.lastUseWrites * LAST_USE.d1RowsPerWrite +
      month.signIns * ((ops.signIn.d1RowsWritten ?? 0) + (ops.signIn.auditRowsWritten ?? 0)))
  const d1RowsRead = mau * month.signIns * (ops.signIn.d1RowsRead ?? 0)
  const queueMessages = (mau * month.lastUseWrites) / coalescing
  const queueOps = queueMessages * path.queueOpsPerMessage
  const cpuMs =
    (mau *
      (month.refreshes * ops.refresh.cpuUs +
        month.signIns * ops.signIn.cpuUs +
        month.checks * ops.tokenCheck.cpuUs)) /
    1000
  const p = PRICES.perMillion
  const over = (used, included) => Math.max(0, used - included) / 1e6
  const bill = {
    plan: 5,
    requests: over(requests, PRICES.included.requests) * p.requests,
    cpu: over(cpuMs, PRICES.included.cpuMs) * p.cpuMs,
    kvReads: over(kvReads, PRICES.included.kvRead) * p.kvRead,
    kvWrites: over(kvWrites, PRICES.included.kvWrite) * p.kvWrite,
    d1RowsRead: over(d1RowsRead, PRICES.included.d1RowsRead) * p.d1RowsRead,
    d1RowsWritten: over(d1RowsWritten, PRICES.included.d1RowsWritten) * p.d1RowsWritten,
    queues: over(queueOps, PRICES.included.queueOps) * p.queueOps,
  }
  const dollars = Object.values(bill).reduce((a, b) => a + b, 0)

  // The population at which each limit is reached (everything here grows linearly with users).
  const perUserDaily = {
    requests: (month.refreshes + month.signIns) / 30,
    kvWrites: kvWrites / mau / 30,
    kvReads: kvReads / mau / 30,
    d1RowsWritten: d1RowsWritten / mau / 30,
  }
  const at = (load, limit) => (load > 0 ? (limit / load) * mau : Infinity)
  const reachedAt = [
    ['Free plan: 1,000 KV writes a day', LIMITS.freeKvWritesPerDay / perUserDaily.kvWrites],
    ['Free plan: 100,000 requests a day', LIMITS.freeRequestsPerDay / perUserDaily.requests],
    ['Free plan: 100,000 KV reads a day', LIMITS.freeKvReadsPerDay / perUserDaily.kvReads],
    [
      'Free plan: 100,000 D1 rows written a day',
      LIMITS.freeD1RowsWrittenPerDay / perUserDaily.d1RowsWritten,
    ],
    ['D1: one writer, about 1,000 queries a second', at(d1Busy, 1)],
    [
      'Queues: 5,000 messages a second per queue',
      at(queueMessagesPerSecond, LIMITS.queueMessagesPerSecond),
    ],
    [
      'Queues: 250 concurrent consumer invocations',
      at(consumersBusy, LIMITS.queueConcurrentConsumers),
    ],
  ].sort((a, b) => a[1] - b[1])

  return {
    mau,
    pattern: pattern.name,
    peak: {
      ...perSecond,
      updates,
      queueMessagesPerSecond,
      consumerStatements,
      d1QueriesPerSecond,
      d1RowsWrittenPerSecond,
      d1Busy,
      consumersBusy,
      kvWritesPerSecond,
      cpuCores,
    },
    month: { requests, kvReads, kvWrites, d1RowsRead, d1RowsWritten, queueMessages, cpuMs },
    bill,
    dollars,
    dollarsPerMau: dollars / mau,
    limits: reachedAt.map(([limit, users]) => ({ limit, users, hit: users <= mau })),
    /** With no coalescing at all (one update a message): where the queue's limit would bind. */
    queueLimitWithoutCoalescing: at(updates, LIMITS.queueMessagesPerSecond),
  }
}

export function simulate(report) {
  const ops = perOperation(report.results)
  return USAGE_PATTERNS.flatMap((pattern) =>
    POPULATIONS.map((mau) => simulatePopulation(mau, pattern, ops)),
  )
}

/** The first Workers Paid limit a population meets, and at how many users. */
export const firstPaidLimit = (row) => row.limits.find((l) => !l.limit.startsWith('Free'))

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? new URL('./results.json', import.meta.url).pathname
  const report = JSON.parse(readFileSync(file, 'utf8'))
  const n = (x) => Math.round(x).toLocaleString('en-US')
  for (const row of simulate(report)) {
    const first = firstPaidLimit(row)
    console.log(
      `${n(row.mau)} MAU, ${row.pattern}: $${n(row.dollars)}/month (queues $${n(row.bill.queues)}); ` +
        `peak ${n(row.peak.updates)} updates/s in ${n(row.peak.queueMessagesPerSecond)} messages/s, ` +
        `D1 ${n(row.peak.d1QueriesPerSecond)} queries/s, writer ${Math.round(row.peak.d1Busy * 100)}% busy; ` +
        `first Paid limit: ${first.limit} at ${n(first.users)} users ` +
        `(queue without coalescing: ${n(row.queueLimitWithoutCoalescing)})`,
    )
  }
}
