// The one sink for what happens to accounts. Every service reports through it by the name its log
// line has always had; the sink writes that line at once and, for the security events in
// AUDITED, the audit row and the webhook events after the response (never a storage step in the
// request's path, never failing the request). Knows nothing of Hono or bindings.
import { now } from '../clock'
import { log } from '../log'
import { printable } from './device'
import type { Actor, AuditDetail, AuditEvent, AuditStore } from '../store/audit-events'
import type { WebhookEvent, WebhookEventType } from '../store/webhook-queue'

/**
 * Where an audited log event goes: its audit type and, when subscribers may want it, its webhook
 * type. `unproven`: the request had not proven it was the account it names (a wrong password, a
 * replayed token), so its actor is nobody known, never the account's owner.
 */
type Route = { audit: string; webhook?: WebhookEventType; unproven?: true }

/**
 * The security events, by log name. Anything not here is a log line only (a throttle, a code
 * sent, a token refreshed: too frequent or too minor to keep for months).
 */
export const AUDITED: ReadonlyMap<string, Route> = new Map(
  Object.entries({
    user_registered: { audit: 'user.created', webhook: 'user.created' },
    account_deleted: { audit: 'user.deleted', webhook: 'user.deleted' },
    language_changed: { audit: 'user.language_changed', webhook: 'user.updated' },
    email_verified: { audit: 'email.verified', webhook: 'user.updated' },
    login_succeeded: { audit: 'sign_in.succeeded', webhook: 'session.created' },
    login_failed: { audit: 'sign_in.failed', unproven: true },
    login_throttled: { audit: 'sign_in.throttled', unproven: true },
    mfa_token_refused: { audit: 'sign_in.failed', unproven: true },
    passkey_sign_in_refused: { audit: 'sign_in.failed', unproven: true },
    email_code_refused: { audit: 'sign_in.failed', unproven: true },
    federated_sign_in_refused: { audit: 'sign_in.failed', unproven: true },
    logout: { audit: 'sign_out', webhook: 'session.ended' },
    session_ended: { audit: 'session.ended', webhook: 'session.ended' },
    refresh_reuse_detected: {
      audit: 'refresh_token.reused',
      webhook: 'session.ended',
      unproven: true,
    },
    password_changed: { audit: 'password.changed', webhook: 'password.changed' },
    password_reset: { audit: 'password.reset', webhook: 'password.changed' },
    password_check_failed: { audit: 'password.check_failed' },
    totp_enabled: { audit: 'mfa.totp_enabled', webhook: 'mfa.changed' },
    totp_disabled: { audit: 'mfa.totp_disabled', webhook: 'mfa.changed' },
    recovery_code_used: { audit: 'mfa.recovery_code_used' },
    passkey_registered: { audit: 'passkey.added', webhook: 'mfa.changed' },
    passkey_removed: { audit: 'passkey.removed', webhook: 'mfa.changed' },
    identity_linked: { audit: 'identity.linked', webhook: 'identity.linked' },
    identity_unlinked: { audit: 'identity.unlinked', webhook: 'user.updated' },
    grant_created: { audit: 'grant.created', webhook: 'grant.created' },
    grant_removed: { audit: 'grant.revoked', webhook: 'grant.revoked' },
    grant_session_revoked: { audit: 'grant.session_ended', webhook: 'session.ended' },
    authorization_code_replayed: { audit: 'oauth.code_replayed', unproven: true },
    // Admin actions (services/admin): the actor is the key or admin user.
    user_disabled: { audit: 'user.disabled', webhook: 'user.disabled' },
    user_enabled: { audit: 'user.enabled', webhook: 'user.updated' },
    sessions_ended: { audit: 'sessions.ended', webhook: 'session.ended' },
    mfa_reset: { audit: 'mfa.reset', webhook: 'mfa.changed' },
    // Written by scripts/admin.mjs (actor system), never emitted by the worker: listed for the filter.
    api_key_created: { audit: 'api_key.created' },
    api_key_revoked: { audit: 'api_key.revoked' },
    admin_granted: { audit: 'admin.granted' },
    admin_revoked: { audit: 'admin.revoked' },
    // Webhook endpoints (services/webhooks.ts): no webhook of their own, and no user.
    webhook_created: { audit: 'webhook.created' },
    webhook_updated: { audit: 'webhook.updated' },
    webhook_deleted: { audit: 'webhook.deleted' },
    webhook_secret_rotated: { audit: 'webhook.secret_rotated' },
    webhook_redelivered: { audit: 'webhook.redelivered' },
    webhook_tested: { audit: 'webhook.tested' },
  } satisfies Record<string, Route>),
)

