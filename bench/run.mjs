// npm run bench: this service, a minimal Hono floor, the edge peers (bench/peers/) and the Express
// seed (bench/baseline/), under the same load from autocannon over loopback, in one run. Every
// worker runs in workerd through Miniflare behind the same instrument (bench/harness/), which
// counts its storage operations and can hold each for a fixed delay to count sequential steps.
// Writes bench/results.{md,svg,json}; `--quick` is the short smoke run CI does, written to
// .ci/out/bench instead.
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { sign } from 'hono/jwt'
import { generateKeySet } from '../scripts/signing-keys.mjs'
import { bundleAreas } from './bundle-areas.mjs'
import {
  authorizationServerBindings,
  authorizationServerRuns,
  freePort,
  startResource,
} from './authorization-server.mjs'
import { coldStart } from './cold-start.mjs'
import { federatedSignInRuns, startStandInProvider } from './federation.mjs'
import { json, measure, post, refreshChains, storageSteps } from './harness/load.mjs'
import { LAST_USE } from './pricing.mjs'
import { bundleInstrumented, startWorker } from './harness/workers.mjs'
import { syncedPasskey } from './passkey.mjs'
import { renderChart, renderMarkdown } from './report.mjs'
import { simulate } from './simulate.mjs'

const root = new URL('..', import.meta.url).pathname
const quick = process.argv.includes('--quick')
const SETTINGS = quick
  ? {
      warmup: 0,
      duration: 1,
      connections: 8,
      // One point: the quick run (CI) must stay under two minutes.
      sessionCounts: [30],
      stepCount: 2,
      auditRounds: 1,
      coldStarts: 1,
      coldWarm: 4,
    }
  : {
      warmup: 3,
      duration: 10,
      connections: 8,
      sessionCounts: [30, 1000, 10000],
      stepCount: 20,
      auditRounds: 2,
      coldStarts: 7,
      coldWarm: 20,
    }
const STEP_DELAY_MS = 50
const outDir = quick ? join(root, '.ci/out/bench') : join(root, 'bench')
const PASSWORD = 'correct horse battery staple'
const C = SETTINGS.connections
const randomHex = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex')

// ---- the services ----

/** The bundle `wrangler deploy --dry-run` builds: the exact code a deploy uploads. */
function buildBundle() {
  const dir = join(root, '.wrangler/bench-bundle')
  execFileSync(join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', dir], {
    cwd: root,
    stdio: 'ignore',
  })
  const path = join(dir, 'index.js')
  const code = readFileSync(path)
  return { path, raw: code.length, gzip: gzipSync(code, { level: 9 }).length }
}

/** [vars] from wrangler.toml: the settings a deploy would have. */
function wranglerVars() {
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8')
  const block = /^\[vars\]\n([\s\S]*?)(?:\n\[|$)/m.exec(toml)[1]
  return Object.fromEntries(
    [...block.matchAll(/^([A-Z_]+)\s*=\s*"([^"]*)"/gm)].map(([, k, v]) => [k, v]),
  )
}

/**
 * wrangler.toml's queues, as Miniflare takes them: producers by binding, and consumers (this
 * worker consumes its own queues) with their batch settings. Miniflare simulates them, so the
 * webhook events and the batched writes take the path a deploy's do.
 */
function wranglerQueues() {
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8')
  const tables = (name) =>
    [
      ...toml.matchAll(
        new RegExp(
          `^\\[\\[${name.replace('.', '\\.')}\\]\\]\\n([\\s\\S]*?)(?=\\n\\[|(?![\\s\\S]))`,
          'gm',
        ),
      ),
    ].map(([, body]) =>
      Object.fromEntries(
        [...body.matchAll(/^(\w+)\s*=\s*("([^"]*)"|(\d+))/gm)].map(([, k, , str, num]) => [
          k,
          str ?? Number(num),
        ]),
      ),
    )
  const queueProducers = Object.fromEntries(
    tables('queues.producers').map((p) => [p.binding, { queueName: p.queue }]),
  )
  const queueConsumers = Object.fromEntries(
    tables('queues.consumers').map((c) => [
      c.queue,
      {
        maxBatchSize: c.max_batch_size,
        maxBatchTimeout: c.max_batch_timeout,
        maxRetries: c.max_retries,
        ...(c.dead_letter_queue ? { deadLetterQueue: c.dead_letter_queue } : {}),
      },
    ]),
  )
  return { queueProducers, queueConsumers }
}

