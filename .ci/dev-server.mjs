// `npm run dev` for the CI scripts: on a free loopback port, in its own process group so that
// wrangler and workerd stop with it, its output kept for error messages and for reading the
// emails wrangler dev prints.
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'

export const root = new URL('..', import.meta.url).pathname

/** A port nothing listens on right now, on 127.0.0.1. */
export const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

/** Ends a child started with `detached: true`, and everything it started. */
export const stopGroup = (child) => {
  try {
    if (child) process.kill(-child.pid, 'SIGTERM')
  } catch {}
}

/** `npm run dev -- ...args`; `log()` is everything it printed so far. */
export function startDev(args) {
  const child = spawn('npm', ['run', 'dev', '--', ...args], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  child.stdout.on('data', (chunk) => (log += chunk))
  child.stderr.on('data', (chunk) => (log += chunk))
  return { child, log: () => log, stop: () => stopGroup(child) }
}

/** Resolves once `url` answers 2xx; throws with `log()` after 90 seconds. */
export const waitFor = async (url, what, log) => {
  const deadline = Date.now() + 90_000
  for (;;) {
    try {
      if ((await fetch(url)).ok) return
    } catch {}
    if (Date.now() > deadline) throw new Error(`${what} did not answer on ${url}\n${log()}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}
