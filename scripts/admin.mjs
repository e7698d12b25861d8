// `npm run admin -- <command>`: API keys and the admin role, straight in D1 through wrangler (the
// worker never creates a key: whoever runs this has the Cloudflare account already).
//   create-key --name <name> --scopes users:read,audit:read   prints the key, once
//   list-keys                                                 ids, names, scopes, use; no secrets
//   revoke-key <id>                                           refused from the next request on
//   grant-admin <username> / revoke-admin <username>          the users.role column
// Options: --remote (the deployed database; the default is the local one `npm run dev` uses),
// --persist-to <dir> (a local database elsewhere, as the tests use). Every change also writes an
// audit row (actor "system"). The key format and digest are src/auth/api-keys.ts's.
import { spawn } from 'node:child_process'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const DATABASE = 'edge-auth'

/** src/env.ts's ADMIN_SCOPES (client/test/admin-script.test.ts keeps them in step). */
export const ADMIN_SCOPES = ['users:read', 'users:write', 'audit:read', 'webhooks:manage']

/** src/schemas.ts's Username rule, after NFKC. */
const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/
/** What a key may be called: printable ASCII, short (quoted by sqlString like every value). */
const KEY_NAME = /^[\x20-\x7e]{1,64}$/
const KEY_ID = /^[0-9a-f]{24}$/

/**
 * Ends a command whose UPDATE's effect it reports: local wrangler gives no `changes` in its
 * meta, so the command selects SQLite's changes() (one batch, one connection).
 */
const CHANGES = 'SELECT changes() AS changes;'

export class UsageError extends Error {}

/**
 * A SQL string literal: wrangler's `--command` takes no bound parameters, so every value is
 * validated first and quoted here as well (a single quote doubled; NUL and other controls refused).
 */
export function sqlString(value) {
  if (typeof value !== 'string' || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new UsageError('values must be printable text')
  }
  return `'${value.replaceAll("'", "''")}'`
}

/** A whole number for SQL, or an error: never a string spliced in. */
const sqlInt = (value) => {
  if (!Number.isSafeInteger(value)) throw new UsageError('not a whole number')
  return String(value)
}

export function parseScopes(text) {
  const scopes = [...new Set(String(text ?? '').split(','))].filter(Boolean)
  const unknown = scopes.filter((scope) => !ADMIN_SCOPES.includes(scope))
  if (scopes.length === 0 || unknown.length > 0) {
    throw new UsageError(`--scopes takes a comma-separated list of ${ADMIN_SCOPES.join(', ')}`)
  }
  return scopes
}

export function checkName(name) {
  if (typeof name !== 'string' || !KEY_NAME.test(name)) {
    throw new UsageError('--name takes 1 to 64 printable ASCII characters')
  }
  return name
}

export function checkUsername(username) {
  const normal = String(username ?? '').normalize('NFKC')
  if (!USERNAME.test(normal)) throw new UsageError('a username is 3 to 32 of A-Z a-z 0-9 _ . -')
  return normal
}

export function checkKeyId(id) {
  if (!KEY_ID.test(String(id ?? ''))) throw new UsageError('a key id is 24 hex characters')
  return id
}

/** What the table keeps of a secret, as src/auth/api-keys.ts hashApiKeySecret: base64url(SHA-256). */
export const digest = (secret) => createHash('sha256').update(secret, 'utf8').digest('base64url')

/** A new key as src/auth/api-keys.ts mints it: the key (shown once) and the row's digest. */
export function mintKey() {
  const id = randomBytes(12).toString('hex')
  const secret = randomBytes(32).toString('base64url')
  return { id, key: `eak_${id}_${secret}`, secretHash: digest(secret) }
}

/** An audit row by the script ("system"), about a user (found by name) or about nobody. */
function auditRow(type, at, { userWhere, detail } = {}) {
  const values = [
    sqlString(randomUUID()),
    sqlInt(at),
    sqlString(type),
    userWhere ? 'id' : 'NULL',
    "'system'",
    'NULL',
    'NULL',
    'NULL',
    'NULL',
    detail ? sqlString(JSON.stringify(detail)) : 'NULL',
  ].join(', ')
  const columns =
    'id, at, type, user_id, actor_type, actor_id, request_id, user_agent, country, detail'
  return userWhere
    ? `INSERT INTO audit_events (${columns}) SELECT ${values} FROM users WHERE ${userWhere};`
    : `INSERT INTO audit_events (${columns}) VALUES (${values});`
}

