// npm run bench: the built worker (in workerd, through Miniflare) and the seed's stack (Express 4
// + jsonwebtoken, bench/baseline/) under the same load from autocannon over loopback, in one run.
// Writes bench/results.md and bench/results.svg. `--quick` is the few-seconds smoke run CI does;
// it writes to .ci/out/bench instead.
import { spawn, execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import autocannon from 'autocannon'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'
import { generateKeySet } from '../scripts/signing-keys.mjs'
import { syncedPasskey } from './passkey.mjs'
import { renderChart, renderMarkdown } from './report.mjs'

const root = new URL('..', import.meta.url).pathname
const quick = process.argv.includes('--quick')
const SETTINGS = quick
  ? { warmup: 1, duration: 2, connections: 8, sessionCounts: [10, 100, 1000] }
  : { warmup: 3, duration: 10, connections: 8, sessionCounts: [10, 1000, 10000] }
const outDir = quick ? join(root, '.ci/out/bench') : join(root, 'bench')
const PASSWORD = 'correct horse battery staple'

// ---- the worker, as deployed: the dry-run bundle, in workerd ----

function buildBundle() {
  const dir = join(root, '.wrangler/bench-bundle')
  execFileSync(join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', dir], {
    cwd: root,
    stdio: 'ignore',
  })
  const code = readFileSync(join(dir, 'index.js'))
  return {
    path: join(dir, 'index.js'),
    raw: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
  }
}

/** [vars] and compatibility_date from wrangler.toml: the settings a deploy would have. */
function wranglerSettings() {
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8')
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)[1]
  const varsBlock = /^\[vars\]\n([\s\S]*?)(?:\n\[|$)/m.exec(toml)[1]
  const vars = Object.fromEntries(
    [...varsBlock.matchAll(/^([A-Z_]+)\s*=\s*"([^"]*)"/gm)].map(([, k, v]) => [k, v]),
  )
  return { compatibilityDate, vars }
}

async function startWorker(bundlePath) {
  const { compatibilityDate, vars } = wranglerSettings()
  // Miniflare 5 takes its own option shape; the classic (v4) one converts to it.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      logRequests: false, // Miniflare's own line per request would be part of the measurement
      handleStructuredLogs: () => {}, // the worker's JSON lines: produced as in production, not printed
      workers: [
        {
          name: 'edge-auth',
          modules: true,
          scriptPath: bundlePath,
          compatibilityDate,
          bindings: {
            ...vars,
            RATE_LIMITS: 'off', // one client address would be throttled at once
            REFRESH_TOKEN_SECRET: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString(
              'hex',
            ),
            JWT_PRIVATE_KEYS: generateKeySet('ES256'),
            MFA_ENCRYPTION_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString(
              'hex',
            ),
          },
          kvNamespaces: ['REFRESH_TOKENS'],
          d1Databases: ['DB'],
        },
      ],
    }),
  )
  const url = (await mf.ready).origin
  const db = await mf.getD1Database('DB')
  for (const file of readdirSync(join(root, 'migrations')).sort()) {
    const sql = readFileSync(join(root, 'migrations', file), 'utf8').replace(/--.*$/gm, '')
    for (const statement of sql
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean)) {
      await db.prepare(statement).run()
    }
  }
  return { mf, url, db, kv: await mf.getKVNamespace('REFRESH_TOKENS') }
}

/** A one-route worker in workerd, for the floors the real flows are measured against. */
async function startProbe(name, body) {
  // Miniflare 5 takes its own option shape; the classic (v4) one converts to it.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      logRequests: false,
      workers: [
        {
          name,
          modules: true,
          compatibilityDate: wranglerSettings().compatibilityDate,
          kvNamespaces: ['KV'],
          script: `export default { async fetch(request, env) { ${body}; return new Response('ok') } }`,
        },
      ],
    }),
  )
  return { mf, url: (await mf.ready).origin }
}

/** The login's PBKDF2 alone: the bare cost of checking a password on this machine. */
function startPbkdf2Probe() {
  const source = readFileSync(join(root, 'src/auth/passwords.ts'), 'utf8')
  const iterations = Number(/PBKDF2_ITERATIONS = ([\d_]+)/.exec(source)[1].replace(/_/g, ''))
  const probe = startProbe(
    'pbkdf2',
    `const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('${PASSWORD}'), 'PBKDF2', false, ['deriveBits'])
     const salt = crypto.getRandomValues(new Uint8Array(16))
     await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: ${iterations} }, key, 256)`,
  )
  return probe.then((p) => ({ ...p, iterations }))
}

