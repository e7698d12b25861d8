// The real worker on a loopback port, as the browser tests and `npm run screenshots` run it:
// wrangler's local server with fresh D1 and KV in a temporary directory (migrated), fresh
// secrets, and only the vars the caller names over wrangler.toml's (never .dev.vars).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { unstable_dev } from 'wrangler'
import { SECRETS } from './predev.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * The worker on http://localhost:<port>, with `vars` over wrangler.toml's; stop() cleans up.
 * @param {Record<string, string>} vars
 * @returns {Promise<{ origin: string, stop: () => Promise<void> }>}
 */
export async function startWorker(vars) {
  const state = mkdtempSync(join(tmpdir(), 'edge-auth-browser-'))
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/wrangler/bin/wrangler.js'),
      ...['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state],
    ],
    { cwd: root, stdio: 'ignore', env: { ...process.env, CI: 'true' } },
  )
  const secrets = Object.fromEntries(Object.entries(SECRETS).map(([name, make]) => [name, make()]))
  const worker = await unstable_dev(join(root, 'src/index.ts'), {
    config: join(root, 'wrangler.toml'),
    // Never the developer's .dev.vars: fresh secrets, and only the vars the caller names.
    envFiles: [],
    vars: { ...secrets, ...vars },
    persistTo: state,
    ip: '127.0.0.1',
    logLevel: 'error',
    experimental: { disableExperimentalWarning: true },
  })
  return {
    origin: `http://localhost:${worker.port}`,
    stop: async () => {
      await worker.stop()
      rmSync(state, { recursive: true, force: true })
    },
  }
}
