// Starting a measured worker: bundled with esbuild behind bench/harness/instrument.mjs, run in
// workerd through Miniflare with in-memory KV and D1, and read from outside: its process's CPU
// time, its storage operations, and a storage delay to count sequential steps. Ours, the floors
// and every peer (bench/peers/) start the same way, so they are measured the same way.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'

const root = new URL('../..', import.meta.url).pathname
const instrumentPath = new URL('./instrument.mjs', import.meta.url).pathname

/** compatibility_date from wrangler.toml: every worker here runs on the same one. */
export const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(
  readFileSync(join(root, 'wrangler.toml'), 'utf8'),
)[1]

/** The worker at `entry` (a module exporting a fetch handler), bundled behind the instrument. */
export async function bundleInstrumented(name, entry) {
  const dir = join(root, '.wrangler/bench', name)
  mkdirSync(dir, { recursive: true })
  const shim = join(dir, 'entry.mjs')
  writeFileSync(
    shim,
    `import target from ${JSON.stringify(entry)}\n` +
      `import { instrument } from ${JSON.stringify(instrumentPath)}\n` +
      `export default instrument(target)\n`,
  )
  const outfile = join(dir, 'worker.mjs')
  await build({
    entryPoints: [shim],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['cloudflare:*', 'node:*'],
    minify: true,
    logLevel: 'error',
  })
  return outfile
}

/**
 * The workerd processes this bench has running now (Miniflare starts one per instance, as a
 * child of this process): others' workerd, on a shared machine, are never taken for ours.
 */
const workerdPids = () =>
  new Set(
    readdirSync('/proc').filter((pid) => {
      try {
        if (!/^\d+$/.test(pid)) return false
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'workerd') return false
        const parent = Number(
          readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1],
        )
        return parent === process.pid
      } catch {
        return false
      }
    }),
  )

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))

/** CPU time a process has used, in milliseconds (user + system, from /proc). */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS // utime + stime
}

/**
 * CPU time a process has used, in nanoseconds: the sum of its threads' run time from
 * /proc/<pid>/task/<tid>/schedstat, precise where /proc/<pid>/stat counts 10 ms ticks (a cold
 * start's single request is a few milliseconds).
 */
export function cpuNs(pid) {
  let total = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return total
}

/** Runs each statement of a .sql file (comments dropped; no statement may contain a `;`). */
export async function applySql(db, sql) {
  const statements = sql
    .replace(/--.*$/gm, '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const statement of statements) await db.prepare(statement).run()
}

let starting = Promise.resolve()

/**
 * Starts one instrumented worker. Starts are serialised so each workerd process can be told
 * apart by its pid. Returns its URL, pid, the bindings (to seed), and the instrument's controls.
 */
export function startWorker({
  name,
  scriptPath,
  compatibilityFlags = [],
  bindings = {},
  kvNamespaces = [],
  d1Databases = [],
  sql = [],
  port = 0, // a fixed port, for a worker that must know its own origin (JWT_ISSUER)
  queueProducers, // { BINDING: queue name }, as wrangler.toml's [[queues.producers]]
  queueConsumers, // { queue name: { maxBatchSize, ... } }, as its [[queues.consumers]]
  persistPath, // KV and D1 kept on disk here, so a later start finds them (cold starts)
}) {
  const started = starting.then(async () => {
    const before = workerdPids()
    const startedAt = performance.now()
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        host: '127.0.0.1',
        port,
        logRequests: false, // Miniflare's own line per request would be part of the measurement
        handleStructuredLogs: () => {}, // log lines are produced as in production, not printed
        ...(persistPath ? { resourcePersistencePath: persistPath } : {}),
        workers: [
          {
            name,
            modules: true,
            scriptPath,
            compatibilityDate,
            compatibilityFlags,
            bindings,
            kvNamespaces,
            d1Databases,
            ...(queueProducers ? { queueProducers } : {}),
            ...(queueConsumers ? { queueConsumers } : {}),
          },
        ],
      }),
    )
    const url = (await mf.ready).origin
    // From construction to listening: workerd started, the script compiled and evaluated.
    const startupMs = performance.now() - startedAt
    const pid = [...workerdPids()].find((p) => !before.has(p))
    const startupCpuNs = cpuNs(pid)
    const db = d1Databases.length ? await mf.getD1Database(d1Databases[0]) : null
    for (const text of sql) await applySql(db, text)
    const kv = kvNamespaces.length ? await mf.getKVNamespace(kvNamespaces[0]) : null
    const call = async (path, method = 'GET') => {
      const res = await fetch(url + path, { method })
      if (!res.ok) throw new Error(`${name} ${path}: ${res.status}`)
      return res.status === 204 ? null : res.json()
    }
    return {
      name,
      mf,
      url,
      pid,
      startupMs,
      startupCpuNs,
      db,
      kv,
      /** Storage operations since the last reset, and resets them. */
      takeOps: () => call('/__bench/ops', 'POST'),
      /** Holds every storage call for `ms` from now on. */
      setDelay: (ms) => call(`/__bench/delay?ms=${ms}`, 'POST'),
      stop: () => mf.dispose(),
    }
  })
  starting = started.catch(() => {})
  return started
}
