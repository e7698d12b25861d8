// Cold start: for edge-auth, the floor and each peer, what a fresh worker costs before and on its
// first answer. Each service is set up once on storage kept on disk (users, keys, tokens through
// its real flows), then started afresh `starts` times on that storage: a new workerd process
// each time, so a new isolate that has compiled and evaluated the script and holds no cache.
// For each start:
//
// - startup: from `new Miniflare()` to listening (workerd spawned, the script compiled and its
//   top level evaluated), wall time and the process's CPU (the spawn is the same for every
//   service: the floor's row is that constant);
// - the first request: the service's token check (ours: `GET /users`), wall time from sending to
//   the last byte, and the workerd process's CPU over it (from /proc/<pid>/task/*/schedstat,
//   nanoseconds);
// - warm: the same request `warm` times more on the same isolate; the median of the last half.
//
// Medians over the starts. Every request goes over a fresh TCP connection from node:http (a
// peer needs its `Host` header), the same for every service.
import { request as httpRequest } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './authorization-server.mjs'
import { cpuNs } from './harness/workers.mjs'

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** One request (autocannon's option shape: method, path, headers, body); its status and ms. */
function timed(url, { method = 'GET', path = '/', headers = {}, body }) {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const began = performance.now()
    const req = httpRequest({ hostname, port, method, path, headers, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - began }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** The request with the worker's CPU over it (ms). */
async function measured(worker, options) {
  const before = cpuNs(worker.pid)
  const { status, ms } = await timed(worker.url, options)
  // The response is sent before the isolate's last microtasks settle: a moment for them.
  await new Promise((resolve) => setTimeout(resolve, 20))
  const cpuMs = (cpuNs(worker.pid) - before) / 1e6
  if (status < 200 || status > 299) throw new Error(`${worker.name}${options.path}: ${status}`)
  return { ms, cpuMs }
}

/**
 * `service`: `{ name, start(persistPath, { first, port }), setup(worker), request(ctx) }`:
 * `start` starts the worker on that storage and port (`first`: the one start that also creates
 * its tables);
 * `setup` makes what the request needs through the service's own flows and returns it;
 * `request(ctx)` the token check's options.
 */
export async function coldStart(service, { starts, warm }) {
  const dir = mkdtempSync(join(tmpdir(), `bench-cold-${service.name}-`))
  // One origin for every start: a token's issuer is the origin for some services (OpenAuth).
  const port = await freePort()
  try {
    const first = await service.start(dir, { first: true, port })
    let ctx
    try {
      ctx = await service.setup(first)
    } finally {
      await first.stop()
    }
    const samples = []
    for (let i = 0; i < starts; i++) {
      const worker = await service.start(dir, { first: false, port })
      try {
        const options = service.request(ctx)
        const cold = await measured(worker, options)
        const warmRuns = []
        for (let j = 0; j < warm; j++) warmRuns.push(await measured(worker, options))
        const settled = warmRuns.slice(Math.floor(warm / 2))
        samples.push({
          startupMs: worker.startupMs,
          startupCpuMs: worker.startupCpuNs / 1e6,
          firstMs: cold.ms,
          firstCpuMs: cold.cpuMs,
          warmMs: median(settled.map((x) => x.ms)),
          warmCpuMs: median(settled.map((x) => x.cpuMs)),
        })
      } finally {
        await worker.stop()
      }
    }
    const pick = (key) => median(samples.map((s) => s[key]))
    const result = Object.fromEntries(
      ['startupMs', 'startupCpuMs', 'firstMs', 'firstCpuMs', 'warmMs', 'warmCpuMs'].map((k) => [
        k,
        pick(k),
      ]),
    )
    // What a user waits for from a fresh worker: its start, then its first answer.
    result.toFirstResponseMs = median(samples.map((s) => s.startupMs + s.firstMs))
    result.starts = starts
    return result
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