/** The SQL each command runs, built from validated, quoted values only. */
export const statements = {
  createKey({ id, name, secretHash, scopes, at }) {
    return [
      `INSERT INTO api_keys (id, name, secret_hash, scopes, created_at, created_by) VALUES (${[
        sqlString(checkKeyId(id)),
        sqlString(checkName(name)),
        sqlString(secretHash),
        sqlString(scopes.join(' ')),
        sqlInt(at),
        "'system'",
      ].join(', ')});`,
      auditRow('api_key.created', at, { detail: { keyId: id, scope: scopes } }),
    ].join('\n')
  },
  listKeys() {
    return 'SELECT id, name, scopes, created_at, created_by, last_used_at, revoked_at FROM api_keys ORDER BY created_at;'
  },
  revokeKey({ id, at }) {
    const where = `id = ${sqlString(checkKeyId(id))} AND revoked_at IS NULL`
    // The audit row first: it finds the key only while it is still live.
    return [
      `INSERT INTO audit_events (id, at, type, user_id, actor_type, actor_id, request_id, user_agent, country, detail) SELECT ${sqlString(randomUUID())}, ${sqlInt(at)}, 'api_key.revoked', NULL, 'system', NULL, NULL, NULL, NULL, json_object('keyId', id) FROM api_keys WHERE ${where};`,
      `UPDATE api_keys SET revoked_at = ${sqlInt(at)} WHERE ${where};`,
      CHANGES,
    ].join('\n')
  },
  setRole({ username, admin, at }) {
    const name = sqlString(checkUsername(username))
    // Only a user whose role changes gets a row: granting twice records one grant.
    const changes = admin
      ? `username = ${name} AND role IS NULL`
      : `username = ${name} AND role = 'admin'`
    return [
      auditRow(admin ? 'admin.granted' : 'admin.revoked', at, { userWhere: changes }),
      `UPDATE users SET role = ${admin ? "'admin'" : 'NULL'} WHERE ${changes};`,
      CHANGES,
    ].join('\n')
  },
}

/** `wrangler d1 execute` with the target's flags; the parsed JSON results. */
async function execute(sql, target) {
  const args = ['d1', 'execute', DATABASE, '--json', '--command', sql]
  if (target.remote) args.push('--remote')
  else args.push('--local', ...(target.persistTo ? ['--persist-to', target.persistTo] : []))
  const bin = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js')
  const { code, stdout, stderr } = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      // SQL carries a key's digest, never its secret; still kept out of wrangler's debug log.
      env: { ...process.env, WRANGLER_LOG_SANITIZE: 'true', CI: 'true' },
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (err += chunk))
    child.on('error', reject)
    child.on('close', (exit) => resolve({ code: exit, stdout: out, stderr: err }))
  })
  if (code !== 0) throw new Error(`wrangler d1 execute failed:\n${stderr || stdout}`)
  const start = stdout.indexOf('[')
  return JSON.parse(stdout.slice(start))
}

/** Rows changed by the UPDATE a command ends with (see CHANGES). */
const changed = (results) => Number(results.at(-1)?.results?.[0]?.changes ?? 0)

function parseArgs(argv) {
  const target = { remote: false, persistTo: undefined }
  const rest = []
  const options = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--remote') target.remote = true
    else if (arg === '--local') target.remote = false
    else if (arg === '--persist-to' || arg === '--name' || arg === '--scopes') {
      if (argv[i + 1] === undefined) throw new UsageError(`${arg} needs a value`)
      options[arg.slice(2)] = argv[++i]
    } else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`)
    else rest.push(arg)
  }
  if (options['persist-to']) {
    if (target.remote) throw new UsageError('--persist-to is for the local database')
    target.persistTo = options['persist-to']
  }
  return { target, command: rest[0], args: rest.slice(1), options }
}

const USAGE = `usage: npm run admin -- <command> [--remote] [--persist-to <dir>]
  create-key --name <name> --scopes ${ADMIN_SCOPES.join(',')}
  list-keys
  revoke-key <id>
  grant-admin <username>
  revoke-admin <username>`

export async function main(argv, out = console) {
  const { target, command, args, options } = parseArgs(argv)
  const where = target.remote ? 'remote' : 'local'
  const at = Date.now()
  switch (command) {
    case 'create-key': {
      const name = checkName(options.name)
      const scopes = parseScopes(options.scopes)
      const { id, key, secretHash } = mintKey()
      await execute(statements.createKey({ id, name, secretHash, scopes, at }), target)
      out.log(`Created key ${id} (${name}) with ${scopes.join(' ')} in the ${where} database.`)
      out.log('The key, shown this once (store it as a secret; it cannot be shown again):')
      out.log(key)
      return
    }
    case 'list-keys': {
      const [{ results }] = await execute(statements.listKeys(), target)
      const time = (ms) => (ms === null ? '-' : new Date(ms).toISOString())
      out.log(['id', 'name', 'scopes', 'created', 'last used', 'revoked'].join('\t'))
      for (const row of results) {
        out.log(
          [
            row.id,
            row.name,
            row.scopes,
            time(row.created_at),
            time(row.last_used_at),
            time(row.revoked_at),
          ].join('\t'),
        )
      }
      return
    }
    case 'revoke-key': {
      const id = checkKeyId(args[0])
      const results = await execute(statements.revokeKey({ id, at }), target)
      if (changed(results) === 0) throw new UsageError(`no live key ${id} in the ${where} database`)
      out.log(`Revoked key ${id}: refused from the next request on.`)
      return
    }
    case 'grant-admin':
    case 'revoke-admin': {
      const admin = command === 'grant-admin'
      const username = checkUsername(args[0])
      const results = await execute(statements.setRole({ username, admin, at }), target)
      if (changed(results) === 0) {
        out.log(`No change: no user ${username}, or ${admin ? 'already' : 'not'} an admin.`)
        return
      }
      out.log(`${username} is ${admin ? 'now' : 'no longer'} an admin.`)
      return
    }
    default:
      throw new UsageError(command ? `unknown command ${command}\n${USAGE}` : USAGE)
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`admin: ${error.message}`)
    process.exitCode = error instanceof UsageError ? 2 : 1
  })
}
