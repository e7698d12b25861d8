// Turns a benchmark run into bench/results.md (tables and ratios) and bench/results.svg (bars).

const SCENARIOS = [
  ['noop', 'no-op route (`GET /health`), the ceiling'],
  ['users', 'authenticated `GET /users`'],
  ['refresh', 'refresh (`POST /token`), a fresh token each time'],
  ['login', 'login (`POST /login`), 1 connection'],
]

const fmt = (n, digits = 0) =>
  n === undefined || Number.isNaN(n)
    ? 'n/a'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits })
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`
const row = (cells) => `| ${cells.join(' | ')} |`

/** The ratios the README's targets are about, each with its target and whether it is met. */
/** This service's routes, for the CPU table. */
const ROUTES = [
  ['noop', '`GET /health`'],
  ['users', '`GET /users`'],
  ['refresh', '`POST /token`, token in the body'],
  ['cookieRefresh', '`POST /token`, cookie mode'],
  ['login', '`POST /login` (1 connection)'],
  ['passkeyOptions', '`POST /login/passkey/options` (1 connection)'],
  [
    'passkeySignIn',
    'passkey sign-in: options + `POST /login/passkey`, per ceremony (1 connection)',
  ],
  ['signinPage', '`GET /signin` (hosted page)'],
]

export function ratios({ results: r, bundle }) {
  const sessions = r.sessions
  const flat = sessions.at(-1).rps / sessions[0].rps
  const loginOver = r.login.service.p50 - r.pbkdf2.service.p50
  return [
    [
      'auth overhead: `/users` ÷ no-op (req/s)',
      r.users.service.rps / r.noop.service.rps,
      '≥ 0.90',
      (x) => x >= 0.9,
    ],
    [
      '`/users`: this service ÷ baseline (req/s)',
      r.users.service.rps / r.users.baseline.rps,
      '≥ 3',
      (x) => x >= 3,
    ],
    [
      'refresh: this service ÷ baseline `/token` (req/s)',
      r.refresh.service.rps / r.refresh.baseline.rps,
      '≥ 1.5',
      (x) => x >= 1.5,
    ],
    [
      'refresh ÷ its KV traffic alone, in Miniflare (req/s)',
      r.refresh.service.rps / r.kvFloor.service.rps,
      'none',
      () => true,
    ],
    [
      'no-op: this service ÷ baseline (req/s)',
      r.noop.service.rps / r.noop.baseline.rps,
      'none',
      () => true,
    ],
    [
      'login: this service ÷ baseline (req/s; the seed checks no password)',
      r.login.service.rps / r.login.baseline.rps,
      'none',
      () => true,
    ],
    ['login p50 ÷ bare PBKDF2 p50', r.login.service.p50 / r.pbkdf2.service.p50, 'none', () => true],
    [
      'passkey sign-in ÷ password login (CPU per sign-in)',
      r.passkeySignIn.service.cpuUsPerRequest / r.login.service.cpuUsPerRequest,
      '< 1',
      (x) => x < 1,
    ],
    ['login p50 − bare PBKDF2 p50 (ms)', loginOver, '≤ 3 ms', (x) => x <= 3],
    [
      `refresh req/s at ${fmt(sessions.at(-1).sessions)} sessions ÷ at ${fmt(sessions[0].sessions)}`,
      flat,
      '≈ 1 (flat)',
      (x) => x >= 0.8,
    ],
    ['bundle, gzip (KB)', bundle.gzip / 1024, '≤ 60 KB', (x) => x <= 60],
  ].map(([name, value, target, met]) => ({ name, value, target, met: met(value) }))
}

export function renderMarkdown(report) {
  const { results: r, settings: s } = report
  const lines = [
    '# Benchmark results',
    '',
    `${report.quick ? 'Quick smoke run' : 'Full run'} of ${report.date}, ${report.machine}. ` +
      `${s.connections} connections, ${s.warmup} s warm-up then ${s.duration} s per scenario ` +
      `(login: 1 connection), autocannon over loopback. Produced by \`npm run bench\`; ` +
      `see bench/README.md for what runs where.`,
    '',
    '![requests per second](results.svg)',
    '',
    row(['scenario', 'service', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx']),
    row(['---', '---', '---:', '---:', '---:', '---:']),
  ]
  for (const [key, label] of SCENARIOS) {
    for (const [who, name] of [
      ['service', 'edge-auth'],
      ['baseline', 'Express seed'],
    ]) {
      const x = r[key][who]
      lines.push(row([label, name, fmt(x.rps), fmt(x.p50, 2), fmt(x.p99, 2), fmt(x.non2xx)]))
    }
  }
  const p = r.pbkdf2.service
  const k = r.kvFloor.service
  lines.push(
    row([
      `bare PBKDF2-SHA256, ${fmt(report.pbkdf2Iterations)} iterations, in workerd`,
      '-',
      fmt(p.rps),
      fmt(p.p50, 2),
      fmt(p.p99, 2),
      fmt(p.non2xx),
    ]),
    row([
      'a refresh’s KV reads and writes alone, in Miniflare',
      '-',
      fmt(k.rps),
      fmt(k.p50, 2),
      fmt(k.p99, 2),
      fmt(k.non2xx),
    ]),
    '',
    '## Each route of this service: rate, latency and CPU',
    '',
    'CPU is the workerd process’s time over the measured run (from /proc) divided by the ' +
      'requests served: the worker plus Miniflare’s routing and its simulated KV and D1.',
    '',
    row(['route', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/request', 'non-2xx']),
    row(['---', '---:', '---:', '---:', '---:', '---:']),
    ...ROUTES.filter(([key]) => r[key]).map(([key, label]) => {
      const x = r[key].service
      return row([
        label,
        fmt(x.rps),
        fmt(x.p50, 2),
        fmt(x.p99, 2),
        fmt(x.cpuUsPerRequest),
        fmt(x.non2xx),
      ])
    }),
    '',
    '## Refresh as one user’s sessions grow',
    '',
    row(['sessions', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx']),
    row(['---:', '---:', '---:', '---:', '---:']),
    ...r.sessions.map((x) =>
      row([fmt(x.sessions), fmt(x.rps), fmt(x.p50, 2), fmt(x.p99, 2), fmt(x.non2xx)]),
    ),
    '',
    '## Ratios and targets',
    '',
    row(['measure', 'value', 'target', 'met']),
    row(['---', '---:', '---', '---']),
    ...ratios(report).map((x) =>
      row([x.name, fmt(x.value, 2), x.target, x.met ? 'yes' : '**no**']),
    ),
    '',
    `Bundle (\`wrangler deploy --dry-run\`): ${kb(report.bundle.raw)} raw, ${kb(report.bundle.gzip)} gzip. ` +
      `Client SDK (\`edge-auth/client\`): ${kb(report.bundle.sdkGzip)} gzip.`,
    '',
  )
  return lines.join('\n')
}

/** Horizontal bars of req/s on a log scale (login and no-op differ a thousandfold). */
export function renderChart({ results: r }) {
  const bars = []
  for (const [key, label] of SCENARIOS) {
    bars.push({
      label: `${label.replace(/`/g, '').split(',')[0]}: edge-auth`,
      value: r[key].service.rps,
      ours: true,
    })
    bars.push({
      label: `${label.replace(/`/g, '').split(',')[0]}: Express seed`,
      value: r[key].baseline.rps,
      ours: false,
    })
  }
  for (const x of r.sessions) {
    bars.push({
      label: `refresh, ${fmt(x.sessions)} sessions: edge-auth`,
      value: x.rps,
      ours: true,
    })
  }
  const width = 860
  const left = 330
  const barHeight = 22
  const gap = 8
  const top = 40
  const height = top + bars.length * (barHeight + gap) + 30
  const max = Math.max(...bars.map((b) => b.value), 10)
  const decades = Math.ceil(Math.log10(max))
  const scale = (v) => (Math.log10(Math.max(v, 1)) / decades) * (width - left - 90)
  const esc = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="14" font-weight="bold">Requests per second (log scale), higher is better</text>`,
  ]
  for (let d = 0; d <= decades; d++) {
    const x = left + scale(10 ** d)
    parts.push(
      `<line x1="${x}" y1="${top - 6}" x2="${x}" y2="${height - 24}" stroke="#ddd"/>`,
      `<text x="${x}" y="${height - 8}" text-anchor="middle" fill="#666">${fmt(10 ** d)}</text>`,
    )
  }
  bars.forEach((b, i) => {
    const y = top + i * (barHeight + gap)
    const w = Math.max(scale(b.value), 1)
    parts.push(
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${b.ours ? '#f38020' : '#8a8f98'}"/>`,
      `<text x="${(left + w + 6).toFixed(1)}" y="${y + 15}">${fmt(b.value)}</text>`,
    )
  })
  parts.push('</svg>', '')
  return parts.join('\n')
}
