// What the browser tests run against: the real worker (wrangler's local server, fresh D1 and KV
// in a temporary directory, migrated; scripts/local-worker.mjs, which `npm run screenshots` uses
// too) and small static sites on other origins.
import { existsSync } from 'node:fs'
import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AuthClient } from '../src/index'

/** Debian's Chromium, driven through playwright-core; never a browser download. */
export const CHROMIUM = '/usr/bin/chromium'

/**
 * Whether the browser tests can run here. Without Chromium they say so (a warning naming the
 * binary and how to install it) and skip; in CI (CI=true) they fail instead, as CI must run them.
 */
export function chromiumAvailable(binary = CHROMIUM, ci = process.env.CI): boolean {
  if (existsSync(binary)) return true
  const missing = `Chromium is missing (${binary}): the browser tests need it; install it with \`apt-get install chromium\``
  if (ci && /^(1|true)$/i.test(ci)) throw new Error(`${missing}. CI=true: failing, not skipping.`)
  console.warn(`${missing}. Skipping them.`)
  return false
}

/** The worker on http://localhost:<port>, with `vars` over wrangler.toml's; stop() cleans up. */
export { startWorker } from '../../scripts/local-worker.mjs'

/** A static site serving `pages` (path → HTML or JS, added to at will) on a free port. */
export async function startSite(host: string, pages: Record<string, string> = {}) {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    // Chromium asks every site for its icon, when it gets to it: a 404 there would show up as a
    // page's console error, in whichever test happens to be looking.
    if (path === '/favicon.ico') return void res.writeHead(204).end()
    const body = pages[path]
    if (body === undefined) return void res.writeHead(404).end()
    const type = req.url?.endsWith('.js') ? 'text/javascript' : 'text/html'
    res.writeHead(200, { 'Content-Type': `${type}; charset=utf-8` }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://${host}:${port}`,
    pages,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** The app: loads the SDK (served as /sdk.js) and exposes it as window.auth, in cookie mode. */
export const appPage = (
  workerOrigin: string,
) => `<!doctype html><meta charset="utf-8"><title>app</title><link rel="icon" href="data:,">
<script type="module">
  import { createAuthClient } from '/sdk.js'
  window.auth = createAuthClient({ baseUrl: ${JSON.stringify(workerOrigin)} })
  window.ready = true
</script>`

/** What the app page puts on window. */
export type AppWindow = { auth: AuthClient; ready?: boolean }
