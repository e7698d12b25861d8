// `npm run types`: regenerates worker-configuration.d.ts (the Env type) from wrangler.toml, so
// that `wrangler dev` finds it current and stays quiet. `--check` (in `npm run typecheck`) exits
// 1 when the file is stale, for example after a change to wrangler.toml or to wrangler itself.
//
// Why the secret names: on every start `wrangler dev` regenerates the env types in memory and
// compares their hash with the one in the file's header. It does so with no --env-file, so each
// name in .dev.vars counts as a string secret (wrangler-dist/cli.js, checkTypesDiff, which calls
// generateEnvTypes and getVarsForDev). Types made without those names (--env-file=/dev/null)
// never match and wrangler says "Your types might be out of date". So the types are made from
// the names a fresh .dev.vars holds, in the order predev writes them (the order is part of the
// hash); a .dev.vars with other names or another order brings wrangler's notice back, rightly.
// No values are involved: the file lists names only, and secrets are typed `string`.
// --include-runtime=false: the runtime types come from @cloudflare/workers-types (tsconfig);
// wrangler's would add 16,000 lines. --strict-vars=false: vars are `string`, not their values.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { DEV_VAR_NAMES } from './predev.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
// Relative, so the command recorded in the generated file's header is the same on every machine.
const namesFile = '.wrangler/dev-var-names.env'
const check = process.argv.includes('--check')

mkdirSync(`${root}.wrangler`, { recursive: true })
writeFileSync(`${root}${namesFile}`, DEV_VAR_NAMES.map((name) => `${name}=\n`).join(''))

const wrangler = `${root}node_modules/wrangler/bin/wrangler.js`
const args = [
  'types',
  ...(check ? ['--check'] : []),
  `--env-file=${namesFile}`,
  '--include-runtime=false',
  '--strict-vars=false',
]
const run = spawnSync(process.execPath, [wrangler, ...args], {
  cwd: root,
  encoding: 'utf8',
  stdio: check ? 'pipe' : 'inherit',
})
if (check && run.status !== 0) {
  process.stderr.write(`${run.stdout ?? ''}${run.stderr ?? ''}`)
  console.error('worker-configuration.d.ts is stale: run "npm run types" and commit it')
}
process.exit(run.status ?? 1)
