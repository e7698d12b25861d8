// A user's own security events, read back from the audit log: GET /users/me/activity and the
// account page's "Recent activity". Only ever the caller's rows (the filter is the caller's id,
// never a parameter), and only what the owner should see of them: no request ids, no id of the
// administrator or key that acted, no device or place of anyone but the account's own visitors.
// Knows nothing of Hono or bindings.
import type { AuthUser } from '../env'
import { DEFAULT_LANGUAGE, type Language } from '../i18n/languages'
import type { AuditEvent, AuditStore } from '../store/audit-events'
import {
  PAGE_LIMIT_DEFAULT,
  PAGE_LIMIT_MAX,
  type ActivityEvent,
  type ActivityPage,
} from '../schemas'
import { decodeCursor, pageOf, readTimeAndId } from './cursor'
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
 * What a user should act on if it was not them: shown apart on the page, flagged in the API. The
 * attempts among them were recorded with nobody known as their actor (services/events.ts
 * `unproven`), so they read as "someone".
 */
export const ATTENTION_TYPES: ReadonlySet<string> = new Set([
  'sign_in.failed',
  'sign_in.throttled',
  'refresh_token.reused',
  'oauth.code_replayed',
  'password.check_failed',
])

function actorOf(event: AuditEvent, userId: string): ActivityActor {
  switch (event.actor.type) {
    case 'admin':
    case 'api_key':
      return 'admin'
    case 'system':
      return 'service'
    case 'user':
      return event.actor.id === userId ? 'you' : 'someone'
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

export class ActivityService {
  constructor(private readonly deps: ActivityDeps) {}

  /** The caller's events, newest first, a page at a time. */
  async list(
    caller: Pick<AuthUser, 'id'>,
    page: { limit?: number; cursor?: string } = {},
    lang: Language = DEFAULT_LANGUAGE,
  ): Promise<ActivityPage> {
    const limit = Math.min(Math.max(page.limit ?? PAGE_LIMIT_DEFAULT, 1), PAGE_LIMIT_MAX)
    // A made-up cursor only moves within the caller's rows: the filter is the caller's id.
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, readTimeAndId)
    const rows = await this.deps.audit.list({ userId: caller.id, after, limit: limit + 1 })
    const { items, nextCursor } = pageOf(rows, limit, ({ at, id }) => ({ at, id }))
    return { events: items.map((event) => view(event, caller.id, lang)), nextCursor }
  }

  /** The account page's list: the caller's latest few, in the page's language. */
  async recent(caller: Pick<AuthUser, 'id'>, lang: Language): Promise<ActivityEvent[]> {
    return (await this.list(caller, { limit: RECENT_ACTIVITY_COUNT }, lang)).events
  }
}