const migrations = () =>
  readdirSync(join(root, 'migrations'))
    .sort()
    .map((file) => readFileSync(join(root, 'migrations', file), 'utf8'))

/**
 * `providers`: AUTH_PROVIDERS and their secrets (the stand-in OpenID provider's). The
 * authorization server is on (bench/authorization-server.mjs): JWT_ISSUER is the worker's own
 * loopback origin, as a deployment's is its public URL, so the port is chosen before it starts.
 */
async function startOurs(
  bundle,
  providers,
  { name = 'edge-auth', bundlePath = bundle.path, vars = {} } = {},
) {
  const port = await freePort()
  return startWorker({
    name,
    scriptPath: await bundleInstrumented(name, bundlePath),
    bindings: { ...oursBindings(port, providers), ...vars },
    kvNamespaces: ['REFRESH_TOKENS'],
    d1Databases: ['DB'],
    ...wranglerQueues(),
    sql: migrations(),
    port,
  })
}

/** Ours' bindings, as a deploy has them: its [vars], the five secrets, the authorization server on. */
const oursBindings = (port, providers = {}) => ({
  ...wranglerVars(),
  RATE_LIMITS: 'off', // every request comes from one address
  REFRESH_TOKEN_SECRET: randomHex(),
  JWT_PRIVATE_KEYS: generateKeySet('ES256'),
  OIDC_RSA_KEYS: generateKeySet('RS256'), // ID tokens for OpenID apps (the UserInfo run)
  MFA_ENCRYPTION_KEY: randomHex(),
  ...authorizationServerBindings(`http://127.0.0.1:${port}`),
  ...providers,
})

// The last-use period pricing.mjs and simulate.mjs assume must be the service's.
{
  const source = readFileSync(join(root, 'src/services/sessions.ts'), 'utf8')
  const minutes = Number(/LAST_USE_GRANULARITY_MS = (\d+) \* 60 \* SECOND/.exec(source)?.[1])
  if (minutes * 60 !== LAST_USE.periodSeconds) {
    throw new Error(`bench/pricing.mjs LAST_USE.periodSeconds is not ${minutes} minutes`)
  }
}

const PBKDF2_ITERATIONS = Number(
  /PBKDF2_ITERATIONS = ([\d_]+)/
    .exec(readFileSync(join(root, 'src/auth/passwords.ts'), 'utf8'))[1]
    .replace(/_/g, ''),
)

const floorBindings = () => ({
  JWT_PRIVATE_KEYS: generateKeySet('ES256'),
  REFRESH_TOKEN_SECRET: randomHex(),
  PBKDF2_ITERATIONS: String(PBKDF2_ITERATIONS),
})

/** An hour's access token the floor accepts, signed with its key. */
async function floorToken(bindings) {
  const now = Math.floor(Date.now() / 1000)
  const jwk = JSON.parse(bindings.JWT_PRIVATE_KEYS).keys[0]
  return sign({ sub: 'floor', username: 'floor', iat: now, exp: now + 3600 }, jwk, 'ES256')
}

async function startFloor({ name = 'floor', vars = {} } = {}) {
  const bindings = { ...floorBindings(), ...vars }
  const worker = await startWorker({
    name,
    scriptPath: await bundleInstrumented('floor', join(root, 'bench/floor/worker.mjs')),
    bindings,
    kvNamespaces: ['KV'],
  })
  return { ...worker, accessToken: await floorToken(bindings) }
}

async function loadPeers() {
  const dir = join(root, 'bench/peers')
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
  const peers = []
  for (const name of names) {
    const { peer } = await import(join(dir, name, 'peer.mjs'))
    const scriptPath = await bundleInstrumented(peer.name, peer.entry)
    const worker = await startWorker({
      name: peer.name,
      scriptPath,
      compatibilityFlags: peer.compatibilityFlags,
      bindings: peer.bindings,
      kvNamespaces: peer.kvNamespaces,
      d1Databases: peer.d1Databases,
      sql: peer.sql,
    })
    peers.push({ peer, worker, scriptPath, ctx: await peer.setup(worker, { chains: 3 * C }) })
  }
  return peers
}

