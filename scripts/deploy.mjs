// `npm run deploy`: from a clone (after `wrangler login`) to a running worker, and again for every
// release. Safe to re-run: it never replaces a secret the worker already has.
//   1. Lists the worker's secrets (names only); a worker that does not exist yet has none.
//   2. Generates each missing secret with predev's generators, fresh (never .dev.vars).
//   3. Creates the D1 database if there is none by its name (first checking that no KV
//      namespace is left over from a failed first deploy), and each queue wrangler.toml names
//      (the webhook queue and its dead-letter queue, the write queue) that does not exist:
//      deploy refuses bindings to missing queues.
//   4. Applies the remote D1 migrations, before any new code can run against the database.
//   5. Deploys, uploading the missing secrets with the new version (--secrets-file); on the
//      first deploy wrangler also creates the KV namespace.
//   6. Prints the worker URL and its JWKS and metadata URLs.
// `npm run deploy -- --dry-run` prints those steps and runs `wrangler deploy --dry-run` with
// throwaway secrets: no login, no account, no network needed. docs/deploy.md has the why.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { unstable_readConfig } from 'wrangler'
import { copyAssets } from './assets.mjs'
import { SECRETS } from './predev.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2)
const dryRun = args.includes('--dry-run')
const unknown = args.filter((arg) => arg !== '--dry-run')
if (unknown.length > 0) fail(`unknown argument ${unknown[0]}; the only option is --dry-run`)

const config = unstable_readConfig({ config: join(root, 'wrangler.toml') })
const worker = config.name
const db = config.d1_databases.find((binding) => binding.binding === 'DB')
const kv = config.kv_namespaces.find((binding) => binding.binding === 'REFRESH_TOKENS')
if (!worker || !db?.database_name || !kv) {
  fail(
    'wrangler.toml needs a name, the D1 binding DB with a database_name, and the KV binding REFRESH_TOKENS',
  )
}
// Every queue the worker produces to, consumes, or dead-letters to.
const queueNames = [
  ...new Set([
    ...(config.queues?.producers ?? []).map((producer) => producer.queue),
    ...(config.queues?.consumers ?? []).flatMap((consumer) =>
      [consumer.queue, consumer.dead_letter_queue].filter(Boolean),
    ),
  ]),
]
// Loopback webhook receivers are for local development only (src/env.ts refuses the setting
// beside a public JWT_ISSUER; this refuses it in any deployed configuration).
if (config.vars?.WEBHOOKS_ALLOW_LOOPBACK === 'on') {
  fail('wrangler.toml sets WEBHOOKS_ALLOW_LOOPBACK = "on": that is for local development only')
}
// The title wrangler gives a KV namespace it provisions (autoProvisionedResourceName in wrangler).
const kvTitle = `${worker}-${kv.binding.toLowerCase().replaceAll('_', '-')}`
const secretNames = Object.keys(SECRETS)
const migrations = readdirSync(join(root, db.migrations_dir ?? 'migrations'))
  .filter((file) => file.endsWith('.sql'))
  .sort()

// Temporary files (the secrets file, wrangler's output file) live here and nowhere else.
let tmp
const cleanUp = () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true })
  tmp = undefined
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanUp()
    process.exit(130)
  })
}

try {
  // The static files wrangler uploads with the worker ([assets]).
  copyAssets()
  if (dryRun) await rehearse()
  else await deploy()
} catch (error) {
  console.error(`\ndeploy: ${error.message}`)
  process.exitCode = 1
} finally {
  cleanUp()
}

