// Runs before `npm run dev`: makes a fresh clone serve the API with no other step.
// 1. Writes any missing dev secret to .dev.vars: 32 random bytes (256 bits) as hex for the HMAC
//    secrets and the MFA key, a fresh ES256 key pair (a JWK set) for signing access tokens, and an
//    RSA-2048 one for RS256 ID tokens.
//    And any missing dev-only var: MAIL_FROM, so account emails work (wrangler dev prints them).
// 2. Applies the D1 migrations to the local database, quietly: one line when any was applied,
//    wrangler's whole output only when it fails.
// 3. Copies the static files that come from node_modules (scripts/assets.mjs).
// Before all of it, stops with one line if this is not Node 22 (scripts/node-version.mjs).
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs'
import { fileURLToPath } from 'node:url'
import { copyAssets } from './assets.mjs'
import { requireNode22 } from './node-version.mjs'
import { generateKeySet } from './signing-keys.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const devVars = `${root}.dev.vars`
const hex256 = () => randomBytes(32).toString('hex')
/** A fresh value for each secret the worker reads; scripts/deploy.mjs makes production's with these. */
export const SECRETS = {
  ACCESS_TOKEN_SECRET: hex256,
  REFRESH_TOKEN_SECRET: hex256,
  JWT_PRIVATE_KEYS: () => generateKeySet('ES256'),
  MFA_ENCRYPTION_KEY: hex256,
  OIDC_RSA_KEYS: () => generateKeySet('RS256'),
}
/** Secrets added since .dev.vars files exist: predev appends them, so a fresh file lists them last too. */
const LATER_SECRETS = ['OIDC_RSA_KEYS']
/** Vars `npm run dev` needs that wrangler.toml leaves unset for production (never deployed). */
const DEV_VARS = {
  // Any sender works locally: wrangler dev simulates Email Service and prints each message.
  MAIL_FROM: () => 'edge-auth@example.com',
}

const GENERATED = Object.fromEntries([
  ...Object.entries(SECRETS).filter(([name]) => !LATER_SECRETS.includes(name)),
  ...Object.entries(DEV_VARS),
  ...LATER_SECRETS.map((name) => [name, SECRETS[name]]),
])
/**
 * The names a fresh .dev.vars holds, in the order predev writes them. `wrangler dev` types each
 * name in .dev.vars as a string secret when it checks worker-configuration.d.ts, so
 * `npm run types` (scripts/types.mjs) generates the types with these, in this order.
 */
export const DEV_VAR_NAMES = Object.keys(GENERATED)
// dotenv keeps a single-quoted value verbatim, which the JSON key sets need.
const JSON_VALUES = ['JWT_PRIVATE_KEYS', 'OIDC_RSA_KEYS']
const dotenvValue = (name) =>
  JSON_VALUES.includes(name) ? `'${GENERATED[name]()}'` : GENERATED[name]()

function ensureSecrets() {
  const lines = existsSync(devVars) ? readFileSync(devVars, 'utf8').split('\n') : []
  const isSet = (name) => lines.some((line) => new RegExp(`^\\s*${name}\\s*=\\s*\\S`).test(line))
  const missing = Object.keys(GENERATED).filter((name) => !isSet(name))
  if (missing.length === 0) return
  // Drop empty assignments (as copied from .dev.vars.example) so each name appears once.
  const kept = lines.filter(
    (line) => !missing.some((name) => new RegExp(`^\\s*${name}\\s*=`).test(line)),
  )
  while (kept.length && kept.at(-1).trim() === '') kept.pop()
  const generated = missing.map((name) => `${name}=${dotenvValue(name)}`)
  writeFileSync(devVars, [...kept, ...generated, ''].join('\n'), { mode: 0o600 })
  chmodSync(devVars, 0o600)
  console.log(`predev: generated ${missing.join(', ')} in .dev.vars (values not shown)`)
}

// wrangler applies the migrations one at a time and prints the whole table after each (six
// tables on a fresh clone), so its output is kept and shown only if the command fails.
function applyMigrations() {
  const wrangler = `${root}node_modules/wrangler/bin/wrangler.js`
  const run = spawnSync(
    process.execPath,
    [wrangler, 'd1', 'migrations', 'apply', 'DB', '--local'],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' }, // never wait for a confirmation prompt
    },
  )
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`
  if (run.status !== 0) {
    process.stderr.write(output)
    console.error(
      `predev: applying the D1 migrations failed${run.error ? `: ${run.error.message}` : ''}`,
    )
    process.exit(run.status || 1)
  }
  // wrangler names only the migrations it applies (none: "No migrations to apply!").
  const applied = readdirSync(`${root}migrations`).filter(
    (file) => file.endsWith('.sql') && output.includes(file),
  )
  if (applied.length > 0) {
    console.log(`predev: applied ${applied.length} migration${applied.length === 1 ? '' : 's'}`)
  }
}

// Only when run (npm run dev's predev), not when scripts/deploy.mjs imports SECRETS.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  requireNode22()
  ensureSecrets()
  applyMigrations()
  copyAssets()
}
