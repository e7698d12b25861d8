// The event sink: one log line per event at once; for security events an audit row and, when
// subscribers may want it, a webhook event, both after the response and with only bounded,
// non-secret detail.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  AUDITED,
  AUDIT_TYPES,
  detailOf,
  eventBuffer,
  eventSink,
  flushEvents,
  type EventWriteError,
} from '../../src/services/events'
import type { AuditEvent } from '../../src/store/audit-events'
import { WEBHOOK_EVENT_TYPES, type WebhookEvent } from '../../src/store/webhook-queue'
import { captureLogs } from '../helpers'

function sinkWithCapture(
  context: Parameters<typeof eventSink>[0] extends infer D ? Partial<D> : never = {},
) {
  const rows: AuditEvent[] = []
  const published: WebhookEvent[] = []
  const deferred: Promise<unknown>[] = []
  const sink = eventSink({
    requestId: 'req-1',
    defer: (task) => void deferred.push(task),
    failed: (err) => {
      throw err
    },
    outlets: {
      audit: { add: async (events: readonly AuditEvent[]) => void rows.push(...events) } as never,
      publish: async (events: WebhookEvent[]) => void published.push(...events),
    },
    ...context,
  })
  return { sink, rows, published, settle: () => Promise.all(deferred.splice(0)), deferred }
}

afterEach(() => vi.restoreAllMocks())