async function deploy() {
  step(1, 'which secrets the worker has', 'wrangler secret list --format json')
  const { exists, present } = await listSecrets()
  const missing = secretNames.filter((name) => !present.includes(name))
  console.log(
    exists
      ? `worker "${worker}" exists; has ${list(present)}; missing ${list(missing)}`
      : `worker "${worker}" does not exist yet: this is its first deploy`,
  )

  step(2, 'generate the missing secrets')
  const secrets = Object.fromEntries(missing.map((name) => [name, SECRETS[name]()]))
  console.log(missing.length ? `generated ${list(missing)} (values not shown)` : 'none missing')

  step(
    3,
    'storage',
    'wrangler kv namespace list (first deploy only), wrangler d1 list --json, wrangler queues info',
  )
  if (!exists && !kv.id) {
    // A first deploy that failed after wrangler created the KV namespace leaves it unbound, and
    // wrangler would try to create it again, which the API refuses (one title per account).
    // Checked before anything is created.
    const namespaces = parseJson(
      (await wrangler(['kv', 'namespace', 'list'], { quiet: true })).stdout,
    )
    const leftOver = namespaces.find((namespace) => namespace.title === kvTitle)
    if (leftOver) {
      throw new Error(
        `the KV namespace "${kvTitle}" (id ${leftOver.id}) exists but no worker uses it, ` +
          'probably from a first deploy that failed. Either delete it ' +
          `(npx wrangler kv namespace delete --namespace-id ${leftOver.id}) or bind it: ` +
          `add id = "${leftOver.id}" to [[kv_namespaces]] in wrangler.toml. Then run this again.`,
      )
    }
  }
  if (db.database_id) {
    console.log(`D1 "${db.database_name}": wrangler.toml gives its database_id`)
  } else {
    const databases = parseJson((await wrangler(['d1', 'list', '--json'], { quiet: true })).stdout)
    if (databases.some((database) => database.name === db.database_name)) {
      console.log(`D1 "${db.database_name}" exists`)
    } else {
      await wrangler(['d1', 'create', db.database_name])
      console.log(
        '(No need to paste that snippet: wrangler.toml finds the database by database_name.)',
      )
    }
  }

  // `wrangler queues info` fails for a queue that does not exist (and for any other error, in
  // which case create fails too, and says why).
  for (const name of queueNames) {
    const info = await wrangler(['queues', 'info', name], { quiet: true, check: false })
    if (info.code === 0) console.log(`queue "${name}" exists`)
    else await wrangler(['queues', 'create', name])
  }

  step(
    4,
    'apply the remote D1 migrations, before the new code',
    'wrangler d1 migrations apply DB --remote',
  )
  await wrangler(['d1', 'migrations', 'apply', 'DB', '--remote'])

  step(5, 'deploy', `wrangler deploy${missing.length ? ' --secrets-file <temp file>' : ''}`)
  tmp = mkdtempSync(join(tmpdir(), 'edge-auth-deploy-'))
  const outputFile = join(tmp, 'wrangler-output.ndjson')
  const deployArgs = ['deploy']
  if (missing.length) {
    const secretsFile = join(tmp, 'secrets.json')
    // JSON, not .env: wrangler expands $VAR in .env values and lets the environment override them.
    writeFileSync(secretsFile, JSON.stringify(secrets), { mode: 0o600 })
    deployArgs.push('--secrets-file', secretsFile)
  }
  let stdout
  let output
  try {
    ;({ stdout } = await wrangler(deployArgs, { env: { WRANGLER_OUTPUT_FILE_PATH: outputFile } }))
    output = readFileSync(outputFile, 'utf8')
  } catch (error) {
    if (stdout === undefined) throw error
    output = '' // deployed, but no output file: report() falls back to the printed output
  } finally {
    cleanUp()
  }

  step(6, 'where it runs')
  await report(output, stdout)
}

async function rehearse() {
  console.log(
    `npm run deploy, step by step, for worker "${worker}" (nothing below calls Cloudflare):\n` +
      `1. wrangler secret list --format json\n` +
      `   which of ${secretNames.join(', ')} the worker has; a new worker has none\n` +
      `2. generate each missing one with scripts/predev.mjs's generators (values never printed)\n` +
      `3. first deploy only: wrangler kv namespace list, and stop if "${kvTitle}" is left over\n` +
      `   wrangler d1 list --json, and if there is no database "${db.database_name}":\n` +
      `   wrangler d1 create ${db.database_name}\n` +
      queueNames
        .map(
          (name) =>
            `   wrangler queues info ${name}, and if it fails: wrangler queues create ${name}\n`,
        )
        .join('') +
      `4. wrangler d1 migrations apply DB --remote\n` +
      `   whichever of ${migrations.join(', ')} the database lacks\n` +
      `5. wrangler deploy --secrets-file <temp file of the missing secrets, deleted afterwards>\n` +
      `   the first deploy also creates the KV namespace "${kvTitle}" for REFRESH_TOKENS\n` +
      `6. print the worker URL, <url>/.well-known/jwks.json and ` +
      `<url>/.well-known/oauth-authorization-server, then GET the JWKS once`,
  )
  console.log(
    '\nStep 5 rehearsed, as on a first deploy (all secrets missing), with throwaway values:',
  )
  tmp = mkdtempSync(join(tmpdir(), 'edge-auth-deploy-'))
  const secretsFile = join(tmp, 'secrets.json')
  const throwaway = Object.fromEntries(secretNames.map((name) => [name, SECRETS[name]()]))
  writeFileSync(secretsFile, JSON.stringify(throwaway), { mode: 0o600 })
  try {
    await wrangler(['deploy', '--dry-run', '--secrets-file', secretsFile])
  } finally {
    cleanUp()
  }
  console.log('\ndry run ok: bundle built, bindings and secrets file accepted; no account touched')
}

