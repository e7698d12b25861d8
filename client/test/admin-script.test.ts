// `npm run admin` (scripts/admin.mjs) against a real local D1 (wrangler's, migrated in a temporary
// directory): keys shown once and stored as a digest, revocation, the admin role, an audit row for
// each change, and no SQL injection through a name. Its SQL-quoting functions are tested directly.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ADMIN_SCOPES,
  UsageError,
  checkUsername,
  digest,
  parseScopes,
  sqlString,
  statements,
} from '../../scripts/admin.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))
const script = join(root, 'scripts/admin.mjs')
const wranglerBin = join(root, 'node_modules/wrangler/bin/wrangler.js')
const run = promisify(execFile)

/** The documented secret-scanner pattern (src/auth/api-keys.ts), anchored. */
const KEY = /^eak_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/

let dir: string

/** The script on the temporary database; exit code, stdout and stderr whatever the outcome. */
async function admin(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args, '--persist-to', dir], {
      cwd: root,
      timeout: 60_000,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

/** Rows of one SELECT on the temporary database. */
async function query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const { stdout } = await run(
    process.execPath,
    [
      wranglerBin,
      'd1',
      'execute',
      'edge-auth',
      '--local',
      '--persist-to',
      dir,
      '--json',
      '--command',
      sql,
    ],
    { cwd: root, timeout: 60_000, env: { ...process.env, CI: 'true' } },
  )
  return (JSON.parse(stdout.slice(stdout.indexOf('['))) as { results: T[] }[])[0]!.results
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edge-auth-admin-'))
  await run(
    process.execPath,
    [wranglerBin, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', dir],
    {
      cwd: root,
      timeout: 170_000,
      env: { ...process.env, CI: 'true' },
    },
  )
  await query(
    "INSERT INTO users (id, username, password_hash, created_at) VALUES ('u-1', 'Alice', 'x', '2026-01-01T00:00:00Z')",
  )
}, 180_000)

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('the SQL it builds', () => {
  it('quotes every string, doubling single quotes, and refuses control characters', () => {
    expect(sqlString("o'brien")).toBe("'o''brien'")
    expect(sqlString("'); DROP TABLE users; --")).toBe("'''); DROP TABLE users; --'")
    for (const bad of ['a\u0000b', 'a\nb', 'a\u001bb', 5]) {
      expect(() => sqlString(bad as string)).toThrow(UsageError)
    }
  })

  it('takes only known scopes and usernames by the service rule', () => {
    expect(parseScopes('users:read,audit:read,users:read')).toEqual(['users:read', 'audit:read'])
    for (const bad of ['', 'admin', 'users:read,*', 'users:read audit:read']) {
      expect(() => parseScopes(bad)).toThrow(UsageError)
    }
    expect(checkUsername('Ａｌｉｃｅ')).toBe('Alice')
    for (const bad of ["a' OR 1=1 --", 'ab', 'x'.repeat(33), 'a b']) {
      expect(() => checkUsername(bad)).toThrow(UsageError)
    }
    expect(() => statements.revokeKey({ id: "x' OR '1'='1", at: 1 })).toThrow(UsageError)
  })

  it('knows the scopes the worker knows (src/env.ts ADMIN_SCOPES)', () => {
    const env = readFileSync(join(root, 'src/env.ts'), 'utf8')
    const listed = /ADMIN_SCOPES = \[([^\]]*)\]/.exec(env)?.[1] ?? ''
    expect([...listed.matchAll(/'([^']+)'/g)].map((m) => m[1])).toEqual(ADMIN_SCOPES)
  })

  it('digests a secret as the worker does: base64url(SHA-256)', () => {
    // The same vector is in test/auth/api-keys.test.ts, for hashApiKeySecret.
    expect(digest('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')
  })
})

describe('npm run admin, on a local D1', { timeout: 120_000 }, () => {
  it('creates a key, printing it once and storing only its digest, with an audit row', async () => {
    const name = "ci'); DROP TABLE users; --"
    const { code, stdout } = await admin(
      'create-key',
      '--name',
      name,
      '--scopes',
      'users:read,audit:read',
    )
    expect(code).toBe(0)
    const key = stdout.split('\n').find((line) => line.startsWith('eak_'))!
    const [, id, secret] = KEY.exec(key)!
    expect(stdout.split(key).length).toBe(2)
    const [row] = await query(`SELECT * FROM api_keys WHERE id = '${id}'`)
    expect(row).toMatchObject({
      name,
      scopes: 'users:read audit:read',
      secret_hash: createHash('sha256').update(secret!).digest('base64url'),
      created_by: 'system',
      last_used_at: null,
      revoked_at: null,
    })
    expect(JSON.stringify(row)).not.toContain(secret)
    // The name went in as text: the users table is still there.
    expect(await query("SELECT id FROM users WHERE username = 'alice'")).toEqual([{ id: 'u-1' }])
    const [audit] = await query(
      `SELECT actor_type, actor_id, user_id, detail FROM audit_events WHERE type = 'api_key.created' AND detail LIKE '%${id}%'`,
    )
    expect(audit).toEqual({
      actor_type: 'system',
      actor_id: null,
      user_id: null,
      detail: JSON.stringify({ keyId: id, scope: ['users:read', 'audit:read'] }),
    })
    const list = await admin('list-keys')
    expect(list.stdout).toContain(id)
    expect(list.stdout).not.toContain(secret)
  })

  it('refuses unknown scopes and a missing name, writing nothing', async () => {
    const before = await query('SELECT count(*) AS n FROM api_keys')
    expect((await admin('create-key', '--name', 'x', '--scopes', 'users:read,root')).code).toBe(2)
    expect((await admin('create-key', '--scopes', 'users:read')).code).toBe(2)
    expect((await admin('create-key', '--name', 'x\ny', '--scopes', 'users:read')).code).toBe(2)
    expect(await query('SELECT count(*) AS n FROM api_keys')).toEqual(before)
  })

  it('revokes a key once, with an audit row', async () => {
    const created = await admin('create-key', '--name', 'to revoke', '--scopes', 'users:read')
    const id = KEY.exec(created.stdout.split('\n').find((l) => l.startsWith('eak_'))!)![1]!
    expect((await admin('revoke-key', id)).code).toBe(0)
    const [row] = await query<{ revoked_at: number }>(
      `SELECT revoked_at FROM api_keys WHERE id = '${id}'`,
    )
    expect(row!.revoked_at).toBeGreaterThan(0)
    const again = await admin('revoke-key', id)
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('no live key')
    const audits = await query(
      `SELECT actor_type FROM audit_events WHERE type = 'api_key.revoked' AND detail LIKE '%${id}%'`,
    )
    expect(audits).toEqual([{ actor_type: 'system' }])
    expect((await admin('revoke-key', "x' OR '1'='1")).code).toBe(2)
  })

  it('grants and revokes the admin role by username (any case), each change audited once', async () => {
    expect((await admin('grant-admin', 'alice')).stdout).toContain('now an admin')
    expect(await query("SELECT role FROM users WHERE id = 'u-1'")).toEqual([{ role: 'admin' }])
    expect((await admin('grant-admin', 'ALICE')).stdout).toContain('No change')
    expect((await admin('revoke-admin', 'Alice')).stdout).toContain('no longer an admin')
    expect(await query("SELECT role FROM users WHERE id = 'u-1'")).toEqual([{ role: null }])
    expect((await admin('grant-admin', 'nobody_here')).stdout).toContain('No change')
    expect((await admin('grant-admin', "x' OR 1=1 --")).code).toBe(2)
    const audits = await query(
      "SELECT type, user_id, actor_type FROM audit_events WHERE type LIKE 'admin.%' ORDER BY at, type",
    )
    expect(audits).toEqual([
      { type: 'admin.granted', user_id: 'u-1', actor_type: 'system' },
      { type: 'admin.revoked', user_id: 'u-1', actor_type: 'system' },
    ])
  })

  it('refuses unknown commands and options, and --persist-to with --remote', async () => {
    expect((await admin('drop-everything')).code).toBe(2)
    expect((await admin('list-keys', '--force')).code).toBe(2)
    expect((await admin('list-keys', '--remote')).code).toBe(2)
  })
})