/**
 * A refresh's KV traffic alone: two reads in parallel, two more in parallel, one write. Locally
 * KV is Miniflare's simulation, whose cost dominates refresh; this is the ceiling refresh can reach.
 */
const startKvProbe = () =>
  startProbe(
    'kv-floor',
    `const k = crypto.randomUUID()
     await Promise.all([env.KV.get('refresh:' + k), env.KV.get('refresh:' + k + 'next')])
     await Promise.all([env.KV.get('session:' + k), env.KV.get('revoked-before:' + k)])
     await env.KV.put('refresh:' + k + 'next', '{}', { expirationTtl: 3600 })`,
  )

// ---- the baseline ----

function startBaseline() {
  const child = spawn(process.execPath, [join(root, 'bench/baseline/server.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (chunk) => {
      const { listening } = JSON.parse(chunk.toString())
      resolve({ url: `http://127.0.0.1:${listening}`, stop: () => child.kill() })
    })
    child.once('exit', (code) => reject(new Error(`baseline exited with ${code}`)))
  })
}

// ---- load ----

const json = (method, body, headers = {}) => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

async function post(url, path, body) {
  const res = await fetch(url + path, json('POST', body))
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return res.json()
}

/** The workerd processes running now (Miniflare starts one per instance). */
const workerdPids = () =>
  new Set(
    readdirSync('/proc').filter((pid) => {
      try {
        return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'workerd'
      } catch {
        return false
      }
    }),
  )

/** CPU time a process has used, in milliseconds (user + system, from /proc). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  const ticks = Number(fields[11]) + Number(fields[12]) // utime, stime
  return (ticks * 1000) / CLOCK_TICKS
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))

/**
 * Warm-up, then the measured run. `requests` may carry per-connection state in `context`. With
 * the worker's workerd pid, also its CPU time per request (the whole process: the worker, its
 * simulated KV and D1, and Miniflare's routing).
 */
async function load(url, options, connections = SETTINGS.connections, pid) {
  const run = (duration) => {
    const { path = '', ...rest } = options()
    return autocannon({ url: url + path, connections, duration, ...rest })
  }
  await run(SETTINGS.warmup)
  const cpuBefore = pid ? cpuMs(pid) : 0
  const r = await run(SETTINGS.duration)
  const cpu = pid ? cpuMs(pid) - cpuBefore : 0
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx + r.errors + r.timeouts,
    requests: r.requests.total,
    ...(pid ? { cpuUsPerRequest: (cpu * 1000) / Math.max(r.requests.total, 1) } : {}),
  }
}

/**
 * Refresh chains: every request takes a chain's newest token and puts back its successor, so
 * each request presents a fresh token and no chain is used by two requests at once. autocannon
 * resets per-connection context after every request, hence a shared pool. A run can end with
 * requests in flight, whose successors are lost, so callers give three chains per connection.
 */
function refreshChains(tokens, nextToken, present = (token) => json('POST', { token })) {
  const pool = [...tokens]
  return () => ({
    requests: [
      {
        method: 'POST',
        path: '/token',
        setupRequest: (req, context) => {
          context.token = pool.shift()
          return { ...req, ...present(context.token) }
        },
        onResponse: (status, body, context, headers) => {
          const next = status === 200 && nextToken(body, context.token, headers)
          if (next) pool.push(next)
        },
      },
    ],
  })
}

const REFRESH_COOKIE = '__Host-refresh_token'

/** The refresh cookie's value among Set-Cookie lines (a string, an array, or none). */
const refreshCookieIn = (lines) =>
  [lines]
    .flat()
    .find((line) => line?.startsWith(`${REFRESH_COOKIE}=`))
    ?.split(';')[0]
    .slice(REFRESH_COOKIE.length + 1)

/** Refresh chains in cookie mode: the token travels in the cookie, from the worker's origin. */
const cookieRefreshChains = (tokens, origin) =>
  refreshChains(
    tokens,
    (_body, _token, headers) =>
      refreshCookieIn(Object.entries(headers).find(([name]) => /^set-cookie$/i.test(name))?.[1]),
    (token) => ({ headers: { cookie: `${REFRESH_COOKIE}=${token}`, origin } }),
  )