function startSeed() {
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

// ---- this service's load shapes ----

const REFRESH_COOKIE = '__Host-refresh_token'

/** The refresh cookie's value among Set-Cookie lines (a string, an array, or none). */
const refreshCookieIn = (lines) =>
  [lines]
    .flat()
    .find((line) => line?.startsWith(`${REFRESH_COOKIE}=`))
    ?.split(';')[0]
    .slice(REFRESH_COOKIE.length + 1)

const bodyChains = (tokens) =>
  refreshChains({
    tokens,
    present: (token) => json('POST', { token }),
    nextToken: (body) => JSON.parse(body).refreshToken,
  })

async function logins(url, username, count, body = (u) => ({ username: u, password: PASSWORD })) {
  const pairs = []
  for (let i = 0; i < count; i++) pairs.push(await post(url, '/login', body(username)))
  return pairs
}

/** Registers a synced passkey for the user (signed in with `accessToken`) and returns it. */
async function registerPasskey(url, accessToken) {
  const auth = { authorization: `Bearer ${accessToken}` }
  const passkey = syncedPasskey(url)
  const options = await post(url, '/users/me/passkeys/options', { password: PASSWORD }, auth)
  const res = await fetch(
    `${url}/users/me/passkeys`,
    json('POST', { credential: passkey.create(options) }, auth),
  )
  if (res.status !== 201) throw new Error(`passkey registration: ${res.status} ${await res.text()}`)
  return passkey
}

/** Options, then the signed response: two requests per ceremony, the challenge kept between. */
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

/** Runs of one operation as one: means of their rates, latencies, CPU and counts. */
function meanRun(runs) {
  if (runs.length === 1) return runs[0]
  const mean = (pick) => runs.reduce((sum, r) => sum + (pick(r) ?? 0), 0) / runs.length
  const keysOf = (pick) => [...new Set(runs.flatMap((r) => Object.keys(pick(r) ?? {})))]
  const tables = keysOf((r) => r.tables)
  return {
    ...runs[0],
    ...Object.fromEntries(
      ['rps', 'p50', 'p99', 'cpuUsPerRequest', 'steps'].map((k) => [k, mean((r) => r[k])]),
    ),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    ops: Object.fromEntries(keysOf((r) => r.ops).map((k) => [k, mean((r) => r.ops[k])])),
    tables: Object.fromEntries(
      tables.map((t) => [
        t,
        Object.fromEntries(
          keysOf((r) => r.tables?.[t]).map((k) => [k, mean((r) => r.tables?.[t]?.[k])]),
        ),
      ]),
    ),
    rounds: runs.length,
  }
}

/** A two-request ceremony's run as one ceremony: its rate, CPU and storage per ceremony. */
const perCeremony = (run) => ({
  ...run,
  rps: run.rps / 2,
  requests: run.requests / 2,
  cpuUsPerRequest: run.cpuUsPerRequest * 2,
  ops: Object.fromEntries(Object.entries(run.ops).map(([k, v]) => [k, v * 2])),
  tables: Object.fromEntries(
    Object.entries(run.tables ?? {}).map(([t, c]) => [
      t,
      { queries: c.queries * 2, rowsWritten: c.rowsWritten * 2 },
    ]),
  ),
  steps: run.steps === undefined ? undefined : run.steps * 2,
})

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

/** The SDK as shipped (client/build.mjs), gzip bytes. */
async function sdkSize() {
  const { bundle } = await import('../client/build.mjs')
  return gzipSync(await bundle(), { level: 9 }).length
}

/**
 * The same bundle with a password sign-in's audit event turned off: `login_succeeded` renamed
 * in the AUDITED map (src/services/events.ts), so a sign-in's event is its log line only (no
 * audit row, no webhook event), everything else byte for byte the same. Measured beside the
 * real bundle, it gives what the audit path adds to a sign-in (bench/README.md).
 */
function bundleWithoutSignInAudit(bundle) {
  const code = readFileSync(bundle.path, 'utf8')
  const entry = /\blogin_succeeded:(\{audit:"sign_in\.succeeded"[^}]*\})/g
  const found = code.match(entry) ?? []
  if (found.length !== 1) {
    throw new Error(
      `bench: expected one login_succeeded entry in the bundle's AUDITED map, found ${found.length}`,
    )
  }
  const path = bundle.path.replace(/\.js$/, '.no-sign-in-audit.js')
  writeFileSync(path, code.replace(entry, 'bench_audit_off:$1'))
  return path
}

