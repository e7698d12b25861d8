// Runs inside workerd, bundled in front of a measured worker (ours, a floor or a peer): wraps
// every KV namespace and D1 database in the worker's env so that each storage call is counted
// and, when asked, held for a fixed delay before it reaches the binding. With a delay of D ms,
// (latency with it − latency without) ÷ D is the number of sequential storage steps a request
// waits for. Every worker measured runs behind it, so what counting costs is the same for all.
//
//   GET  /__bench/ops           the counts since the last reset
//   POST /__bench/ops           resets them
//   POST /__bench/delay?ms=20   holds every storage call for 20 ms (0: none)
//
// D1 writes are also tallied by the table they write (`tables`: queries and rows written per
// table), so a run can tell, say, a sign-in's audit row (written after the response) from its
// session row. Queue and cron handlers run behind the same wrapped env, so what a queue consumer
// writes while a run is measured counts too (the batched write path's D1 statements).

const zero = () => ({
  kvRead: 0,
  kvWrite: 0,
  kvDelete: 0,
  kvList: 0,
  d1Queries: 0,
  d1RowsRead: 0,
  d1RowsWritten: 0,
  tables: {},
})
let counts = zero()
let delayMs = 0

const hold = () => (delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, delayMs)) : null)

const isKv = (b) =>
  b && typeof b.get === 'function' && typeof b.put === 'function' && typeof b.list === 'function'
const isD1 = (b) => b && typeof b.prepare === 'function' && typeof b.batch === 'function'

function kv(real) {
  // Reads are billed per key, bulk reads included.
  const read =
    (method) =>
    async (key, ...rest) => {
      await hold()
      counts.kvRead += Array.isArray(key) ? key.length : 1
      return real[method](key, ...rest)
    }
  const call =
    (method, field) =>
    async (...args) => {
      await hold()
      counts[field] += 1
      return real[method](...args)
    }
  return {
    get: read('get'),
    getWithMetadata: read('getWithMetadata'),
    put: call('put', 'kvWrite'),
    delete: call('delete', 'kvDelete'),
    list: call('list', 'kvList'),
  }
}

const REAL = Symbol('real statement')
const TABLE = Symbol('table written')

/** The table a write statement writes (INSERT, UPDATE, DELETE, REPLACE), or null for a read. */
const WRITES =
  /^\s*(?:WITH\b[\s\S]*?\)\s*)?(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+["`[]?(\w+)/i
const tableOf = (sql) => WRITES.exec(sql)?.[1] ?? null

function tally(meta, table) {
  counts.d1RowsRead += meta?.rows_read ?? 0
  counts.d1RowsWritten += meta?.rows_written ?? 0
  if (table) {
    const t = (counts.tables[table] ??= { queries: 0, rowsWritten: 0 })
    t.queries += 1
    t.rowsWritten += meta?.rows_written ?? 0
  }
}

function statement(real, table) {
  const run =
    (method) =>
    async (...args) => {
      await hold()
      counts.d1Queries += 1
      const result = await real[method](...args)
      tally(result?.meta, table)
      return result
    }
  return {
    [REAL]: real,
    [TABLE]: table,
    bind: (...values) => statement(real.bind(...values), table),
    all: run('all'),
    run: run('run'),
    // first() returns no meta: asked through all(), which does, and shaped as first() answers.
    first: async (column) => {
      const { results } = await run('all')()
      const row = results[0] ?? null
      return column === undefined ? row : row === null ? null : (row[column] ?? null)
    },
    // raw() has no meta either, and running the query twice could write twice: its rows stand in.
    raw: async (options) => {
      await hold()
      counts.d1Queries += 1
      const rows = await real.raw(options)
      counts.d1RowsRead += rows.length
      return rows
    },
  }
}

function d1(real) {
  return {
    prepare: (sql) => statement(real.prepare(sql), tableOf(sql)),
    batch: async (statements) => {
      await hold()
      counts.d1Queries += statements.length
      const results = await real.batch(statements.map((s) => s[REAL] ?? s))
      results.forEach((r, i) => tally(r?.meta, statements[i][TABLE]))
      return results
    },
    exec: async (sql) => {
      await hold()
      counts.d1Queries += 1
      return real.exec(sql)
    },
    dump: () => real.dump(),
    withSession: (...args) => real.withSession(...args),
  }
}

function wrapEnv(env) {
  const wrapped = {}
  for (const [name, binding] of Object.entries(env)) {
    wrapped[name] = isD1(binding) ? d1(binding) : isKv(binding) ? kv(binding) : binding
  }
  return wrapped
}

async function control(request) {
  const url = new URL(request.url)
  if (url.pathname === '/__bench/ops') {
    const body = JSON.stringify(counts)
    if (request.method === 'POST') counts = zero()
    return new Response(body, { headers: { 'content-type': 'application/json' } })
  }
  if (url.pathname === '/__bench/delay' && request.method === 'POST') {
    delayMs = Number(url.searchParams.get('ms') ?? 0)
    return new Response(null, { status: 204 })
  }
  return null
}

/** The measured worker, its bindings wrapped; `/__bench/*` answered here. */
export function instrument(target) {
  let envCache = null
  let envOf = null
  // The env object is the same for every request of an isolate: wrap it once.
  const wrapped = (env) => {
    if (envOf !== env) {
      envOf = env
      envCache = wrapEnv(env)
    }
    return envCache
  }
  const handlers = {
    async fetch(request, env, ctx) {
      const answer = new URL(request.url).pathname.startsWith('/__bench/')
        ? await control(request)
        : null
      if (answer) return answer
      return target.fetch(request, wrapped(env), ctx)
    },
  }
  // A worker's queue consumer and cron run behind the same counted bindings.
  for (const name of ['queue', 'scheduled']) {
    if (typeof target[name] === 'function') {
      handlers[name] = (event, env, ctx) => target[name](event, wrapped(env), ctx)
    }
  }
  return handlers
}
