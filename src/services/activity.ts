// A user's own security events, read back from the audit log: GET /users/me/activity and the
// account page's "Recent activity". Only ever the caller's rows (the filter is the caller's id,
// never a parameter), and only what the owner should see of them: no request ids, no id of the
// administrator or key that acted, no device or place of anyone but the account's own visitors.
// Knows nothing of Hono or bindings.
import { fromBase64Url, toBase64Url, utf8 } from '../auth/encoding'
import type { AuthUser } from '../env'
import { ApiError } from '../errors'
import { DEFAULT_LANGUAGE, type Language } from '../i18n/languages'
import type { AuditEvent, AuditStore } from '../store/audit-events'
import {
  ACTIVITY_CURSOR_MAX_LENGTH,
  ACTIVITY_LIMIT_DEFAULT,
  ACTIVITY_LIMIT_MAX,
  type ActivityEvent,
  type ActivityPage,
} from '../schemas'
import { describeDevice, describeLocation } from './device'

export type ActivityDeps = { audit: AuditStore }

/** How many events the account page shows. */
export const RECENT_ACTIVITY_COUNT = 10

/**
 * Who caused an event, as its owner is told: `you` (a request signed in as the account),
 * `admin` (an administrator or a server's API key: never which), `service` (this service on its
 * own, e.g. a scheduled job), `someone` (a request that had not proven it is the account: a failed
 * or throttled sign-in, a refresh token presented after its session moved on; it may be you).
 */
export type ActivityActor = ActivityEvent['actor']
type ActivityDetail = ActivityEvent['detail']

/** The detail a user may see: how they signed in, at which provider, why something was refused. */
const SHOWN_DETAIL: (keyof ActivityDetail)[] = ['method', 'provider', 'reason', 'scope', 'language']

/**
 * Events whose row names the account but whose request had not proven it was the account: the
 * actor is "someone", and the event is one its owner should look at (and maybe act on).
 */
const UNPROVEN = new Set([
  'sign_in.failed',
  'sign_in.throttled',
  'refresh_token.reused',
  'oauth.code_replayed',
])

/** What a user should act on if it was not them: shown apart on the page, flagged in the API. */
export const ATTENTION_TYPES: ReadonlySet<string> = new Set([...UNPROVEN, 'password.check_failed'])

function actorOf(event: AuditEvent, userId: string): ActivityActor {
  switch (event.actor.type) {
    case 'admin':
    case 'api_key':
      return 'admin'
    case 'system':
      return 'service'
    case 'user':
      return event.actor.id === userId && !UNPROVEN.has(event.type) ? 'you' : 'someone'
    default:
      return 'someone'
  }
}

/** Detail text is this service's own codes; a row edited by hand is still held to a bound. */
const DETAIL_TEXT_MAX = 200

function detailOf(detail: AuditEvent['detail']): ActivityDetail {
  const shown: ActivityDetail = {}
  const text = (value: unknown) =>
    typeof value === 'string' && value !== '' && value.length <= DETAIL_TEXT_MAX ? value : undefined
  for (const key of SHOWN_DETAIL) {
    // Sign-ins name their provider `idp`; links and sign-ups name it `provider`.
    const value = text(detail[key]) ?? (key === 'provider' ? text(detail.idp) : undefined)
    if (value !== undefined) shown[key] = value
  }
  return shown
}

// A country code as Cloudflare writes it (T1 is Tor); anything else in the column is not shown.
const COUNTRY = /^[A-Z][A-Z0-9]$/

function view(event: AuditEvent, userId: string, lang: Language): ActivityEvent {
  const actor = actorOf(event, userId)
  // An administrator's or the service's device and place are theirs, not the account's.
  const ours = actor === 'you' || actor === 'someone'
  const country =
    ours && event.country !== null && COUNTRY.test(event.country) ? event.country : null
  return {
    id: event.id,
    type: event.type,
    at: new Date(event.at).toISOString(),
    device: ours && event.userAgent !== null ? describeDevice(event.userAgent, lang) : null,
    country,
    location: describeLocation(null, country, lang),
    actor,
    attention: ATTENTION_TYPES.has(event.type),
    detail: detailOf(event.detail),
  }
}

const invalidCursor = () =>
  new ApiError('invalid_cursor', 'The cursor is not one this list gave; start from the first page')

/** The position after `event`, as an opaque string: base64url of its time and id. */
const encodeCursor = (event: AuditEvent): string =>
  toBase64Url(utf8(JSON.stringify({ at: event.at, id: event.id })))

/** A cursor back to its position, or invalid_cursor: a made-up one only moves within the caller's rows. */
export function decodeCursor(cursor: string): { at: number; id: string } {
  if (cursor.length > ACTIVITY_CURSOR_MAX_LENGTH) throw invalidCursor()
  const bytes = fromBase64Url(cursor)
  if (bytes === null) throw invalidCursor()
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes))
  } catch {
    throw invalidCursor()
  }
  if (typeof value !== 'object' || value === null) throw invalidCursor()
  const { at, id } = value as { at?: unknown; id?: unknown }
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) throw invalidCursor()
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) throw invalidCursor()
  return { at, id }
}

export class ActivityService {
  constructor(private readonly deps: ActivityDeps) {}

  /** The caller's events, newest first, a page at a time. */
  async list(
    caller: Pick<AuthUser, 'id'>,
    page: { limit?: number; cursor?: string } = {},
    lang: Language = DEFAULT_LANGUAGE,
  ): Promise<ActivityPage> {
    const limit = Math.min(Math.max(page.limit ?? ACTIVITY_LIMIT_DEFAULT, 1), ACTIVITY_LIMIT_MAX)
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor)
    // One row more than the page: whether there is a next page, without a count.
    const rows = await this.deps.audit.list({ userId: caller.id, after, limit: limit + 1 })
    const shown = rows.slice(0, limit)
    return {
      events: shown.map((event) => view(event, caller.id, lang)),
      nextCursor: rows.length > limit ? encodeCursor(shown[shown.length - 1]!) : null,
    }
  }

  /** The account page's list: the caller's latest few, in the page's language. */
  async recent(caller: Pick<AuthUser, 'id'>, lang: Language): Promise<ActivityEvent[]> {
    return (await this.list(caller, { limit: RECENT_ACTIVITY_COUNT }, lang)).events
  }
}