/** The services whose cold start is measured: ours, the floor and every peer (bench/cold-start.mjs). */
async function coldStartServices(bundle, peers) {
  const ourScript = await bundleInstrumented('edge-auth-cold', bundle.path)
  // Secrets fixed across the starts; tokens that outlive them (the check is what is measured).
  const ourBindings = { ...oursBindings(await freePort()), ACCESS_TOKEN_TTL: '3600' }
  const floor = floorBindings()
  const floorScript = await bundleInstrumented('floor', join(root, 'bench/floor/worker.mjs'))
  const bearer = (token) => ({ authorization: `Bearer ${token}` })
  return [
    {
      name: 'edge-auth',
      d1: true,
      start: (persistPath, { first, port }) =>
        startWorker({
          name: 'edge-auth-cold',
          scriptPath: ourScript,
          bindings: ourBindings,
          kvNamespaces: ['REFRESH_TOKENS'],
          d1Databases: ['DB'],
          // No queues: a token check sends nothing, and Miniflare's queue brokers would add
          // startup time of their own that a deploy does not have and no peer pays.
          sql: first ? migrations() : [],
          persistPath,
          port,
        }),
      setup: async (worker) => {
        const user = { username: 'cold_start', password: PASSWORD }
        await post(worker.url, '/register', user)
        return { token: (await post(worker.url, '/login', user)).accessToken }
      },
      request: (ctx) => ({ path: '/users', headers: bearer(ctx.token) }),
    },
    {
      name: FLOOR_NAME,
      start: (persistPath, { port }) =>
        startWorker({
          name: 'floor-cold',
          scriptPath: floorScript,
          bindings: floor,
          kvNamespaces: ['KV'],
          persistPath,
          port,
        }),
      setup: async () => ({ token: await floorToken(floor) }),
      request: (ctx) => ({ path: '/users', headers: bearer(ctx.token) }),
    },
    // The same floor with a D1 binding it never uses: Miniflare simulates D1 with a worker of its
    // own, which starts with the process (tens of ms a deploy, where D1 is remote, does not pay).
    // Ours and better-auth have one; the report sets each service against the floor with its
    // own kind of storage. Full runs only: the quick run (CI) must stay under two minutes.
    ...(quick
      ? []
      : [
          {
            name: FLOOR_D1_NAME,
            d1: true,
            start: (persistPath, { port }) =>
              startWorker({
                name: 'floor-d1-cold',
                scriptPath: floorScript,
                bindings: floor,
                kvNamespaces: ['KV'],
                d1Databases: ['DB'],
                persistPath,
                port,
              }),
            setup: async () => ({ token: await floorToken(floor) }),
            request: (ctx) => ({ path: '/users', headers: bearer(ctx.token) }),
          },
        ]),
    ...peers
      .filter(({ peer }) => peer.operations.tokenCheck)
      .map(({ peer, scriptPath }) => ({
        name: peer.name,
        d1: (peer.d1Databases ?? []).length > 0,
        start: (persistPath, { first, port }) =>
          startWorker({
            name: `${peer.name}-cold`,
            scriptPath,
            compatibilityFlags: peer.compatibilityFlags,
            bindings: peer.bindings,
            kvNamespaces: peer.kvNamespaces,
            d1Databases: peer.d1Databases,
            sql: first ? peer.sql : [],
            persistPath,
            port,
          }),
        setup: (worker) => peer.setup(worker, { chains: 1 }),
        request: (ctx) => peer.operations.tokenCheck(ctx)(),
      })),
  ]
}
const FLOOR_NAME = 'floor'
const FLOOR_D1_NAME = 'floor-d1'

// ---- the run ----