describe('the event sink', () => {
  it('writes the log line at once and the audit row only after the response', async () => {
    const logs = captureLogs()
    const { sink, rows, published, settle, deferred } = sinkWithCapture({
      userAgent: 'curl/8.0',
      country: 'PT',
    })
    sink.emit('login_succeeded', {
      userId: 'u1',
      sessionId: 's1',
      method: 'password',
      amr: ['pwd'],
    })
    expect(logs.map((l) => JSON.parse(l).event)).toEqual(['login_succeeded'])
    // Handed to waitUntil, never awaited by the request.
    expect(deferred).toHaveLength(1)
    await settle()
    expect(rows).toEqual([
      expect.objectContaining({
        type: 'sign_in.succeeded',
        userId: 'u1',
        actor: { type: 'user', id: 'u1' },
        requestId: 'req-1',
        userAgent: 'curl/8.0',
        country: 'PT',
        detail: { method: 'password', amr: ['pwd'], sessionId: 's1' },
      }),
    ])
    expect(published).toEqual([
      expect.objectContaining({ id: rows[0]!.id, type: 'session.created', userId: 'u1' }),
    ])
  })

  it("holds a request's events in its buffer, then writes them in one batch and one send", async () => {
    captureLogs()
    const buffer = eventBuffer()
    const { sink, rows, published, deferred } = sinkWithCapture({ buffer })
    sink.emit('user_registered', { userId: 'u1' })
    sink.emit('login_succeeded', { userId: 'u1', sessionId: 's1' })
    sink.emit('login_failed', { userId: 'u2', reason: 'bad_password' })
    expect(deferred).toEqual([])
    expect(rows).toEqual([])
    const batches: AuditEvent[][] = []
    const sends: WebhookEvent[][] = []
    await flushEvents(
      buffer,
      {
        audit: {
          add: async (events: readonly AuditEvent[]) => void batches.push([...events]),
        } as never,
        publish: async (events) => void sends.push(events),
      },
      (err) => {
        throw err
      },
    )
    expect(batches.map((b) => b.map((e) => e.type))).toEqual([
      ['user.created', 'sign_in.succeeded', 'sign_in.failed'],
    ])
    expect(sends.map((b) => b.map((e) => e.type))).toEqual([['user.created', 'session.created']])
    // Reported after the flush (work left for after the response): written on its own.
    sink.emit('logout', { userId: 'u1' })
    expect(deferred).toHaveLength(1)
    await Promise.all(deferred)
    expect(rows.map((e) => e.type)).toEqual(['sign_out'])
    expect(published.map((e) => e.type)).toEqual(['session.ended'])
  })

  it('a failing write is reported by outlet and never thrown; the other write still happens', async () => {
    const buffer = eventBuffer()
    const { sink } = sinkWithCapture({ buffer })
    captureLogs()
    sink.emit('password_changed', { userId: 'u1' })
    sink.emit('logout', { userId: 'u1' })
    const sends: WebhookEvent[][] = []
    const failures: EventWriteError[] = []
    await flushEvents(
      buffer,
      {
        audit: { add: () => Promise.reject(new Error('D1 down')) } as never,
        publish: async (events) => void sends.push(events),
      },
      (err) => void failures.push(err),
    )
    expect(sends).toHaveLength(1)
    expect(failures.map((f) => [f.outlet, f.count])).toEqual([['audit', 2]])
  })

  describe('queues only the webhook events some endpoint subscribes to', () => {
    /** A buffer holding a sign-in (session.created) and a password change (password.changed). */
    function signInAndChange() {
      const buffer = eventBuffer()
      const { sink } = sinkWithCapture({ buffer })
      captureLogs()
      sink.emit('login_succeeded', { userId: 'u1', sessionId: 's1' })
      sink.emit('password_changed', { userId: 'u1' })
      return buffer
    }

    async function flushWith(subscribed: () => Promise<ReadonlySet<string>>) {
      const buffer = signInAndChange()
      const rows: AuditEvent[] = []
      const sends: WebhookEvent[][] = []
      const failures: EventWriteError[] = []
      await flushEvents(
        buffer,
        {
          audit: {
            add: async (events: readonly AuditEvent[]) => void rows.push(...events),
          } as never,
          publish: async (events) => void sends.push(events),
          subscribed,
        },
        (err) => void failures.push(err),
      )
      return { rows, sends, failures }
    }

    it('sends nothing to the queue when nobody subscribes, and still writes the audit rows', async () => {
      const { rows, sends, failures } = await flushWith(async () => new Set())
      expect(sends).toEqual([])
      expect(rows.map((e) => e.type)).toEqual(['sign_in.succeeded', 'password.changed'])
      expect(failures).toEqual([])
    })

    it('sends the subscribed types only', async () => {
      const { sends } = await flushWith(async () => new Set(['password.changed', 'user.deleted']))
      expect(sends.map((b) => b.map((e) => e.type))).toEqual([['password.changed']])
    })

    it('sends every event when the subscriptions cannot be read (fails toward delivering)', async () => {
      const { sends, failures } = await flushWith(() => Promise.reject(new Error('D1 down')))
      expect(sends.map((b) => b.map((e) => e.type))).toEqual([
        ['session.created', 'password.changed'],
      ])
      expect(failures).toEqual([])
    })
  })

  it('keeps events that are not security events as log lines only', async () => {
    captureLogs()
    const { sink, rows, published, deferred } = sinkWithCapture()
    sink.emit('token_refreshed', { userId: 'u1', sessionId: 's1' })
    sink.emit('email_code_requested', { found: false })
    expect(deferred).toEqual([])
    expect(rows).toEqual([])
    expect(published).toEqual([])
  })

  it('names an admin or key as the actor when one acts, and nobody for an unknown account', async () => {
    captureLogs()
    const admin = sinkWithCapture({ actor: { type: 'api_key', id: 'key1' } })
    admin.sink.emit('user_disabled', { userId: 'u2' })
    await admin.settle()
    expect(admin.rows[0]).toMatchObject({
      type: 'user.disabled',
      actor: { type: 'api_key', id: 'key1' },
    })
    expect(admin.published[0]).toMatchObject({ type: 'user.disabled', userId: 'u2' })

    // About nobody, by nobody known: a log line only, so strangers cannot fill the table.
    const stranger = sinkWithCapture()
    stranger.sink.emit('federated_sign_in_refused', { provider: 'acme', reason: 'state' })
    stranger.sink.emit('login_failed', { reason: 'unknown_user' })
    expect(stranger.deferred).toEqual([])
    expect(stranger.rows).toEqual([])

    // An attempt on an account that did not prove it was the account: nobody known acted.
    const attempt = sinkWithCapture()
    attempt.sink.emit('login_failed', { userId: 'u3', reason: 'bad_password' })
    attempt.sink.emit('refresh_reuse_detected', { userId: 'u3', sessionId: 's3' })
    attempt.sink.emit('password_check_failed', { userId: 'u3' })
    await attempt.settle()
    expect(attempt.rows.map((r) => [r.type, r.actor])).toEqual([
      ['sign_in.failed', { type: 'anonymous', id: null }],
      ['refresh_token.reused', { type: 'anonymous', id: null }],
      // Asked of a signed-in session: the account's owner (or whoever holds its session).
      ['password.check_failed', { type: 'user', id: 'u3' }],
    ])
  })

  it('keeps only the known short fields as detail: no username, address, secret or markup', () => {
    expect(
      detailOf({
        userId: 'u1',
        username: 'alice',
        email: 'a@example.com',
        password: 'hunter2',
        refreshToken: 'x'.repeat(43),
        method: 'password',
        reason: '<b>x</b>',
        via: '"quoted"',
        provider: 'acme\nforged line',
        clientId: 'https://app.example/' + 'a'.repeat(300),
        amr: ['pwd', 'otp'],
        auto: true,
        passkeysRemoved: 2,
      }),
    ).toEqual({ method: 'password', amr: ['pwd', 'otp'], auto: true, passkeysRemoved: 2 })
  })

  it('a user-agent is cut to 256 characters, with no control, format or bidi character', async () => {
    captureLogs()
    const long = sinkWithCapture({ userAgent: 'A'.repeat(5000) })
    long.sink.emit('logout', { userId: 'u1' })
    await long.settle()
    expect(long.rows[0]!.userAgent).toHaveLength(256)
    const forged = sinkWithCapture({ userAgent: 'curl/8\r\n{"type":"user.deleted"}\u202e\u0000' })
    forged.sink.emit('logout', { userId: 'u1' })
    await forged.settle()
    expect(forged.rows[0]!.userAgent).toBe('curl/8 {"type":"user.deleted"}')
  })

  it('maps every webhook type some event publishes, and only types subscribers may ask for', () => {
    const published = new Set([...AUDITED.values()].flatMap((r) => (r.webhook ? [r.webhook] : [])))
    expect([...published].sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort())
    expect(AUDIT_TYPES.every((t) => /^[a-z_]+(\.[a-z_]+)+$|^sign_out$/.test(t))).toBe(true)
  })
})
