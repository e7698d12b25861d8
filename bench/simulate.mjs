// Scale on paper, backed by numbers: a month of 10 thousand, 1 million and 10 million monthly
// active users, their busiest hour taken from a day's curve, from the storage operations the bench counted
// per request and the platform's published limits. Says which limit each population meets
// first, at what load, and what it costs. Run by `npm run bench` (quick mode included), or alone:
// `node bench/simulate.mjs [results.json]`. docs/scaling.md explains the table.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { LAST_USE, PRICES, USAGE_PATTERNS, monthOf } from './pricing.mjs'

export const POPULATIONS = [1e4, 1e6, 1e7]

/**
 * The limits that bind, with where they are published. D1 runs one query at a time per
 * database; its limits page puts throughput at about 1,000 queries a second for 1 ms queries.
 */
export const LIMITS = {
  d1QueriesPerSecond: 1000, // https://developers.cloudflare.com/d1/platform/limits/ (FAQ)
  freeRequestsPerDay: 100_000, // https://developers.cloudflare.com/workers/platform/limits/
  freeKvWritesPerDay: 1000, // https://developers.cloudflare.com/kv/platform/limits/
  freeKvReadsPerDay: 100_000,
  freeD1RowsWrittenPerDay: 100_000, // https://developers.cloudflare.com/d1/platform/limits/
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

/** What one sign-in, refresh and token check cost in storage, from the measured runs. */
function perOperation(results) {
  const pick = (run) => ({
    ...run.ops,
    cpuUs: run.cpuUsPerRequest,
  })
  return {
    signIn: pick(results.signIn['edge-auth']),
    refresh: pick(results.refresh['edge-auth']),
    tokenCheck: pick(results.tokenCheck['edge-auth']),
  }
}

/**
 * One population under one usage pattern. Every user is active one hour a day; the peak hour
 * holds HOURLY_SHARE's largest share of them. A session's last use goes to D1 once a period
 * while it is active, which the short bench runs rarely catch, so it is added here by design
 * rather than by count.
 */
export function simulatePopulation(mau, pattern, ops) {
  const month = monthOf(pattern)
  const peakShare = Math.max(...HOURLY_SHARE)
  const activeAtPeak = mau * peakShare // each active for the whole hour
  const perSecond = {
    refreshes: (activeAtPeak * month.refreshes) / (30 * 3600),
    signIns: (mau * month.signIns * peakShare) / (30 * 3600),
    sessionTouches: activeAtPeak / LAST_USE.periodSeconds,
  }
  const d1QueriesPerSecond =
    perSecond.sessionTouches + perSecond.signIns * (ops.signIn.d1Queries ?? 0)
  const kvWritesPerSecond =
    perSecond.refreshes * (ops.refresh.kvWrite ?? 0) + perSecond.signIns * (ops.signIn.kvWrite ?? 0)

  // A month, in billable units.
  const requests = mau * (month.refreshes + month.signIns) // checks run in the app's own requests
  const kvReads = mau * (month.refreshes * ops.refresh.kvRead + month.signIns * ops.signIn.kvRead)
  const kvWrites =
    mau * (month.refreshes * ops.refresh.kvWrite + month.signIns * ops.signIn.kvWrite)
  const d1RowsWritten =
    mau *
    (month.lastUseWrites * LAST_USE.d1RowsPerWrite +
      month.signIns * (ops.signIn.d1RowsWritten ?? 0))
  const d1RowsRead = mau * month.signIns * (ops.signIn.d1RowsRead ?? 0)
  const cpuMs =
    (mau *
      (month.refreshes * ops.refresh.cpuUs +
        month.signIns * ops.signIn.cpuUs +
        month.checks * ops.tokenCheck.cpuUs)) /
    1000
  const p = PRICES.perMillion
  const over = (used, included) => Math.max(0, used - included) / 1e6
  const dollars =
    5 +
    over(requests, PRICES.included.requests) * p.requests +
    over(cpuMs, PRICES.included.cpuMs) * p.cpuMs +
    over(kvReads, PRICES.included.kvRead) * p.kvRead +
    over(kvWrites, PRICES.included.kvWrite) * p.kvWrite +
    over(d1RowsRead, PRICES.included.d1RowsRead) * p.d1RowsRead +
    over(d1RowsWritten, PRICES.included.d1RowsWritten) * p.d1RowsWritten

  // The population at which each limit is reached (everything here grows linearly with users).
  const perUserDaily = {
    requests: (month.refreshes + month.signIns) / 30,
    kvWrites: kvWrites / mau / 30,
    kvReads: kvReads / mau / 30,
    d1RowsWritten: d1RowsWritten / mau / 30,
  }
  const reachedAt = [
    ['Free plan: 1,000 KV writes a day', LIMITS.freeKvWritesPerDay / perUserDaily.kvWrites],
    ['Free plan: 100,000 requests a day', LIMITS.freeRequestsPerDay / perUserDaily.requests],
    ['Free plan: 100,000 KV reads a day', LIMITS.freeKvReadsPerDay / perUserDaily.kvReads],
    [
      'Free plan: 100,000 D1 rows written a day',
      LIMITS.freeD1RowsWrittenPerDay / perUserDaily.d1RowsWritten,
    ],
    [
      'D1: one writer, about 1,000 queries a second',
      (LIMITS.d1QueriesPerSecond / d1QueriesPerSecond) * mau,
    ],
  ].sort((a, b) => a[1] - b[1])

  return {
    mau,
    pattern: pattern.name,
    peak: { ...perSecond, d1QueriesPerSecond, kvWritesPerSecond },
    month: { requests, kvReads, kvWrites, d1RowsRead, d1RowsWritten, cpuMs },
    dollars,
    dollarsPerMau: dollars / mau,
    limits: reachedAt.map(([limit, users]) => ({ limit, users, hit: users <= mau })),
  }
}

export function simulate(report) {
  const ops = perOperation(report.results)
  return USAGE_PATTERNS.flatMap((pattern) =>
    POPULATIONS.map((mau) => simulatePopulation(mau, pattern, ops)),
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? new URL('./results.json', import.meta.url).pathname
  const report = JSON.parse(readFileSync(file, 'utf8'))
  for (const row of simulate(report)) {
    const first = row.limits[0]
    console.log(
      `${row.mau.toLocaleString('en-US')} MAU, ${row.pattern}: $${row.dollars.toFixed(2)}/month; ` +
        `first limit: ${first.limit} at ${Math.round(first.users).toLocaleString('en-US')} users`,
    )
  }
}
