// Turns a benchmark run into bench/results.md (targets, side-by-side tables, costs, scale) and
// bench/results.svg (the comparable operations at a glance).
import { PRICES, USAGE_PATTERNS, dollarsPerMau, dollarsPerMillion } from './pricing.mjs'
import { LIMITS, WRITE_PATH, firstPaidLimit } from './simulate.mjs'

/** The operations every service is compared on, and what each one is here. */
const OPERATIONS = [
  ['health', 'no-op (`GET /health`)'],
  ['tokenCheck', 'token check (`GET /users`; a peer’s protected call)'],
  ['refresh', 'refresh (`POST /token`, rotating)'],
  ['signIn', 'password sign-in (`POST /login`, 1 connection)'],
]
/** This service's other routes. */
const OURS = [
  ['cookieRefresh', '`POST /token`, cookie mode'],
  ['passkeyOptions', '`POST /login/passkey/options` (1 connection)'],
  [
    'passkeySignIn',
    'passkey sign-in: options + `POST /login/passkey`, per ceremony (1 connection; p50 per request)',
  ],
  ['signinPage', '`GET /signin` (hosted page)'],
  [
    'federatedStart',
    '`GET /signin/{id}`: a federated sign-in’s start, 302 to the provider (1 connection)',
  ],
  [
    'federatedCallback',
    '`GET /signin/{id}/callback`: a federated sign-in, returning user (1 connection)',
  ],
]
/** The ways to sign in, side by side: what each costs here and what a user waits on. */
const SIGN_INS = [
  ['password (`POST /login`)', (r) => r.signIn[OURS_ID]],
  ['passkey (options + `POST /login/passkey`, per ceremony)', (r) => r.ours.passkeySignIn],
  ['federated: start (`GET /signin/{id}`)', (r) => r.ours.federatedStart],
  ['federated: callback (`GET /signin/{id}/callback`)', (r) => r.ours.federatedCallback],
]

/**
 * The authorization server for third-party apps beside workers-oauth-provider's
 * (bench/authorization-server.mjs): each row's run, by who. The peer's refresh and token check
 * are its rows of the side-by-side tables (the same requests); the floor's check is one bare
 * hono/jwt verification, for scale.
 */
const AUTHORIZATION_SERVER = [
  [
    'authorization code exchange: `POST /oauth/token`, `grant_type=authorization_code` with PKCE (the peer: `POST /token`)',
    (r) => r.codeExchange,
    { request: true },
  ],
  [
    'grant refresh: `POST /oauth/token`, `grant_type=refresh_token` with an `app.` token, rotating (the peer: `POST /token`)',
    (r) => ({
      ...r.grantRefresh,
      ...Object.fromEntries(
        Object.entries(r.refresh).filter(([who]) => isPeer(who) && r.codeExchange[who]),
      ),
    }),
    { request: true },
  ],
  [
    'resource token check: a Worker calling edge-auth/resource’s `authenticate()` on a warm key cache (the peer: its `apiHandler` call, a KV read)',
    (r) => ({
      ...r.resourceCheck,
      ...Object.fromEntries(
        Object.entries(r.tokenCheck).filter(
          ([who]) => (isPeer(who) && r.codeExchange[who]) || who === FLOOR,
        ),
      ),
    }),
    { request: false },
  ],
  [
    'UserInfo: `GET /userinfo` with an OpenID app’s access token (no peer has one: see the targets)',
    (r) => r.userInfo ?? {},
    { request: true },
  ],
]

/** Calls to the provider per request: the token endpoint's, then discovery's and the keys' (cached). */
function outboundCell(x) {
  if (!x.outbound) return 'none'
  const { token, discovery, jwks } = x.outbound
  return `${fmt(token, 2)} token · ${fmt(discovery, 2)} discovery · ${fmt(jwks, 2)} JWKS`
}
const OURS_ID = 'edge-auth'
const FLOOR = 'floor'
const SEED = 'seed'

const fmt = (n, digits = 0) =>
  n === undefined || n === null || Number.isNaN(n)
    ? 'n/a'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })
const money = (n, digits = 2) => (n === undefined ? 'n/a' : `$${n.toFixed(digits)}`)
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`
const row = (cells) => `| ${cells.join(' | ')} |`
const FLOOR_D1 = 'floor-d1'
const isPeer = (who) => ![OURS_ID, FLOOR, FLOOR_D1, SEED].includes(who)
/** Checks run inside the app's own API request: no request fee of their own. */
const costOf = (op, run) => dollarsPerMillion(run, { request: op !== 'tokenCheck' })

/** Dollars per million for each service and operation it has. */
function costTable(results) {
  const out = {}
  for (const [op] of OPERATIONS.slice(1)) {
    for (const [who, run] of Object.entries(results[op])) {
      if (who === SEED) continue
      out[who] ??= {}
      out[who][op] = costOf(op, run).total
    }
  }
  return out
}

/** Peers the bench runs that have no such operation, and why, for the targets that name them. */
const NO_PEER = {
  userInfo:
    'no peer to compare: OpenAuth’s issuer and workers-oauth-provider serve no UserInfo ' +
    '(checked in node_modules); better-auth’s OpenID provider is a plugin package this peer does ' +
    'not install or set up',
  federated:
    'not compared: OpenAuth (OIDC and OAuth providers) and better-auth (social sign-in) have one, ' +
    'but the peers here are set up with passwords only; workers-oauth-provider has none (the app ' +
    'signs users in)',
}

/**
 * Ours beside the peers that ran the same operation: CPU, storage steps and dollars, each lower
 * than every one of theirs. `met` is null when no peer ran it.
 */
function aheadOn(ours, peerRuns, { request = true } = {}) {
  if (!ours) return { value: 'n/a (not run)', met: false }
  if (peerRuns.length === 0) return { value: null, met: null }
  const cost = (x) => dollarsPerMillion(x, { request }).total
  const measures = [
    ['CPU µs', (x) => x.cpuUsPerRequest, (v) => fmt(v)],
    ['steps', (x) => x.steps, (v) => fmt(v, 1)],
    ['$/M', cost, (v) => money(v)],
  ]
  const failed = []
  const parts = measures.map(([name, pick, show]) => {
    const mine = pick(ours)
    const theirs = peerRuns.map(([who, x]) => [who, pick(x)])
    // Not measured (the quick run counts no steps here): shown as n/a, not judged.
    const known = mine !== undefined && theirs.every(([, v]) => v !== undefined)
    // Steps are whole round trips: level counts as not ahead, a tenth of noise does not count.
    const below = (a, b) => (name === 'steps' ? Math.round(a) < Math.round(b) : a < b)
    if (known && !theirs.every(([, v]) => below(mine, v))) failed.push(name)
    return `${name} ${show(mine)} vs ${theirs.map(([w, v]) => `${w} ${show(v)}`).join(', ')}`
  })
  return { value: parts.join(' · '), met: failed.length === 0, failed }
}

/**
 * The two ratios again on ours with LOG_LEVEL=warn (and rate limits on, as deployed): no log line
 * for a 2xx. Absent from older results.
 */
function quietRows(r) {
  if (!r.quiet?.health || !r.quiet?.tokenCheck) return []
  const ratio = (op) => r.quiet[op].cpuUsPerRequest / r[op][FLOOR].cpuUsPerRequest
  const row = (label, op) => [label, fmt(ratio(op), 2), '≤ 1.1', ratio(op) <= 1.1]
  const rows = [
    row('`/health` CPU ÷ the floor’s, with `LOG_LEVEL=warn` (no log line for a 2xx)', 'health'),
    row('`/users` CPU ÷ the floor’s, with `LOG_LEVEL=warn`', 'tokenCheck'),
  ]
  // The same against the floor answering with our eleven security headers and a request id:
  // what is left is our middleware and routing, the headers' cost on the wire set apart.
  if (!r.floorHeaders?.health || !r.floorHeaders?.tokenCheck) return rows
  const net = (op) => r.quiet[op].cpuUsPerRequest / r.floorHeaders[op].cpuUsPerRequest
  const netRow = (label, op) => [label, fmt(net(op), 2), '≤ 1.1', net(op) <= 1.1]
  return [
    ...rows,
    netRow(
      '`/health` CPU (`LOG_LEVEL=warn`) ÷ the floor’s sending the same security headers and request id',
      'health',
    ),
    netRow('`/users` CPU (`LOG_LEVEL=warn`) ÷ the same floor’s', 'tokenCheck'),
  ]
}

function targets(report) {
  const r = report.results
  const ours = (op) => r[op][OURS_ID]
  const peers = (op) => Object.entries(r[op] ?? {}).filter(([who]) => isPeer(who))
  const costs = costTable(r)
  const peerCosts = (op) => peers(op).map(([who]) => costs[who][op])
  const allBelow = (value, others) => others.length > 0 && others.every((x) => value < x)
  const ratio = (op) => ours(op).cpuUsPerRequest / r[op][FLOOR].cpuUsPerRequest
  const lines = [
    [
      '`/health` CPU ÷ the minimal Hono floor’s',
      fmt(ratio('health'), 2),
      '≤ 1.1',
      ratio('health') <= 1.1,
    ],
    [
      '`/users` CPU ÷ the floor’s (one hono/jwt ES256 verify)',
      fmt(ratio('tokenCheck'), 2),
      '≤ 1.1',
      ratio('tokenCheck') <= 1.1,
    ],
    ...quietRows(r),
    [
      '`/users` CPU µs vs every peer’s token check',
      `${fmt(ours('tokenCheck').cpuUsPerRequest)} vs ${peers('tokenCheck')
        .map(([w, x]) => `${w} ${fmt(x.cpuUsPerRequest)}`)
        .join(', ')}`,
      'lowest',
      allBelow(
        ours('tokenCheck').cpuUsPerRequest,
        peers('tokenCheck').map(([, x]) => x.cpuUsPerRequest),
      ),
    ],
    aheadRow(
      'code exchange (`POST /oauth/token`, PKCE) vs the peers that have one',
      aheadOn(r.codeExchange?.[OURS_ID], peers('codeExchange')),
    ),
    aheadRow(
      'at+jwt check (edge-auth/resource) vs the peers’ token checks behind an authorization server',
      aheadOn(
        r.resourceCheck?.[OURS_ID],
        peers('tokenCheck').filter(([who]) => r.codeExchange?.[who]),
        { request: false },
      ),
    ),
    aheadRow(
      'UserInfo (`GET /userinfo`, an OpenID app’s token)',
      aheadOn(r.userInfo?.[OURS_ID], []),
      NO_PEER.userInfo,
    ),
    aheadRow(
      'federated sign-in (callback of a returning user)',
      aheadOn(r.ours.federatedCallback, []),
      NO_PEER.federated,
    ),
    aheadRow(
      'audit-logged password sign-in vs the peers’ sign-ins (none of which keeps an audit log)',
      aheadOn(ours('signIn'), peers('signIn')),
    ),
    ...auditRows(r.signInAudit),
    [
      'refresh: sequential storage steps (rounded to whole round trips)',
      fmt(ours('refresh').steps, 1),
      '≤ 2',
      Math.round(ours('refresh').steps) <= 2,
    ],
    [
      'refresh CPU µs vs every peer’s',
      `${fmt(ours('refresh').cpuUsPerRequest)} vs ${peers('refresh')
        .map(([w, x]) => `${w} ${fmt(x.cpuUsPerRequest)}`)
        .join(', ')}`,
      'lowest',
      allBelow(
        ours('refresh').cpuUsPerRequest,
        peers('refresh').map(([, x]) => x.cpuUsPerRequest),
      ),
    ],
    [
      '$ per million refreshes vs every peer’s',
      `${money(costs[OURS_ID].refresh)} vs ${peers('refresh')
        .map(([w]) => `${w} ${money(costs[w].refresh)}`)
        .join(', ')}`,
      'lowest',
      allBelow(costs[OURS_ID].refresh, peerCosts('refresh')),
    ],
    [
      'login p50 − bare PBKDF2 p50 (ms)',
      fmt(ours('signIn').p50 - r.signIn[FLOOR].p50, 1),
      '≤ 3 ms',
      ours('signIn').p50 - r.signIn[FLOOR].p50 <= 3,
    ],
    ...USAGE_PATTERNS.map((pattern) => {
      const mine = dollarsPerMau(costs[OURS_ID], pattern, { lastUse: true }).total
      const others = Object.keys(costs)
        .filter(isPeer)
        .map((who) => [who, dollarsPerMau(costs[who], pattern)])
      return [
        `$ per 1,000 MAU, ${pattern.name}`,
        `${money(mine * 1000, 3)} vs ${others.map(([w, x]) => `${w} ${money(x.total * 1000, 3)}${x.missing.length ? '*' : ''}`).join(', ')}`,
        'lowest',
        allBelow(
          mine,
          others.map(([, x]) => x.total),
        ),
      ]
    }),
    [
      'bundle, gzip, every feature',
      kb(report.bundle.gzip),
      '≤ 150 KB',
      report.bundle.gzip <= 150 * 1024,
    ],
    coldStartRow(r.coldStart),
    coldStartNetRow(r.coldStart),
    d1WriterRow(report.simulation),
  ].filter(Boolean)
  return lines.map(([name, value, target, met]) => ({ name, value, target, met }))
}

/** A row from aheadOn: met, not met (naming the measures behind), or why there is no peer. */
function aheadRow(name, { value, met, failed }, noPeer) {
  if (met === null)
    return [name, noPeer ?? 'no peer ran it', 'ahead of the peers that have it', null]
  return [
    name,
    value,
    'lowest CPU, steps and $/M',
    met ? true : `**not met** (${failed.join(', ')})`,
  ]
}

/**
 * What a sign-in's audit event costs: the same /login on the bundle with that event and on the
 * one without it (run.mjs), CPU within 10% and no storage step added. The audit row itself is
 * written after the response: the instrument counts it under its table.
 */
function auditRows(ab) {
  if (!ab?.with || !ab?.without) return []
  const added = ab.with.cpuUsPerRequest / ab.without.cpuUsPerRequest - 1
  const rows = ab.with.tables?.audit_events
  const steps = (ab.with.steps ?? 0) - (ab.without.steps ?? 0)
  return [
    [
      'audit logging’s added CPU on a password sign-in (with ÷ without − 1)',
      `${fmt(added * 100, 1)}% (${fmt(ab.with.cpuUsPerRequest)} vs ${fmt(ab.without.cpuUsPerRequest)} µs)`,
      '≤ 10%',
      added <= 0.1,
    ],
    [
      'audit logging’s added storage steps on a sign-in (its row written after the response)',
      `${fmt(steps, 1)} (${fmt(ab.with.steps, 1)} vs ${fmt(ab.without.steps, 1)}); audit rows per sign-in ${fmt(rows?.queries ?? 0, 2)}`,
      '0',
      ab.with.steps === undefined || ab.without.steps === undefined
        ? null
        : Math.round(steps) <= 0 && (rows?.queries ?? 0) > 0,
    ],
  ]
}

/**
 * Cold start net of the local platform: each service's time to its first answer less its floor's
 * (the floor with a D1 binding for a service with D1: Miniflare starts a D1 simulator with it,
 * which a deploy does not). Absent from results without the D1 floor.
 */
function coldStartNetRow(cold) {
  if (!cold?.[OURS_ID] || !cold[FLOOR_D1] || !cold[FLOOR]) return null
  const net = (x) => x.toFirstResponseMs - cold[x.d1 ? FLOOR_D1 : FLOOR].toFirstResponseMs
  const others = Object.entries(cold).filter(([who]) => isPeer(who))
  const mine = net(cold[OURS_ID])
  return [
    'cold start over the floor with the same kind of storage (ours and better-auth: D1), ms',
    `${fmt(mine)} vs ${others.map(([w, x]) => `${w} ${fmt(net(x))}`).join(', ')}`,
    'at or below every peer’s',
    others.length > 0 && others.every(([, x]) => mine <= net(x)),
  ]
}

/** Cold start: ours' time to a fresh worker's first answer at or below every peer's. */
function coldStartRow(cold) {
  if (!cold?.[OURS_ID]) return null
  const others = Object.entries(cold).filter(([who]) => isPeer(who))
  const mine = cold[OURS_ID].toFirstResponseMs
  return [
    'cold start: startup + first token check, ms (median of fresh starts)',
    `${fmt(mine)} vs ${others.map(([w, x]) => `${w} ${fmt(x.toFirstResponseMs)}`).join(', ')} (floor ${fmt(cold[FLOOR]?.toFirstResponseMs)})`,
    'at or below every peer’s',
    others.length > 0 && others.every(([, x]) => mine <= x.toFirstResponseMs),
  ]
}

/** Scale: the single D1 writer is not the first Workers Paid limit below 50 million MAU. */
function d1WriterRow(simulation) {
  if (!simulation?.length) return null
  const d1 = simulation.map((x) => x.limits.find((l) => l.limit.startsWith('D1')).users)
  // Everything grows linearly with users: every row of a pattern gives the same populations.
  const firsts = simulation.map(firstPaidLimit)
  const lowest = firsts.reduce((a, b) => (b.users < a.users ? b : a))
  return [
    'D1’s single writer is not the first limit below 50 million MAU (bench/simulate.mjs)',
    `D1 writer full at ${fmt(Math.min(...d1) / 1e6)} million MAU; first Paid limit: ${lowest.limit} at ${fmt(lowest.users / 1e6)} million`,
    'D1 not the first limit below 50 million',
    firsts.every((f) => !(f.limit.startsWith('D1') && f.users <= 50e6)),
  ]
}

function opsCell(ops) {
  if (!ops) return 'n/a'
  const kv = [ops.kvRead, ops.kvWrite, ops.kvDelete, ops.kvList].map((x) => fmt(x, 2)).join(' / ')
  const d1 = [ops.d1Queries, ops.d1RowsRead, ops.d1RowsWritten].map((x) => fmt(x, 2)).join(' / ')
  return `${kv} · ${d1}`
}

export function renderMarkdown(report) {
  const { results: r, settings: s, services } = report
  const floorCpu = (op) => r[op][FLOOR]?.cpuUsPerRequest
  const lines = [
    '# Benchmark results',
    '',
    `${report.quick ? 'Quick smoke run (too short to quote)' : 'Full run'} of ${report.date}, ` +
      `${report.machine}, ${report.seconds} s. Every worker runs in workerd through Miniflare ` +
      `behind the same instrument; ${s.connections} connections (sign-in: 1), ${s.warmup} s ` +
      `warm-up then ${s.duration} s per operation, autocannon over loopback. Storage steps: ` +
      `${s.stepCount} requests with every KV and D1 call held ${s.stepDelayMs} ms, against ` +
      `${s.stepCount} without. Produced by \`npm run bench\`; bench/README.md says what runs where.`,
    '',
    '![CPU per request and requests per second, by operation and service](results.svg)',
    '',
    '## Targets',
    '',
    row(['measure', 'value', 'target', 'met']),
    row(['---', '---', '---', '---']),
    ...targets(report).map((t) =>
      row([
        t.name,
        t.value,
        t.target,
        t.met === null ? 'n/a' : typeof t.met === 'string' ? t.met : t.met ? 'met' : '**not met**',
      ]),
    ),
    '',
    '\\* this peer has no such operation (better-auth: no refresh token; workers-oauth-provider: ' +
      'sign-in is the app’s own); its month counts only the operations it has.',
    '',
    '## Side by side',
    '',
    'CPU is the workerd process’s time over the measured run (from /proc) divided by the ' +
      'requests served: the worker plus Miniflare’s routing and its simulated storage, the same ' +
      'for every service. Storage per request: KV reads / writes / deletes / lists · D1 ' +
      'queries / rows read / rows written. Dollars per million at Cloudflare’s prices ' +
      `(read ${PRICES.read}; bench/pricing.mjs); a token check runs in the app’s own request, ` +
      'so it carries no request fee.',
    '',
  ]
  for (const [op, label] of OPERATIONS) {
    lines.push(
      `### ${label}`,
      '',
      row([
        'service',
        'req/s',
        'p50 ms',
        'p99 ms',
        'CPU µs/req',
        '× floor',
        'storage steps',
        'storage per request',
        '$ / million',
      ]),
      row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---', '---:']),
    )
    for (const [who, x] of Object.entries(r[op])) {
      const name = who === OURS_ID ? `**${services[who]}**` : services[who]
      lines.push(
        row([
          name,
          fmt(x.rps),
          fmt(x.p50, 1),
          fmt(x.p99, 1),
          fmt(x.cpuUsPerRequest),
          x.cpuUsPerRequest && floorCpu(op) ? fmt(x.cpuUsPerRequest / floorCpu(op), 2) : 'n/a',
          fmt(x.steps, 1),
          opsCell(x.ops),
          who === SEED || op === 'health' ? 'n/a' : money(costOf(op, x).total),
        ]),
      )
    }
    lines.push('')
  }
  lines.push(
    '## This service’s other routes',
    '',
    row(['route', 'req/s', 'p50 ms', 'CPU µs/req', 'storage steps', 'storage per request']),
    row(['---', '---:', '---:', '---:', '---:', '---']),
    ...OURS.filter(([key]) => r.ours[key]).map(([key, label]) => {
      const x = r.ours[key]
      return row([
        label,
        fmt(x.rps),
        fmt(x.p50, 1),
        fmt(x.cpuUsPerRequest),
        fmt(x.steps, 1),
        opsCell(x.ops),
      ])
    }),
    '',
    ...authorizationServerSection(r, services),
    '## Sign-in, each way (this service)',
    '',
    'Every way in, measured alike on one connection. The federated sign-in is two requests a ' +
      'browser makes around its visit to the provider (here a stand-in OpenID provider on a ' +
      'loopback port, bench/federation.mjs); its callback redeems the code at the provider’s ' +
      'token endpoint and verifies the ID token before it touches storage. Outbound calls are ' +
      'round trips the user waits on, as storage steps are (here on loopback, so they hardly ' +
      'show in p50; at a real provider each is tens of milliseconds). Discovery and the JWKS ' +
      'are cached per isolate (an hour and ten minutes), so only a cold isolate fetches them.',
    '',
    row([
      'sign-in',
      'p50 ms',
      'CPU µs/req',
      'storage steps',
      'storage per request',
      'outbound calls per request',
    ]),
    row(['---', '---:', '---:', '---:', '---', '---']),
    ...SIGN_INS.filter(([, pick]) => pick(r)).map(([label, pick]) => {
      const x = pick(r)
      return row([
        label,
        fmt(x.p50, 1),
        fmt(x.cpuUsPerRequest),
        fmt(x.steps, 1),
        opsCell(x.ops),
        outboundCell(x),
      ])
    }),
    '',
    ...auditSection(r.signInAudit),
    ...coldStartSection(r.coldStart, services),
    '## Refresh as one user’s sessions grow',
    '',
    row(['sessions', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req']),
    row(['---:', '---:', '---:', '---:', '---:']),
    ...r.sessions.map((x) =>
      row([fmt(x.sessions), fmt(x.rps), fmt(x.p50, 1), fmt(x.p99, 1), fmt(x.cpuUsPerRequest)]),
    ),
    '',
    '## Cost per monthly active user',
    '',
    'A month of one user: an hour a day for 30 days, one API call a minute (each checks the ' +
      'access token), a refresh when a call finds its access token expired (as the SDK does), ' +
      'one sign-in (bench/pricing.mjs). Marginal prices, past the plan’s allowances.',
    '',
    row(['service', ...USAGE_PATTERNS.map((p) => `$ / 1,000 MAU, ${p.name}`)]),
    row(['---', ...USAGE_PATTERNS.map(() => '---:')]),
    ...Object.entries(costTable(r)).map(([who, costs]) =>
      row([
        services[who],
        ...USAGE_PATTERNS.map((p) => {
          const x = dollarsPerMau(costs, p, { lastUse: who === OURS_ID })
          return `${money(x.total * 1000, 4)}${x.missing.length ? ` (no ${x.missing.join(', ')})` : ''}`
        }),
      ]),
    ),
    '',
    '## Scale (bench/simulate.mjs; docs/scaling.md explains it)',
    '',
    `Session last-use updates go through the WRITES queue: an isolate coalesces them into one ` +
      `message per flush window (up to ${fmt(WRITE_PATH.updatesPerMessageMax)} updates), and the ` +
      `consumer applies each batch chunk of up to ${WRITE_PATH.messagesPerStatement} messages in one ` +
      `D1 statement; a sign-in's audit row is one D1 statement of its own, after the response. **Assumed**: ${WRITE_PATH.coalescing} updates a message on ` +
      `average at the peak, and ${WRITE_PATH.d1MsPerRowWritten * 1000} µs of the D1 writer per row ` +
      `written on top of 1 ms a statement. Limits: Queues ${fmt(LIMITS.queueMessagesPerSecond)} ` +
      `messages/s per queue, ${LIMITS.queueBatchMessages} messages a batch, ` +
      `${LIMITS.queueConcurrentConsumers} concurrent consumers; D1 about ` +
      `${fmt(LIMITS.d1QueriesPerSecond)} queries/s. Queues at $${PRICES.perMillion.queueOps} a ` +
      `million operations, ${WRITE_PATH.queueOpsPerMessage} a message.`,
    '',
    row([
      'MAU',
      'pattern',
      'peak refreshes/s',
      'peak last-use updates/s',
      'queue messages/s',
      'D1 statements/s',
      'D1 writer busy',
      'peak KV writes/s',
      '$ / month',
      'of which Queues',
      'first Workers Paid limit',
      'met at users',
      'queue limit with no coalescing',
    ]),
    row([
      '---:',
      '---',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---',
      '---:',
      '---:',
    ]),
    ...report.simulation.map((x) => {
      const first = firstPaidLimit(x)
      return row([
        fmt(x.mau),
        x.pattern,
        fmt(x.peak.refreshes),
        fmt(x.peak.sessionTouches),
        fmt(x.peak.queueMessagesPerSecond, 1),
        fmt(x.peak.d1QueriesPerSecond, 1),
        `${fmt(x.peak.d1Busy * 100, 1)}%`,
        fmt(x.peak.kvWritesPerSecond),
        `$${fmt(x.dollars)}`,
        `$${fmt(x.bill.queues)}`,
        first.limit,
        fmt(first.users),
        fmt(x.queueLimitWithoutCoalescing),
      ])
    }),
    '',
    '## Bundle by feature area',
    '',
    `\`wrangler deploy --dry-run\`: ${kb(report.bundle.raw)} raw, **${kb(report.bundle.gzip)} gzip**. ` +
      `Client SDK (\`edge-auth/client\`): ${kb(report.bundle.sdkGzip)} gzip. Gzip per area is its ` +
      'share of minified bytes applied to the whole (gzip cannot be split exactly).',
    '',
    row(['area', 'minified', 'gzip (share)']),
    row(['---', '---:', '---:']),
    ...report.bundle.areas.map((a) => row([a.area, kb(a.raw), kb(a.gzip)])),
    '',
  )
  return lines.join('\n')
}

/** A password sign-in with its audit event and without it (the same bundle but that entry). */
function auditSection(ab) {
  if (!ab?.with || !ab?.without) return []
  const audit = (x) => x.tables?.audit_events
  return [
    '## Audit logging’s cost on a sign-in',
    '',
    '`POST /login` (1 connection) on the bundle a deploy uploads and on the same bundle with the ' +
      'sign-in’s audit event renamed out of the AUDITED map (its log line kept, no audit row, no ' +
      'webhook event), run alternately. The audit row is one D1 batch after the response ' +
      '(waitUntil): it shows in the storage counts (the audit_events column counts the statements ' +
      'the instrument saw write that table), never in the steps a user waits on.',
    '',
    row([
      'bundle',
      'p50 ms',
      'CPU µs/req',
      'storage steps',
      'storage per request',
      'audit_events: statements / rows written',
    ]),
    row(['---', '---:', '---:', '---:', '---', '---:']),
    ...[
      ['as deployed (sign-in audited)', ab.with],
      ['sign-in audit off', ab.without],
    ].map(([label, x]) =>
      row([
        label,
        fmt(x.p50, 1),
        fmt(x.cpuUsPerRequest),
        fmt(x.steps, 1),
        opsCell(x.ops),
        `${fmt(audit(x)?.queries ?? 0, 2)} / ${fmt(audit(x)?.rowsWritten ?? 0, 2)}`,
      ]),
    ),
    '',
  ]
}

/** Fresh starts of each service: startup, the first token check, a warm one (bench/cold-start.mjs). */
function coldStartSection(cold, services) {
  if (!cold || Object.keys(cold).length === 0) return []
  const any = Object.values(cold)[0]
  return [
    '## Cold start',
    '',
    `Each service started afresh ${any.starts} times on storage set up beforehand (a new workerd ` +
      'process: the script compiled and evaluated, no cache), then its token check (ours: ' +
      '`GET /users`) once, then again on the warm isolate (the median of the later half of the ' +
      'repeats). Medians over the starts. Startup includes spawning workerd, the same for every ' +
      'service: the floor’s row is about that constant. A D1 binding starts Miniflare’s D1 ' +
      'simulator in the same process, which a deploy (where D1 is remote) does not: the floor ' +
      'with an unused D1 binding shows that constant too. CPU is the workerd process’s, from ' +
      'its threads’ schedstat.',
    '',
    row([
      'service',
      'startup ms',
      'startup CPU ms',
      'first request ms',
      'first request CPU ms',
      'warm request ms',
      'warm request CPU ms',
      'to first response ms',
    ]),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...Object.entries(cold).map(([who, x]) =>
      row([
        who === OURS_ID ? `**${services[who]}**` : services[who],
        fmt(x.startupMs),
        fmt(x.startupCpuMs),
        fmt(x.firstMs, 1),
        fmt(x.firstCpuMs, 1),
        fmt(x.warmMs, 1),
        fmt(x.warmCpuMs, 2),
        fmt(x.toFirstResponseMs),
      ]),
    ),
    '',
  ]
}

/** The authorization server's tables, when the run has them. */
function authorizationServerSection(r, services) {
  if (!r.codeExchange || Object.keys(r.codeExchange).length === 0) return []
  const name = (who, label) =>
    who === OURS_ID
      ? `**${label.startsWith('resource') ? 'edge-auth/resource (offline at+jwt check)' : services[who]}**`
      : services[who]
  const lines = [
    '## Authorization server for third-party apps, beside workers-oauth-provider',
    '',
    'edge-auth with `JWT_ISSUER` its own loopback origin and one `PROTECTED_RESOURCES` entry; a ' +
      'public client registered by `POST /oauth/register`, a user who allowed it once. Codes are ' +
      'minted through each side’s own authorization step before the run (edge-auth: `GET ' +
      '/authorize` with the refresh cookie, consent remembered; the peer: its app’s `/authorize` ' +
      'calling `completeAuthorization()`) and each redeemed once. The resource check runs in a ' +
      'Worker of its own (bench/resource/worker.mjs) and needs no storage: the issuer’s keys are ' +
      'fetched once per isolate. The peer’s refresh and check are its rows above. Same columns ' +
      'as above.',
    '',
  ]
  for (const [label, pick, { request }] of AUTHORIZATION_SERVER) {
    lines.push(
      `### ${label}`,
      '',
      row([
        'service',
        'req/s',
        'p50 ms',
        'p99 ms',
        'CPU µs/req',
        'storage steps',
        'storage per request',
        '$ / million',
      ]),
      row(['---', '---:', '---:', '---:', '---:', '---:', '---', '---:']),
      ...Object.entries(pick(r)).map(([who, x]) =>
        row([
          name(who, label),
          fmt(x.rps),
          fmt(x.p50, 1),
          fmt(x.p99, 1),
          fmt(x.cpuUsPerRequest),
          fmt(x.steps, 1),
          opsCell(x.ops),
          money(dollarsPerMillion(x, { request }).total),
        ]),
      ),
      '',
    )
  }
  return lines
}

/** Two panels of horizontal bars on log scales: req/s (higher is better) and CPU µs per request (lower is better). */
export function renderChart({ results: r, services }) {
  const bars = []
  for (const [op, label] of OPERATIONS.slice(1)) {
    for (const [who, x] of Object.entries(r[op])) {
      bars.push({
        group: label.split(' (')[0],
        label: services[who]
          .split(',')[0]
          .replace(' (this service)', '')
          .replace(' (informational)', ''),
        rps: x.rps,
        cpu: x.cpuUsPerRequest,
        kind: who === OURS_ID ? 'ours' : who === FLOOR ? 'floor' : who === SEED ? 'seed' : 'peer',
      })
    }
  }
  const colours = { ours: '#f38020', floor: '#4c9a5f', peer: '#5b7fb8', seed: '#b0b4ba' }
  const labelWidth = 300
  const panel = 330
  const width = labelWidth + 2 * panel + 40
  const barHeight = 16
  const gap = 5
  const groupGap = 22
  const top = 56
  let y = top
  const placed = []
  let lastGroup = null
  for (const b of bars) {
    if (b.group !== lastGroup) {
      if (lastGroup !== null) y += groupGap
      placed.push({ heading: b.group, y })
      y += 18
      lastGroup = b.group
    }
    placed.push({ ...b, y })
    y += barHeight + gap
  }
  const height = y + 34
  const logScale = (max) => {
    const decades = Math.max(1, Math.ceil(Math.log10(max)))
    return { decades, at: (v) => (Math.log10(Math.max(v, 1)) / decades) * (panel - 70) }
  }
  const rpsScale = logScale(Math.max(...bars.map((b) => b.rps), 10))
  const cpuScale = logScale(Math.max(...bars.map((b) => b.cpu ?? 1), 10))
  const esc = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${labelWidth}" y="20" font-size="14" font-weight="bold">Requests per second (log), higher is better</text>`,
    `<text x="${labelWidth + panel + 20}" y="20" font-size="14" font-weight="bold">CPU µs per request (log), lower is better</text>`,
  ]
  Object.entries(colours).forEach(([kind, colour], i) => {
    const name = {
      ours: 'edge-auth',
      floor: 'minimal Hono floor',
      peer: 'peer',
      seed: 'Express seed (Node)',
    }[kind]
    parts.push(
      `<rect x="${labelWidth + i * 150}" y="30" width="12" height="12" fill="${colour}"/>`,
      `<text x="${labelWidth + i * 150 + 16}" y="40">${name}</text>`,
    )
  })
  for (const [offset, scale] of [
    [labelWidth, rpsScale],
    [labelWidth + panel + 20, cpuScale],
  ]) {
    for (let d = 0; d <= scale.decades; d++) {
      const x = offset + scale.at(10 ** d)
      parts.push(
        `<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${height - 26}" stroke="#e4e4e4"/>`,
        `<text x="${x}" y="${height - 10}" text-anchor="middle" fill="#666">${fmt(10 ** d)}</text>`,
      )
    }
  }
  for (const p of placed) {
    if (p.heading) {
      parts.push(`<text x="8" y="${p.y + 12}" font-weight="bold">${esc(p.heading)}</text>`)
      continue
    }
    parts.push(
      `<text x="${labelWidth - 8}" y="${p.y + 12}" text-anchor="end">${esc(p.label)}</text>`,
    )
    for (const [offset, scale, value] of [
      [labelWidth, rpsScale, p.rps],
      [labelWidth + panel + 20, cpuScale, p.cpu],
    ]) {
      if (value === undefined) continue
      const w = Math.max(scale.at(value), 1)
      parts.push(
        `<rect x="${offset}" y="${p.y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${colours[p.kind]}"/>`,
        `<text x="${(offset + w + 4).toFixed(1)}" y="${p.y + 12}" font-size="11">${fmt(value)}</text>`,
      )
    }
  }
  parts.push('</svg>', '')
  return parts.join('\n')
}
