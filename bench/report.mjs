// Turns a benchmark run into bench/results.md (targets, side-by-side tables, costs, scale) and
// bench/results.svg (the comparable operations at a glance).
import { PRICES, USAGE_PATTERNS, dollarsPerMau, dollarsPerMillion } from './pricing.mjs'

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
const isPeer = (who) => ![OURS_ID, FLOOR, SEED].includes(who)
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

function targets(report) {
  const r = report.results
  const ours = (op) => r[op][OURS_ID]
  const peers = (op) => Object.entries(r[op]).filter(([who]) => isPeer(who))
  const costs = costTable(r)
  const peerCosts = (op) => peers(op).map(([who]) => costs[who][op])
  const allBelow = (value, others) => others.length > 0 && others.every((x) => value < x)
  const lines = [
    [
      '`/users` CPU ÷ the minimal Hono floor’s (one hono/jwt ES256 verify)',
      fmt(ours('tokenCheck').cpuUsPerRequest / r.tokenCheck[FLOOR].cpuUsPerRequest, 2),
      '≤ 1.3',
      ours('tokenCheck').cpuUsPerRequest / r.tokenCheck[FLOOR].cpuUsPerRequest <= 1.3,
    ],
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
    [
      'refresh: sequential storage steps (rounded to whole round trips)',
      fmt(ours('refresh').steps, 1),
      '≤ 2',
      Math.round(ours('refresh').steps) <= 2,
    ],
    [
      'refresh req/s vs every peer’s',
      `${fmt(ours('refresh').rps)} vs ${peers('refresh')
        .map(([w, x]) => `${w} ${fmt(x.rps)}`)
        .join(', ')}`,
      'highest',
      peers('refresh').every(([, x]) => ours('refresh').rps > x.rps),
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
      '≤ 100 KB',
      report.bundle.gzip <= 100 * 1024,
    ],
  ]
  return lines.map(([name, value, target, met]) => ({ name, value, target, met }))
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
    ...targets(report).map((t) => row([t.name, t.value, t.target, t.met ? 'met' : '**not met**'])),
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
    row([
      'MAU',
      'pattern',
      'peak refreshes/s',
      'peak D1 queries/s',
      'peak KV writes/s',
      '$ / month',
      'first Workers Paid limit',
      'met at users',
    ]),
    row(['---:', '---', '---:', '---:', '---:', '---:', '---', '---:']),
    ...report.simulation.map((x) =>
      row([
        fmt(x.mau),
        x.pattern,
        fmt(x.peak.refreshes),
        fmt(x.peak.d1QueriesPerSecond),
        fmt(x.peak.kvWritesPerSecond),
        `$${fmt(x.dollars)}`,
        x.limits.filter((l) => !l.limit.startsWith('Free')).map((l) => l.limit)[0],
        fmt(x.limits.filter((l) => !l.limit.startsWith('Free'))[0].users),
      ]),
    ),
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
