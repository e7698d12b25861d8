// The hourly Cron Trigger through the worker's own `scheduled` handler, on real D1: it purges
// what is past its use and keeps everything else.
import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import worker from '../../src/index'
import type { Bindings } from '../../src/env'
import { PURGE_BATCH, purgeExpired } from '../../src/consumers/scheduled'
import { LONGEST_EMAIL_WINDOW_MS } from '../../src/store/email-quota'
import {
  EMAIL_CODE_TRIES_PER_DAY,
  EMAIL_CODES_PER_HOUR,
  EMAIL_CODE_INTERVAL,
} from '../../src/services/email-codes'
import {
  VERIFICATION_EMAILS_PER_ADDRESS,
  VERIFICATION_EMAILS_PER_REQUESTER,
} from '../../src/services/email'
import { RESET_EMAIL_INTERVAL } from '../../src/services/recovery'
import { captureLogs, registerUser } from '../helpers'

const DAY = 24 * 60 * 60 * 1000
const count = async (table: string) =>
  (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>())!.n

async function seed(now: number): Promise<string> {
  const t = crypto.randomUUID().slice(0, 8)
  const {
    user: { id: userId },
  } = await registerUser()
  const audit = (id: string, at: number) =>
    env.DB.prepare(
      "INSERT INTO audit_events (id, at, type, user_id, actor_type) VALUES (?, ?, 'sign_out', ?, 'user')",
    ).bind(id, at, userId)
  const session = (id: string, expiresAt: number, endsAt: number) =>
    env.DB.prepare(
      'INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, ends_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).bind(id, userId, now - 40 * DAY, now - 40 * DAY, expiresAt, endsAt)
  const token = (id: string, expiresAt: number) =>
    env.DB.prepare(
      "INSERT INTO email_tokens (id, user_id, purpose, email, created_at, expires_at) VALUES (?, ?, 'verify_email', 'a@example.com', ?, ?)",
    ).bind(id, userId, expiresAt - 1000, expiresAt)
  const quota = (address: string, windowStart: number) =>
    env.DB.prepare('INSERT INTO email_quota (address, window_start, sent) VALUES (?, ?, 3)').bind(
      address,
      windowStart,
    )
  const code = (address: string, expiresAt: number) =>
    env.DB.prepare(
      'INSERT INTO email_codes (address, user_id, code_hash, created_at, expires_at, attempts) VALUES (?, ?, ?, ?, ?, 0)',
    ).bind(address, userId, 'h', expiresAt - 1000, expiresAt)
  const client = (id: string, lastUsedAt: number) =>
    env.DB.prepare(
      "INSERT INTO oauth_clients (id, auth_method, redirect_uris, created_at, last_used_at) VALUES (?, 'none', '[]', ?, ?)",
    ).bind(id, lastUsedAt, lastUsedAt)
  const delivery = (id: string, status: string, createdAt: number) =>
    env.DB.prepare(
      "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, status, created_at) VALUES (?, ?, ?, 'user.created', '{}', ?, ?)",
    ).bind(id, `${t}-endpoint`, id, status, createdAt)
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO webhook_endpoints (id, url, event_types, secret, created_at, updated_at) VALUES (?, 'https://hooks.example.com/x', '[\"user.created\"]', 'sealed', ?, ?)",
    ).bind(`${t}-endpoint`, now - 100 * DAY, now - 100 * DAY),
    delivery(`${t}-old-settled`, 'succeeded', now - 91 * DAY),
    delivery(`${t}-old-pending`, 'pending', now - 91 * DAY),
    delivery(`${t}-recent`, 'dead', now - 89 * DAY),
    client(`${t}-gone`, now - 31 * DAY),
    client(`${t}-granted`, now - 31 * DAY),
    client(`${t}-recent`, now - 29 * DAY),
    env.DB.prepare(
      "INSERT INTO oauth_grants (id, user_id, client_id, resource, scope, created_at, last_used_at) VALUES (?, ?, ?, 'https://r.example', 'a', ?, ?)",
    ).bind(`${t}-grant`, userId, `${t}-granted`, now - 31 * DAY, now - 31 * DAY),
    audit(`${t}-old`, now - 91 * DAY),
    audit(`${t}-kept`, now - 89 * DAY),
    session(`${t}-ended`, now + DAY, now - 1),
    session(`${t}-idle`, now - 2 * DAY, now + DAY),
    session(`${t}-lagging`, now - 60 * 60 * 1000, now + DAY), // within the margin: a refresh may still need it
    session(`${t}-live`, now + DAY, now + 10 * DAY),
    token(`${t}-spent`, now - 1),
    token(`${t}-fresh`, now + 60_000),
    quota(`${t}-verify:old@example.com`, now - LONGEST_EMAIL_WINDOW_MS - 1),
    quota(`${t}-verify:new@example.com`, now - 1000),
    code(`${t}-old@example.com`, now - 1),
    code(`${t}-new@example.com`, now + 60_000),
  ])
  return t
}

