// Load and what is read off a worker under it: autocannon over loopback, the workerd process's
// CPU time per request, storage operations per request, and sequential storage steps.
import autocannon from 'autocannon'
import { cpuMs } from './workers.mjs'

export const json = (method, body, headers = {}) => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

export async function post(url, path, body, headers = {}) {
  const res = await fetch(url + path, json('POST', body, headers))
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return res.json()
}

/**
 * Requests that did not get the answer their operation gives when it works (a 2xx, or exactly
 * `status` where that answer is a redirect, as a browser sign-in's is), errors and timeouts.
 */
const failures = (r, status) =>
  (status === undefined
    ? r.non2xx
    : Object.entries(r.statusCodeStats)
        .filter(([code]) => Number(code) !== status)
        .reduce((n, [, { count }]) => n + count, 0)) +
  r.errors +
  r.timeouts

/**
 * Warm-up, then the measured run. `options()` gives autocannon's options (a `path`, and
 * `requests` that may keep per-connection state). With an instrumented worker, also its CPU
 * time per request (the whole workerd process: the worker, Miniflare's routing and its
 * simulated KV and D1) and its storage operations per request.
 */
export async function measure(target, options, { connections, warmup, duration, status }) {
  const url = typeof target === 'string' ? target : target.url
  const run = (seconds) => {
    const { path = '', ...rest } = options()
    return autocannon({ url: url + path, connections, duration: seconds, ...rest })
  }
  // autocannon takes a second whatever the duration, so the quick run skips the warm-up.
  if (warmup > 0) await run(warmup)
  const worker = typeof target === 'string' ? null : target
  if (worker) await worker.takeOps()
  const cpuBefore = worker ? cpuMs(worker.pid) : 0
  const r = await run(duration)
  const cpu = worker ? cpuMs(worker.pid) - cpuBefore : 0
  const served = Math.max(r.requests.total, 1)
  const result = {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: failures(r, status),
    requests: r.requests.total,
  }
  if (!worker) return result
  // Work deferred past the response (waitUntil) is storage the request still pays for.
  await new Promise((resolve) => setTimeout(resolve, 200))
  const { tables = {}, ...ops } = await worker.takeOps()
  const per = (counts) =>
    Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / served]))
  return {
    ...result,
    cpuUsPerRequest: (cpu * 1000) / served,
    ops: per(ops),
    // D1 writes by table, per request (the instrument's tally).
    tables: Object.fromEntries(Object.entries(tables).map(([t, counts]) => [t, per(counts)])),
  }
}

/**
 * Sequential storage steps: one connection, `count` requests with no storage delay and `count`
 * with every storage call held `delayMs`; the mean latency grows by one delay per step (the
 * mean, not the median, so a ceremony of two requests counts the steps of both, halved).
 */
export async function storageSteps(worker, options, { count = 20, delayMs = 50, status } = {}) {
  const mean = async () => {
    const { path = '', ...rest } = options()
    const r = await autocannon({ url: worker.url + path, connections: 1, amount: count, ...rest })
    if (failures(r, status) > 0) throw new Error(`${worker.name}${path}: non-2xx`)
    return r.latency.average
  }
  await worker.setDelay(0)
  const without = await mean()
  await worker.setDelay(delayMs)
  try {
    const withDelay = await mean()
    return Math.max(0, (withDelay - without) / delayMs)
  } finally {
    await worker.setDelay(0)
  }
}

/**
 * Refresh chains: every request takes a chain's newest token and puts back its successor, so
 * each request presents a fresh token and no chain is used by two requests at once. autocannon
 * resets per-connection context after every request, hence a shared pool. A run can end with
 * requests in flight, whose successors are lost, so callers give three chains per connection.
 * `present(token)` shapes the request; `nextToken(body, token, headers)` reads the successor.
 */
export function refreshChains({ path = '/token', tokens, present, nextToken }) {
  const pool = [...tokens]
  return () => ({
    requests: [
      {
        method: 'POST',
        path,
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