const started = Date.now()
/** Where the time goes, on stderr (the quick run must stay under two minutes in CI). */
let lastPhase = started
const phase = (name) => {
  const at = Date.now()
  console.error(`bench: ${name} ${((at - lastPhase) / 1000).toFixed(1)} s`)
  lastPhase = at
}
const bundle = buildBundle()
const idp = await startStandInProvider()
const ours = await startOurs(bundle, idp.bindings)
const oursWithoutAudit = await startOurs(bundle, idp.bindings, {
  name: 'edge-auth-no-sign-in-audit',
  bundlePath: bundleWithoutSignInAudit(bundle),
})
// Ours as a deployment that logs no line for a 2xx answer: LOG_LEVEL=warn, rate limits on (as
// deployed: RATE_LIMITS=off writes every request line, as a warning). /health and /users have no
// limiter; the sign-in that mints its token fails open on the limiters' absence here. Full runs
// only: the quick run (CI) must stay under two minutes.
const oursQuiet = quick
  ? null
  : await startOurs(bundle, idp.bindings, {
      name: 'edge-auth-quiet',
      vars: { LOG_LEVEL: 'warn', RATE_LIMITS: 'on' },
    })
const resource = await startResource(ours.url)
const floor = await startFloor()
// The floor with our security headers and request id (full runs only, as oursQuiet).
const floorHeaders = quick
  ? null
  : await startFloor({ name: 'floor-headers', vars: { FLOOR_HEADERS: 'on' } })
const peers = await loadPeers()
const seed = await startSeed()
phase('build and start')
const load = { warmup: SETTINGS.warmup, duration: SETTINGS.duration }

/** One operation of one service: throughput, CPU and storage, then (for workers) its steps. */
async function run(target, options, connections = C, { steps = true, status } = {}) {
  const result = await measure(target, options, { ...load, connections, status })
  if (typeof target === 'string' || !steps) return result
  const count = SETTINGS.stepCount
  return {
    ...result,
    steps: await storageSteps(target, options, { count, delayMs: STEP_DELAY_MS, status }),
  }
}

