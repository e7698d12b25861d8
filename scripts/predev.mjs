// Runs before `npm run dev`: makes a fresh clone serve the API with no other step.
// 1. Writes any missing dev secret to .dev.vars: 32 random bytes (256 bits) as hex for the HMAC
//    secrets and the MFA key, and a fresh ES256 key pair (a JWK set) for signing access tokens.
//    And any missing dev-only var: MAIL_FROM, so account emails work (wrangler dev prints them).
// 2. Applies the D1 migrations to the local database.
// 3. Copies the static files that come from node_modules (scripts/assets.mjs).
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { copyAssets } from './assets.mjs'
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
}
/** Vars `npm run dev` needs that wrangler.toml leaves unset for production (never deployed). */
const DEV_VARS = {
  // Any sender works locally: wrangler dev simulates Email Service and prints each message.
  MAIL_FROM: () => 'edge-auth@example.com',
}

// dotenv keeps a single-quoted value verbatim, which the JSON needs.
const GENERATED = { ...SECRETS, ...DEV_VARS }
const dotenvValue = (name) =>
  name === 'JWT_PRIVATE_KEYS' ? `'${GENERATED[name]()}'` : GENERATED[name]()

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

function applyMigrations() {
  const wrangler = `${root}node_modules/wrangler/bin/wrangler.js`
  execFileSync(process.execPath, [wrangler, 'd1', 'migrations', 'apply', 'DB', '--local'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, CI: 'true' }, // never wait for a confirmation prompt
  })
}

// Only when run (npm run dev's predev), not when scripts/deploy.mjs imports SECRETS.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureSecrets()
  applyMigrations()
  copyAssets()
}
