// Runs first in `npm run dev` (predev) and `npm test` (pretest): stops with one line that says
// what to do when the Node running them is older than the tools need. wrangler refuses Node < 22
// (with a stack trace from predev), and vitest 5 needs 22.12 (on 20 it crashes in its reporter).
// Node 22 normally comes from the `node` devDependency, whose binary its install script fetches:
// npm puts node_modules/.bin first on PATH for scripts, so `node` there is that binary. When
// install scripts were skipped (ignore-scripts, or an npm that blocks unapproved ones) there is
// no binary, and the machine's own Node runs instead. Plain Node APIs only: this must run on
// old Node to say so, and fast, since it runs before every dev and test run.
import { existsSync, realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const MIN = [22, 12] // vitest 5's engines floor; wrangler's is 22.0

/** Exits 1 with one line on stderr unless this process runs on Node 22.12 or later. */
export function requireNode22() {
  const [major, minor] = process.versions.node.split('.').map(Number)
  if (major > MIN[0] || (major === MIN[0] && minor >= MIN[1])) return
  const bundled = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url))
  const fix = existsSync(bundled)
    ? 'run it through npm ("npm run dev", "npm test"), which puts node_modules/.bin first on PATH'
    : 'run "npm rebuild node --ignore-scripts=false" (install scripts were skipped) or use Node 22'
  console.error(`edge-auth needs Node 22 (this is ${process.version}): ${fix}`)
  process.exit(1)
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  requireNode22()
}
