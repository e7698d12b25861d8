// Cloudflare's published prices (Workers Paid, Standard usage model), and what an operation and a
// monthly active user cost at them, from the counts the bench measures. Prices are the marginal
// ones, past each monthly allowance (the $5 plan fee and the allowances are left out: they are
// the same whichever service runs). Sources, read 2026-11-25 (bench/README.md#prices):
//   https://developers.cloudflare.com/workers/platform/pricing/
//   https://developers.cloudflare.com/kv/platform/pricing/
//   https://developers.cloudflare.com/d1/platform/pricing/
//   https://developers.cloudflare.com/queues/platform/pricing/
export const PRICES = {
  read: '2026-11-25',
  /** US dollars per million of each. */
  perMillion: {
    requests: 0.3,
    cpuMs: 0.02,
    kvRead: 0.5,
    kvWrite: 5,
    kvDelete: 5,
    kvList: 5,
    d1RowsRead: 0.001,
    d1RowsWritten: 1,
    /** A message is three operations: written, read, acknowledged (Queues pricing). */
    queueOps: 0.4,
  },
  /** Included each month on Workers Paid, for docs/scaling.md. */
  included: {
    requests: 10e6,
    cpuMs: 30e6,
    kvRead: 10e6,
    kvWrite: 1e6,
    d1RowsRead: 25e9,
    d1RowsWritten: 50e6,
    queueOps: 1e6,
  },
}

/**
 * Dollars per million of an operation measured with `cpuUsPerRequest` and `ops` per request.
 * `request: false` for work done inside a request the app makes anyway (checking an access
 * token or session in its own API), which adds no request fee of its own.
 */
export function dollarsPerMillion(run, { request = true } = {}) {
  const p = PRICES.perMillion
  const ops = run.ops ?? {}
  const storage =
    (ops.kvRead ?? 0) * p.kvRead +
    (ops.kvWrite ?? 0) * p.kvWrite +
    (ops.kvDelete ?? 0) * p.kvDelete +
    (ops.kvList ?? 0) * p.kvList +
    (ops.d1RowsRead ?? 0) * p.d1RowsRead +
    (ops.d1RowsWritten ?? 0) * p.d1RowsWritten
  const cpu = ((run.cpuUsPerRequest ?? 0) / 1000) * p.cpuMs
  return { total: (request ? p.requests : 0) + cpu + storage, storage, cpu }
}

/**
 * A month of one active user: signed in for an hour a day, 30 days, making one API call a minute
 * (each checks the access token or session) and signing in once a month (sessions outlive a
 * day's gap). The SDK refreshes on demand, when a call finds its access token expired
 * (client/src/index.ts), so while active there is a refresh per call or per access-token
 * lifetime, whichever is rarer.
 */
export const USAGE_PATTERNS = [
  { name: 'one hour a day, 20 s access tokens (the default)', accessTtl: 20 },
  { name: 'one hour a day, 5-minute access tokens', accessTtl: 300 },
]

const CALL_INTERVAL_S = 60

/**
 * What this service writes behind the requests: an active session's last use, once a period
 * (LAST_USE_GRANULARITY_MS in src/services/sessions.ts; run.mjs checks the two agree), 2 D1
 * rows each (the row and its `sessions_by_user` index entry). Too rare for a bench run to catch.
 */
export const LAST_USE = { periodSeconds: 300, d1RowsPerWrite: 2 }

export function monthOf(pattern) {
  const activeSeconds = 30 * 3600
  return {
    checks: activeSeconds / CALL_INTERVAL_S,
    refreshes: activeSeconds / Math.max(pattern.accessTtl, CALL_INTERVAL_S),
    signIns: 1,
    lastUseWrites: activeSeconds / LAST_USE.periodSeconds,
  }
}

/**
 * Dollars per monthly active user from each operation's dollars per million, plus, for this
 * service (`lastUse`), its last-use writes. An operation the service does not have costs
 * nothing here and is named in `missing`.
 */
export function dollarsPerMau(costs, pattern, { lastUse = false } = {}) {
  const month = monthOf(pattern)
  const parts = [
    ['checks', costs.tokenCheck],
    ['refreshes', costs.refresh],
    ['signIns', costs.signIn],
  ]
  let total = lastUse
    ? (month.lastUseWrites * LAST_USE.d1RowsPerWrite * PRICES.perMillion.d1RowsWritten) / 1e6
    : 0
  const missing = []
  for (const [what, cost] of parts) {
    if (cost === undefined) missing.push(what)
    else total += (month[what] * cost) / 1e6
  }
  return { total, missing }
}