/** The audit types, for the admin API's filter and the docs. */
export const AUDIT_TYPES: readonly string[] = [
  ...new Set([...AUDITED.values()].map((r) => r.audit)),
]

/**
 * The fields kept as an event's detail: short codes and names this service chose (a method, a
 * provider id from configuration, a reason) or counts. A username, an address, a client's
 * free text or anything secret is never one of them, so a user cannot write into the log.
 */
const DETAIL_FIELDS = [
  'method',
  'amr',
  'idp',
  'provider',
  'reason',
  'scope',
  'scopes',
  'via',
  'by',
  'auto',
  'first',
  'clientId',
  'grantId',
  'sessionId',
  'credentialId',
  'language',
  'passkeysRemoved',
  'totpDisabled',
  'webhookId',
  'deliveryId',
] as const

/** Longest text kept in a detail value: a client id may be an https URL (a metadata document). */
const DETAIL_TEXT_MAX = 200
/** Visible ASCII without what markup or quoting is made of: codes, ids and URLs only. */
const PRINTABLE = /^[\x21-\x7e]+$/
const MARKUP = /[<>"'`\\]/
const plain = (text: string) => PRINTABLE.test(text) && !MARKUP.test(text)
/** A list (scopes, `amr`) of at most this many items of at most 64 characters. */
const DETAIL_LIST_MAX = 16

function detailValue(value: unknown): string | number | boolean | string[] | undefined {
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
    return value
  }
  if (typeof value === 'string') {
    return value.length <= DETAIL_TEXT_MAX && plain(value) ? value : undefined
  }
  if (Array.isArray(value) && value.length <= DETAIL_LIST_MAX) {
    const items = value.filter(
      (v): v is string => typeof v === 'string' && v.length <= 64 && plain(v),
    )
    return items.length === value.length ? items : undefined
  }
  return undefined
}

export function detailOf(fields: Record<string, unknown>): AuditDetail {
  const detail: AuditDetail = {}
  for (const key of DETAIL_FIELDS) {
    const value = detailValue(fields[key])
    if (value !== undefined) detail[key] = value
  }
  return detail
}

/** The request an event came from, as the audit log keeps it. */
export type EventContext = {
  requestId?: string
  /** Who is calling, when not the user the event is about (an admin, a key, the cron). */
  actor?: Actor
  userAgent?: string | null
  country?: string | null
}

/**
 * The events a request has reported so far. The request's last middleware writes them all at
 * once after the handler has answered (flushEvents): one D1 batch and one queue send per
 * request, none while the request waits on storage.
 */
export type EventBuffer = { audit: AuditEvent[]; webhooks: WebhookEvent[]; flushed: boolean }

export const eventBuffer = (): EventBuffer => ({ audit: [], webhooks: [], flushed: false })

/** Where events are written: the audit store and, for webhooks, the queue. */
export type EventOutlets = {
  audit: AuditStore
  /** Hands webhook events to the queue; absent: no webhooks. */
  publish?: (events: WebhookEvent[]) => Promise<void>
  /**
   * The event types some enabled endpoint subscribes to (cached per isolate, read after the
   * response): events of no such type are not queued. Absent, or failing: all are queued.
   */
  subscribed?: () => Promise<ReadonlySet<string>>
}

export type EventSinkDeps = EventContext & {
  defer: (task: Promise<unknown>) => void
  /** Absent where no binding is at hand: then events are log lines only. */
  outlets?: EventOutlets
  /** The request's buffer; without one (or once flushed) each event is written on its own. */
  buffer?: EventBuffer
  /** Logs a write that failed (flushEvents). */
  failed: (err: EventWriteError) => void
}

export type EventSink = {
  /**
   * Reports an event by its log name. `fields` go to the log line as they are (secret-looking
   * names are redacted there); only DETAIL_FIELDS reach the audit row and webhooks.
   */
  emit(name: string, fields?: Record<string, unknown>, level?: 'info' | 'warn'): void
}

const USER_AGENT_MAX = 256

/** Which write failed: the audit rows, or the webhook events' send. */
export class EventWriteError extends Error {
  constructor(
    readonly outlet: 'audit' | 'webhooks',
    readonly count: number,
    cause: unknown,
  ) {
    super(`writing ${count} ${outlet === 'audit' ? 'audit rows' : 'webhook events'} failed`, {
      cause,
    })
    this.name = 'EventWriteError'
  }
}