/** Registers a synced passkey for the user (signed in with `accessToken`) and returns it. */
async function registerPasskey(url, accessToken) {
  const auth = { authorization: `Bearer ${accessToken}` }
  const passkey = syncedPasskey(url)
  const options = await (
    await fetch(`${url}/users/me/passkeys/options`, json('POST', { password: PASSWORD }, auth))
  ).json()
  const res = await fetch(
    `${url}/users/me/passkeys`,
    json('POST', { credential: passkey.create(options) }, auth),
  )
  if (res.status !== 201) throw new Error(`passkey registration: ${res.status} ${await res.text()}`)
  return passkey
}

/**
 * A passkey sign-in as a browser makes it: the options (a fresh, single-use challenge), then
 * the signed response. Two requests per ceremony; autocannon keeps the challenge in the
 * connection's context between them.
 */
const passkeySignIns = (passkey) => () => ({
  requests: [
    {
      method: 'POST',
      path: '/login/passkey/options',
      onResponse: (status, body, context) => {
        context.options = status === 200 ? JSON.parse(body) : null
      },
    },
    {
      method: 'POST',
      path: '/login/passkey',
      setupRequest: (req, context) => ({
        ...req,
        ...json('POST', { credential: context.options ? passkey.get(context.options) : {} }),
      }),
    },
  ],
})

/** A two-request ceremony's run as one ceremony: its rate, and the CPU of both requests. */
const perCeremony = (run) => ({
  ...run,
  rps: run.rps / 2,
  requests: run.requests / 2,
  cpuUsPerRequest: run.cpuUsPerRequest * 2,
})

/** The SDK as shipped (client/build.mjs), gzip bytes. */
async function sdkSize() {
  const { bundle } = await import('../client/build.mjs')
  return gzipSync(await bundle(), { level: 9 }).length
}

async function logins(url, username, count, bodyFor) {
  const pairs = []
  for (let i = 0; i < count; i++) pairs.push(await post(url, '/login', bodyFor(username)))
  return pairs
}

/** Gives the user `count` sessions straight in D1 and KV, as `count` logins would leave them. */
async function seedSessions({ db, kv }, userId, username, count) {
  const at = Date.now()
  const ids = Array.from({ length: count }, () => crypto.randomUUID())
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200)
    await db.batch(
      chunk.map((id) =>
        db
          .prepare(
            'INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, user_agent, country) VALUES (?, ?, ?, ?, ?, ?, ?)',
          )
          .bind(id, userId, at, at, at + 14 * 86400_000, 'bench', null),
      ),
    )
    await Promise.all(
      chunk.map((id) =>
        kv.put(
          `session:${id}`,
          JSON.stringify({ userId, username, createdAt: at, expiresAt: at + 28 * 86400_000 }),
          { expirationTtl: 28 * 86400 },
        ),
      ),
    )
  }
}

// ---- the run ----

const started = Date.now()
const bundle = buildBundle()
const before = workerdPids()
const worker = await startWorker(bundle.path)
const workerPid = [...workerdPids()].find((pid) => !before.has(pid))
const pbkdf2 = await startPbkdf2Probe()
const kvFloor = await startKvProbe()
const baseline = await startBaseline()
const C = SETTINGS.connections
const results = {}
const ours = { credentials: (username) => ({ username, password: PASSWORD }) }
const seed = { credentials: (username) => ({ username }) }