const results = {
  health: {},
  tokenCheck: {},
  refresh: {},
  signIn: {},
  ours: {},
  // The authorization server for third-party apps (bench/authorization-server.mjs).
  codeExchange: {},
  grantRefresh: {},
  resourceCheck: {},
  userInfo: {},
  // A password sign-in with its audit event and without (the same bundle but that entry).
  signInAudit: {},
  // /health and /users on ours with LOG_LEVEL=warn's effect (oursQuiet).
  quiet: {},
  coldStart: {},
}
try {
  const username = `bench_${Date.now().toString(36)}`
  await post(ours.url, '/register', { username, password: PASSWORD })
  const seedLogin = (u) => ({ username: u })

  results.health['edge-auth'] = await run(ours, () => ({ path: '/health' }))
  results.health.floor = await run(floor, () => ({ path: '/health' }))
  results.health.seed = await run(seed.url, () => ({ path: '/health' }))

  // Access tokens live 20 s: each run gets one minted just before it.
  const bearer = async (url, body) => {
    const [{ accessToken }] = await logins(url, username, 1, body)
    return { authorization: `Bearer ${accessToken}` }
  }
  {
    const headers = await bearer(ours.url)
    const result = await measure(ours, () => ({ path: '/users', headers }), {
      ...load,
      connections: C,
    })
    const fresh = await bearer(ours.url)
    const steps = await storageSteps(ours, () => ({ path: '/users', headers: fresh }), {
      count: SETTINGS.stepCount,
      delayMs: STEP_DELAY_MS,
    })
    results.tokenCheck['edge-auth'] = { ...result, steps }
  }
  if (oursQuiet) {
    results.quiet.health = await run(oursQuiet, () => ({ path: '/health' }), C, { steps: false })
    await post(oursQuiet.url, '/register', { username, password: PASSWORD })
    const headers = await bearer(oursQuiet.url)
    const path = '/users'
    results.quiet.tokenCheck = await run(oursQuiet, () => ({ path, headers }), C, { steps: false })
    const floorAuth = { authorization: `Bearer ${floorHeaders.accessToken}` }
    const health = () => ({ path: '/health' })
    const users = () => ({ path, headers: floorAuth })
    results.floorHeaders = {
      health: await run(floorHeaders, health, C, { steps: false }),
      tokenCheck: await run(floorHeaders, users, C, { steps: false }),
    }
  }
  const floorAuth = { authorization: `Bearer ${floor.accessToken}` }
  results.tokenCheck.floor = await run(floor, () => ({ path: '/users', headers: floorAuth }))
  const seedAuth = await bearer(seed.url, seedLogin)
  results.tokenCheck.seed = await run(seed.url, () => ({ path: '/users', headers: seedAuth }))

  const ourChains = (await logins(ours.url, username, 3 * C)).map((p) => p.refreshToken)
  results.refresh['edge-auth'] = await run(ours, bodyChains(ourChains))
  results.refresh.floor = await run(
    floor,
    refreshChains({
      tokens: Array.from({ length: 3 * C }, randomHex),
      present: (token) => json('POST', { token }),
      nextToken: (body) => JSON.parse(body).refreshToken,
    }),
  )
  const seedChains = (await logins(seed.url, username, 3 * C, seedLogin)).map((p) => p.refreshToken)
  // The seed does not rotate: its refresh token stays the same.
  results.refresh.seed = await run(
    seed.url,
    refreshChains({
      tokens: seedChains,
      present: (token) => json('POST', { token }),
      nextToken: (_body, token) => token,
    }),
  )

  const loginLoad = (body) => () => ({ path: '/login', ...json('POST', body) })
  results.signIn['edge-auth'] = await run(ours, loginLoad({ username, password: PASSWORD }), 1)
  {
    // The audit path's cost: the same sign-in on both bundles, alternating (CPU drifts on a
    // shared machine), each run's counts and CPU kept.
    await post(oursWithoutAudit.url, '/register', { username, password: PASSWORD })
    const signIn = loginLoad({ username, password: PASSWORD })
    const rounds = { with: [results.signIn['edge-auth']], without: [] }
    for (let i = 0; i < SETTINGS.auditRounds; i++) {
      rounds.without.push(await run(oursWithoutAudit, signIn, 1))
      if (i + 1 < SETTINGS.auditRounds) rounds.with.push(await run(ours, signIn, 1))
    }
    results.signInAudit = { with: meanRun(rounds.with), without: meanRun(rounds.without) }
  }
  results.signIn.floor = await run(floor, loginLoad({ password: PASSWORD }), 1)
  results.signIn.seed = await run(seed.url, loginLoad({ username }), 1)

  phase('health, token check, refresh, sign-in, audit A/B')
  for (const { peer, worker, ctx } of peers) {
    for (const [op, connections] of [
      ['tokenCheck', C],
      ['refresh', C],
      ['signIn', 1],
    ]) {
      const shape = peer.operations[op]
      if (shape) results[op][peer.name] = await run(worker, shape(ctx), connections)
    }
  }

  phase('peers')
  // Passkeys: the sign-in that needs no PBKDF2, on one connection like login.
  const passkey = await registerPasskey(
    ours.url,
    (await logins(ours.url, username, 1))[0].accessToken,
  )
  results.ours.passkeyOptions = await run(
    ours,
    () => ({ method: 'POST', path: '/login/passkey/options' }),
    1,
  )
  results.ours.passkeySignIn = perCeremony(await run(ours, passkeySignIns(passkey), 1))

  // Sign-in at another provider (bench/federation.mjs): the start, then the callback of a
  // returning user, against the stand-in OpenID provider on a loopback port.
  Object.assign(
    results.ours,
    await federatedSignInRuns({
      worker: ours,
      provider: idp,
      run,
      seconds: SETTINGS.warmup + SETTINGS.duration,
      stepCount: SETTINGS.stepCount,
    }),
  )

  phase('passkeys, federation')
  // The authorization server for third-party apps, beside workers-oauth-provider's: the code
  // exchange, the refresh of a grant, and the resource's check of an access token (that peer's
  // refresh and token check are its rows above: the same requests).
  Object.assign(
    results,
    await authorizationServerRuns({
      ours,
      resource,
      peers,
      run,
      seconds: SETTINGS.warmup + SETTINGS.duration,
      stepCount: SETTINGS.stepCount,
      steps: !quick,
      chains: 3 * C,
      user: { username: `app_${Date.now().toString(36)}`, password: PASSWORD },
    }),
  )

  phase('authorization server')
  // The browser side: refresh in cookie mode, and a hosted page.
  const cookieChains = []
  for (let i = 0; i < 3 * C; i++) {
    const res = await fetch(`${ours.url}/login`, {
      ...json('POST', { username, password: PASSWORD, mode: 'cookie' }),
      headers: { 'content-type': 'application/json', origin: ours.url },
    })
    cookieChains.push(refreshCookieIn(res.headers.getSetCookie()))
  }
  results.ours.cookieRefresh = await run(
    ours,
    refreshChains({
      tokens: cookieChains,
      present: (token) => ({ headers: { cookie: `${REFRESH_COOKIE}=${token}`, origin: ours.url } }),
      nextToken: (_body, _token, headers) =>
        refreshCookieIn(Object.entries(headers).find(([name]) => /^set-cookie$/i.test(name))?.[1]),
    }),
  )
  results.ours.signinPage = await run(ours, () => ({ path: '/signin' }))

  // Refresh cost as one user's sessions grow: it must stay flat. A user of its own, so the
  // counts are what it holds (the runs above left the first user thousands of sessions).
  results.sessions = []
  const crowded = `crowd_${Date.now().toString(36)}`
  const crowdedUser = await post(ours.url, '/register', { username: crowded, password: PASSWORD })
  const held = async () =>
    await ours.db
      .prepare('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?')
      .bind(crowdedUser.id)
      .first('n')
  for (const count of SETTINGS.sessionCounts) {
    await seedSessions(ours, crowdedUser.id, crowded, count - (await held()) - 3 * C)
    const chains = (await logins(ours.url, crowded, 3 * C)).map((p) => p.refreshToken)
    const result = await run(ours, bodyChains(chains), C, { steps: false })
    results.sessions.push({ sessions: await held(), ...result })
  }

  phase('cookie refresh, hosted page, sessions')
  // Cold start: each service started afresh on its storage, its first token check vs warm ones.
  for (const service of await coldStartServices(bundle, peers)) {
    results.coldStart[service.name] = {
      ...(await coldStart(service, { starts: SETTINGS.coldStarts, warm: SETTINGS.coldWarm })),
      d1: service.d1 ?? false,
    }
  }
  phase('cold starts')
} finally {
  seed.stop()
  await Promise.all(
    [
      ours,
      oursWithoutAudit,
      oursQuiet,
      resource,
      floor,
      floorHeaders,
      ...peers.map((p) => p.worker),
    ]
      .filter(Boolean)
      .map((w) => w.stop()),
  )
  await idp.stop()
}