/**
 * Writes what the buffer holds (after the response). Both writes are tried whatever the other
 * does; each failure is handed to `failed` (to log), never thrown: no request fails for them.
 */
export async function flushEvents(
  buffer: EventBuffer,
  outlets: EventOutlets,
  failed: (err: EventWriteError) => void,
): Promise<void> {
  buffer.flushed = true
  const { audit, webhooks } = buffer
  const write = async (
    outlet: 'audit' | 'webhooks',
    count: number,
    run: () => Promise<unknown>,
  ) => {
    if (count === 0) return
    try {
      await run()
    } catch (err) {
      failed(new EventWriteError(outlet, count, err))
    }
  }
  await Promise.all([
    write('audit', audit.length, () => outlets.audit.add(audit)),
    write('webhooks', outlets.publish ? webhooks.length : 0, async () => {
      const wanted = await subscribedOnly(webhooks, outlets.subscribed)
      if (wanted.length > 0) await outlets.publish!(wanted)
    }),
  ])
}

/**
 * The events some endpoint may want. Nobody subscribing is the common case (a sign-in's three
 * queue operations saved); if the types cannot be read, every event is queued as before (the
 * consumer finds whom each is for).
 */
async function subscribedOnly(
  events: WebhookEvent[],
  subscribed: EventOutlets['subscribed'],
): Promise<WebhookEvent[]> {
  if (!subscribed) return events
  let types: ReadonlySet<string>
  try {
    types = await subscribed()
  } catch {
    return events
  }
  return events.filter((e) => types.has(e.type))
}

/**
 * Failures and refusals: logged as warnings, so LOG_LEVEL=warn keeps every sign of an attack or a
 * misbehaving client in the logs, the ones no audit row records (a wrong PKCE verifier, a
 * replayed TOTP code, a failed sign-in on a name no account has) among them.
 */
export const WARNING_EVENTS: ReadonlySet<string> = new Set([
  'login_failed',
  'login_throttled',
  'mfa_token_refused',
  'passkey_sign_in_refused',
  'email_code_refused',
  'federated_sign_in_refused',
  'refresh_reuse_detected',
  'password_check_failed',
  'password_check_throttled',
  'password_change_refused',
  'password_reset_refused',
  'totp_code_replayed',
  'totp_checks_throttled',
  'totp_confirm_failed',
  'passkey_registration_refused',
  'passkey_signup_refused',
  'identity_link_refused',
  'logout_refused',
  'authorization_code_refused',
  'authorization_code_replayed',
  'email_verification_throttled',
])

export function eventSink(deps: EventSinkDeps): EventSink {
  return {
    emit(name, fields = {}, level = 'info') {
      log[WARNING_EVENTS.has(name) ? 'warn' : level](name, { requestId: deps.requestId, ...fields })
      const route = AUDITED.get(name)
      const userId = typeof fields.userId === 'string' ? fields.userId : null
      if (!route || !deps.outlets) return
      // An event about nobody by nobody known (a wrong password for a name no account has, a
      // forged provider callback) stays a log line: strangers may not write rows at will.
      if (userId === null && !deps.actor) return
      const event: AuditEvent = {
        id: crypto.randomUUID(),
        at: now(),
        type: route.audit,
        userId,
        actor:
          deps.actor ??
          (userId && !route.unproven
            ? { type: 'user', id: userId }
            : { type: 'anonymous', id: null }),
        requestId: deps.requestId ?? null,
        // The client's own text: no control, format or bidi characters reach the log.
        userAgent: printable(deps.userAgent, USER_AGENT_MAX),
        country: deps.country ?? null,
        detail: detailOf(fields),
      }
      const webhook: WebhookEvent | null =
        route.webhook && userId
          ? {
              id: event.id,
              at: event.at,
              type: route.webhook,
              userId,
              actor: event.actor,
              detail: event.detail,
            }
          : null
      // An event reported after the flush (from work left for after the response) is written on its own.
      const buffer = deps.buffer && !deps.buffer.flushed ? deps.buffer : eventBuffer()
      buffer.audit.push(event)
      if (webhook) buffer.webhooks.push(webhook)
      if (buffer !== deps.buffer) deps.defer(flushEvents(buffer, deps.outlets, deps.failed))
    },
  }
}

/** Log lines only: for code with no audit store at hand (and tests that do not look at the log). */
export const logOnly = (requestId?: string): EventSink =>
  eventSink({ requestId, defer: () => undefined, failed: () => undefined })