try {
  const username = `bench_${Date.now().toString(36)}`
  const user = await post(worker.url, '/register', { username, password: PASSWORD })

  results.noop = {
    service: await load(worker.url, () => ({ path: '/health' }), C, workerPid),
    baseline: await load(baseline.url, () => ({ path: '/health' })),
  }

  // Access tokens live 20 s, and a run takes 13: each service's token is minted just before its run.
  const usersLoad = async (url, credentials) => {
    const [{ accessToken }] = await logins(url, username, 1, credentials)
    const headers = { authorization: `Bearer ${accessToken}` }
    return load(url, () => ({ path: '/users', headers }), C, url === worker.url && workerPid)
  }
  results.users = {
    service: await usersLoad(worker.url, ours.credentials),
    baseline: await usersLoad(baseline.url, seed.credentials),
  }

  const ourChains = (await logins(worker.url, username, 3 * C, ours.credentials)).map(
    (p) => p.refreshToken,
  )
  const seedChains = (await logins(baseline.url, username, 3 * C, seed.credentials)).map(
    (p) => p.refreshToken,
  )
  results.refresh = {
    service: await load(
      worker.url,
      refreshChains(ourChains, (body) => JSON.parse(body).refreshToken),
      C,
      workerPid,
    ),
    // The seed does not rotate: its refresh token stays the same.
    baseline: await load(
      baseline.url,
      refreshChains(seedChains, (_, token) => token),
    ),
  }

  const loginLoad = (credentials) => () => ({
    ...json('POST', credentials(username)),
    path: '/login',
  })
  results.login = {
    service: await load(worker.url, loginLoad(ours.credentials), 1, workerPid),
    baseline: await load(baseline.url, loginLoad(seed.credentials), 1),
  }
  results.pbkdf2 = { service: await load(pbkdf2.url, () => ({ path: '/' }), 1) }

  // Passkeys (issue 12): the sign-in that needs no PBKDF2, on the same single connection as login.
  const [{ accessToken }] = await logins(worker.url, username, 1, ours.credentials)
  const passkey = await registerPasskey(worker.url, accessToken)
  const optionsLoad = () => ({ method: 'POST', path: '/login/passkey/options' })
  results.passkeyOptions = { service: await load(worker.url, optionsLoad, 1, workerPid) }
  results.passkeySignIn = {
    service: perCeremony(await load(worker.url, passkeySignIns(passkey), 1, workerPid)),
  }

  // The browser side (issue 11): refresh in cookie mode, and a hosted page.
  const cookieChains = []
  for (let i = 0; i < 3 * C; i++) {
    const res = await fetch(`${worker.url}/login`, {
      ...json('POST', { username, password: PASSWORD, mode: 'cookie' }),
      headers: { 'content-type': 'application/json', origin: worker.url },
    })
    cookieChains.push(refreshCookieIn(res.headers.getSetCookie()))
  }
  results.cookieRefresh = {
    service: await load(worker.url, cookieRefreshChains(cookieChains, worker.url), C, workerPid),
  }
  results.signinPage = {
    service: await load(worker.url, () => ({ path: '/signin' }), C, workerPid),
  }
  results.kvFloor = { service: await load(kvFloor.url, () => ({ path: '/' })) }

  // Refresh cost as one user's sessions grow: it must stay flat.
  results.sessions = []
  let seeded = 0
  for (const count of SETTINGS.sessionCounts) {
    await seedSessions(worker, user.id, username, count - seeded)
    seeded = count
    const chains = (await logins(worker.url, username, 3 * C, ours.credentials)).map(
      (p) => p.refreshToken,
    )
    const run = await load(
      worker.url,
      refreshChains(chains, (body) => JSON.parse(body).refreshToken),
    )
    results.sessions.push({ sessions: count, ...run })
  }
} finally {
  baseline.stop()
  await Promise.all([worker.mf, pbkdf2.mf, kvFloor.mf].map((mf) => mf.dispose()))
}

const report = {
  date: new Date().toISOString(),
  quick,
  settings: SETTINGS,
  machine: `${(await import('node:os')).cpus().length} cores, Node ${process.version}`,
  pbkdf2Iterations: pbkdf2.iterations,
  bundle: { raw: bundle.raw, gzip: bundle.gzip, sdkGzip: await sdkSize() },
  results,
  seconds: Math.round((Date.now() - started) / 1000),
}
mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, 'results.json'), JSON.stringify(report, null, 2) + '\n')
writeFileSync(join(outDir, 'results.md'), renderMarkdown(report))
writeFileSync(join(outDir, 'results.svg'), renderChart(report))
console.log(renderMarkdown(report))

const failures = [
  ...Object.entries(results).flatMap(([name, r]) =>
    Array.isArray(r)
      ? r.filter((x) => x.non2xx > 0).map((x) => `refresh with ${x.sessions} sessions`)
      : Object.entries(r)
          .filter(([, x]) => x.non2xx > 0)
          .map(([who]) => `${name} (${who})`),
  ),
]
if (failures.length) {
  console.error(`bench: non-2xx responses in: ${failures.join(', ')}`)
  process.exit(1)
}