const report = {
  date: new Date().toISOString(),
  quick,
  settings: { ...SETTINGS, stepDelayMs: STEP_DELAY_MS },
  machine: `${(await import('node:os')).cpus().length} cores, Node ${process.version}`,
  pbkdf2Iterations: PBKDF2_ITERATIONS,
  services: {
    'edge-auth': 'edge-auth (this service)',
    floor: 'minimal Hono floor',
    'floor-d1': 'minimal Hono floor with an unused D1 binding (cold start only)',
    ...Object.fromEntries(peers.map(({ peer }) => [peer.name, peer.label])),
    seed: 'Express seed (informational)',
  },
  bundle: {
    raw: bundle.raw,
    gzip: bundle.gzip,
    sdkGzip: await sdkSize(),
    areas: await bundleAreas(root, bundle.gzip),
  },
  results,
  seconds: 0,
}
report.simulation = simulate(report)
report.seconds = Math.round((Date.now() - started) / 1000)
mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, 'results.json'), JSON.stringify(report, null, 2) + '\n')
writeFileSync(join(outDir, 'results.md'), renderMarkdown(report))
writeFileSync(join(outDir, 'results.svg'), renderChart(report))
console.log(renderMarkdown(report))

const failures = [
  ...Object.entries(results).flatMap(([op, byWho]) =>
    Array.isArray(byWho)
      ? byWho.filter((x) => x.non2xx > 0).map((x) => `refresh with ${x.sessions} sessions`)
      : Object.entries(byWho)
          .filter(([, x]) => x.non2xx > 0)
          .map(([who]) => `${op} (${who})`),
  ),
]
if (failures.length) {
  console.error(`bench: non-2xx responses in: ${failures.join(', ')}`)
  process.exit(1)
}