afterEach(() => vi.restoreAllMocks())

describe('the hourly cleanup', () => {
  it('runs from the Cron Trigger and purges only what is past its use', async () => {
    const logs = captureLogs()
    const now = Date.now()
    const t = await seed(now)
    const ctx = createExecutionContext()
    await worker.scheduled!(
      createScheduledController({ scheduledTime: now, cron: '17 * * * *' }),
      env,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    // This test's rows, without their prefix (other tests' rows share the file's D1).
    const ids = async (table: string) => {
      const key = table === 'email_quota' || table === 'email_codes' ? 'address' : 'id'
      const { results } = await env.DB.prepare(
        `SELECT ${key} AS k FROM ${table} WHERE ${key} LIKE ? ORDER BY 1`,
      )
        .bind(`${t}-%`)
        .all<{ k: string }>()
      return results.map((r) => r.k.slice(t.length + 1))
    }
    expect(await ids('audit_events')).toEqual(['kept'])
    expect((await ids('sessions')).sort()).toEqual(['lagging', 'live'])
    expect(await ids('email_tokens')).toEqual(['fresh'])
    expect(await ids('email_quota')).toEqual(['verify:new@example.com'])
    expect(await ids('email_codes')).toEqual(['new@example.com'])
    expect(await ids('oauth_clients')).toEqual(['granted', 'recent'])
    expect(await ids('webhook_deliveries')).toEqual(['old-pending', 'recent'])
    const line = logs.map((l) => JSON.parse(l)).find((l) => l.event === 'purged')
    expect(line).toMatchObject({
      auditEvents: expect.any(Number),
      sessions: expect.any(Number),
      emailLinks: expect.any(Number),
      emailQuota: expect.any(Number),
      emailCodes: expect.any(Number),
      oauthClients: expect.any(Number),
      webhookDeliveries: expect.any(Number),
    })
  })

  it('follows AUDIT_RETENTION_DAYS', async () => {
    captureLogs()
    const now = Date.now()
    const t = await seed(now)
    await purgeExpired({ ...env, AUDIT_RETENTION_DAYS: '30' } as Bindings, now)
    expect(await count(`audit_events WHERE id LIKE '${t}-%'`)).toBe(0)
  })

  it('fails closed on an unusable AUDIT_RETENTION_DAYS: nothing is purged', async () => {
    captureLogs()
    const now = Date.now()
    const t = await seed(now)
    await expect(
      purgeExpired({ ...env, AUDIT_RETENTION_DAYS: '0' } as Bindings, now),
    ).rejects.toThrow(/AUDIT_RETENTION_DAYS/)
    expect(await count(`audit_events WHERE id LIKE '${t}-%'`)).toBe(2)
  })

  it('one purge failing leaves the others to run, logs it, and fails the run for the next hour', async () => {
    const logs = captureLogs()
    const now = Date.now()
    const t = await seed(now)
    const db = env.DB
    const failing = new Proxy(db, {
      get(target, name) {
        if (name === 'prepare') {
          return (sql: string) => {
            if (sql.includes('DELETE FROM audit_events')) throw new Error('D1 is overloaded')
            return target.prepare(sql)
          }
        }
        const value = Reflect.get(target, name) as unknown
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value
      },
    })
    await expect(purgeExpired({ ...env, DB: failing } as Bindings, now)).rejects.toThrow(
      /purge failed/,
    )
    expect(await count(`audit_events WHERE id LIKE '${t}-%'`)).toBe(2)
    expect(await count(`email_tokens WHERE id = '${t}-spent'`)).toBe(0)
    const lines = logs.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines).toContainEqual(
      expect.objectContaining({ event: 'purge_failed', table: 'auditEvents' }),
    )
  })

  it('purges in bounded batches', async () => {
    captureLogs()
    const now = Date.now()
    const rows = Array.from({ length: PURGE_BATCH + 7 }, (_, i) =>
      env.DB.prepare(
        "INSERT INTO audit_events (id, at, type, actor_type) VALUES (?, ?, 'sign_out', 'system')",
      ).bind(`old-${i}`, now - 100 * DAY),
    )
    await env.DB.batch(rows)
    const report = await purgeExpired(env, now)
    expect(report.auditEvents).toBeGreaterThanOrEqual(PURGE_BATCH + 7)
    const left = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM audit_events WHERE id LIKE 'old-%'",
    ).first<{ n: number }>()
    expect(left!.n).toBe(0)
  })

  it('a quota row older than the longest window is one no rule still counts', () => {
    for (const rule of [
      EMAIL_CODE_TRIES_PER_DAY,
      EMAIL_CODES_PER_HOUR,
      EMAIL_CODE_INTERVAL,
      VERIFICATION_EMAILS_PER_ADDRESS,
      VERIFICATION_EMAILS_PER_REQUESTER,
      RESET_EMAIL_INTERVAL,
    ]) {
      expect(rule.windowMs).toBeLessThanOrEqual(LONGEST_EMAIL_WINDOW_MS)
    }
  })
})