/** The worker's secret names; a worker that does not exist yet has none. */
async function listSecrets() {
  const result = await wrangler(['secret', 'list', '--format', 'json'], {
    quiet: true,
    check: false,
  })
  if (result.code === 0) {
    return { exists: true, present: parseJson(result.stdout).map((secret) => secret.name) }
  }
  // wrangler's words for a missing worker: `Worker "<name>" not found.`
  if (result.output.includes(`Worker "${worker}" not found`)) return { exists: false, present: [] }
  process.stderr.write(result.output)
  throw new Error(
    'could not list the worker\'s secrets. Not logged in? Run "npx wrangler login" ' +
      '(or set CLOUDFLARE_API_TOKEN), then run this again.',
  )
}

/** Prints the worker URL (and where it came from) and the discovery URLs, then checks the JWKS. */
async function report(output, stdout) {
  // wrangler appends one JSON line per event to WRANGLER_OUTPUT_FILE_PATH; the deploy event's
  // `targets` are what it printed under "Deployed <name> triggers".
  const event = output
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line)]
      } catch {
        return []
      }
    })
    .findLast((entry) => entry.type === 'deploy')
  const targets = event?.targets ?? []
  let url
  let source
  const customDomain = targets.find((target) => target.includes('(custom domain'))
  const workersDev = targets.find((target) => /^https:\/\/\S+\.workers\.dev$/.test(target))
  if (customDomain) {
    url = `https://${customDomain.split(' ')[0]}`
    source = "the custom domain in wrangler deploy's targets (WRANGLER_OUTPUT_FILE_PATH)"
  } else if (workersDev) {
    url = workersDev
    source = "the workers.dev target in wrangler deploy's targets (WRANGLER_OUTPUT_FILE_PATH)"
  } else {
    url = stdout.match(/https:\/\/[\w.-]+\.workers\.dev\b/)?.[0]
    source = "the workers.dev URL in wrangler deploy's printed output"
  }
  if (targets.length) console.log(`wrangler deployed to: ${targets.join(', ')}`)
  if (!url) {
    console.log("No URL found in wrangler's output: see the routes above or the dashboard.")
    return
  }
  const jwks = `${url}/.well-known/jwks.json`
  console.log(`\nworker:   ${url}   (from ${source})`)
  console.log(`JWKS:     ${jwks}`)
  console.log(`metadata: ${url}/.well-known/oauth-authorization-server`)
  const issuer = config.vars?.JWT_ISSUER
  console.log(
    issuer
      ? `issuer:   ${issuer}   (JWT_ISSUER)`
      : `issuer:   unset, so each request's origin; set JWT_ISSUER = "${url}" (docs/deploy.md)`,
  )
  try {
    const response = await fetch(jwks, { signal: AbortSignal.timeout(10_000) })
    const body = response.ok ? await response.json() : undefined
    console.log(
      `check:    GET ${jwks} → ${response.status}` +
        (body ? `, ${body.keys?.length ?? 0} key(s)` : ''),
    )
  } catch (error) {
    console.log(
      `check:    GET ${jwks} failed (${error.cause?.code ?? error.name}); ` +
        'a new workers.dev hostname can take a few minutes to resolve',
    )
  }
}

/**
 * Runs the project's wrangler with stdin closed, so it never prompts and never writes
 * provisioned ids back into wrangler.toml (it does that only in interactive terminals).
 * Shows its output as it comes unless `quiet`; fails on a non-zero exit unless `check` is false.
 */
function wrangler(wranglerArgs, { quiet = false, check = true, env = {} } = {}) {
  const bin = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js')
  if (!quiet) console.log(`$ wrangler ${wranglerArgs.join(' ')}`)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...wranglerArgs], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Keeps request bodies (the secrets) out of wrangler's debug log, whatever the shell says.
      env: { ...process.env, WRANGLER_LOG_SANITIZE: 'true', ...env },
    })
    let stdout = ''
    let output = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      output += chunk
      if (!quiet) process.stdout.write(chunk)
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
      if (!quiet) process.stderr.write(chunk)
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0 || !check) return resolve({ code, stdout, output })
      if (quiet) process.stderr.write(output)
      reject(new Error(`wrangler ${wranglerArgs.join(' ')} exited with code ${code}`))
    })
  })
}

/** The JSON array a listing command printed, ignoring anything around it. */
function parseJson(text) {
  const start = text.indexOf('[')
  const end = text.lastIndexOf(']')
  if (start === -1 || end < start)
    throw new Error(`expected a JSON list from wrangler, got: ${text}`)
  return JSON.parse(text.slice(start, end + 1))
}

function step(number, title, command) {
  console.log(`\n[${number}/6] ${title}${command ? `: ${command}` : ''}`)
}

function list(names) {
  return names.length ? names.join(', ') : 'none'
}

function fail(message) {
  console.error(`deploy: ${message}`)
  process.exit(1)
}
