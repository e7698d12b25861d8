// ActivityService on its own, over a recording audit store: the filter is always the caller's id,
// pages end with a cursor that reads back to their last row, made-up cursors are refused, and
// each row is told as its owner may see it (who acted, which detail, which device and place).
import { describe, expect, it } from 'vitest'
import { ActivityService } from '../../src/services/activity'
import { decodeCursor, readTimeAndId } from '../../src/services/cursor'
import type { AuditEvent, AuditFilter, AuditStore } from '../../src/store/audit-events'

const ME = 'user-me'

/** A store that records each filter and answers `rows` (as many as the limit asks). */
function recordingStore(rows: AuditEvent[]) {
  const filters: AuditFilter[] = []
  const store = {
    list: async (filter: AuditFilter) => {
      filters.push(filter)
      return rows.slice(0, filter.limit)
    },
    add: async () => undefined,
    purgeBefore: async () => 0,
  } as unknown as AuditStore
  return { store, filters }
}

const event = (over: Partial<AuditEvent> = {}): AuditEvent => ({
  id: crypto.randomUUID(),
  at: 1_800_000_000_000,
  type: 'sign_in.succeeded',
  userId: ME,
  actor: { type: 'user', id: ME },
  requestId: 'req-1',
  userAgent: 'curl/8.5.0',
  country: 'PT',
  detail: {},
  ...over,
})

describe('ActivityService.list', () => {
  it('asks for the caller’s rows only, one more than the page, the limit held to 1..100', async () => {
    const { store, filters } = recordingStore([])
    const service = new ActivityService({ audit: store })
    await service.list({ id: ME })
    await service.list({ id: ME }, { limit: 1000 })
    await service.list({ id: ME }, { limit: 0 })
    expect(filters.map((f) => f.limit)).toEqual([51, 101, 2])
    expect(filters.every((f) => f.userId === ME && Object.keys(f).length <= 3)).toBe(true)
    expect(filters.every((f) => f.type === undefined && f.actorId === undefined)).toBe(true)
  })

  it('ends a full page with a cursor that reads back to its last row, and the last with null', async () => {
    const rows = [event({ at: 3 }), event({ at: 2 }), event({ at: 1 })]
    const { store, filters } = recordingStore(rows)
    const service = new ActivityService({ audit: store })
    const first = await service.list({ id: ME }, { limit: 2 })
    expect(first.events.map((e) => e.id)).toEqual([rows[0]!.id, rows[1]!.id])
    expect(decodeCursor(first.nextCursor!, readTimeAndId)).toEqual({ at: 2, id: rows[1]!.id })
    await service.list({ id: ME }, { limit: 2, cursor: first.nextCursor! })
    expect(filters[1]!.after).toEqual({ at: 2, id: rows[1]!.id })
    expect((await service.list({ id: ME }, { limit: 3 })).nextCursor).toBeNull()
  })

  it('tells who acted: you, someone (an unproven attempt), an administrator, the service', async () => {
    const rows = [
      event({ type: 'password.changed' }),
      // Attempts are recorded with nobody known as their actor (services/events.ts).
      event({
        type: 'sign_in.failed',
        detail: { reason: 'bad_password' },
        actor: { type: 'anonymous', id: null },
      }),
      event({ type: 'refresh_token.reused', actor: { type: 'anonymous', id: null } }),
      event({ type: 'user.disabled', actor: { type: 'api_key', id: 'key-1' } }),
      event({ type: 'mfa.reset', actor: { type: 'admin', id: 'admin-1' } }),
      event({ type: 'session.ended', actor: { type: 'system', id: null } }),
      event({ type: 'sign_out', actor: { type: 'anonymous', id: null } }),
      // A row naming the account, caused by another user's request: not "you".
      event({ type: 'grant.revoked', actor: { type: 'user', id: 'someone-else' } }),
    ]
    const { store } = recordingStore(rows)
    const { events } = await new ActivityService({ audit: store }).list({ id: ME })
    expect(events.map((e) => [e.type, e.actor, e.attention])).toEqual([
      ['password.changed', 'you', false],
      ['sign_in.failed', 'someone', true],
      ['refresh_token.reused', 'someone', true],
      ['user.disabled', 'admin', false],
      ['mfa.reset', 'admin', false],
      ['session.ended', 'service', false],
      ['sign_out', 'someone', false],
      ['grant.revoked', 'someone', false],
    ])
    // An administrator's or the service's device and place are not the account's.
    expect(events.slice(3, 6).map((e) => [e.device, e.country, e.location])).toEqual([
      [null, null, null],
      [null, null, null],
      [null, null, null],
    ])
    expect(JSON.stringify(events)).not.toMatch(/key-1|admin-1|req-1|someone-else/)
  })

  it('keeps only the detail a user may see, as short text; a provider by idp or provider', async () => {
    const rows = [
      event({
        detail: { method: 'fed', idp: 'google', amr: ['fed'], sessionId: 's', clientId: 'c' },
      }),
      event({ type: 'identity.linked', detail: { provider: 'github', auto: true } }),
      event({ detail: { reason: 'x'.repeat(201), method: 7, scope: ['a'] } as never }),
    ]
    const { store } = recordingStore(rows)
    const { events } = await new ActivityService({ audit: store }).list({ id: ME })
    expect(events.map((e) => e.detail)).toEqual([
      { method: 'fed', provider: 'google' },
      { provider: 'github' },
      {},
    ])
  })

  it('names device and country in the language asked; a country it cannot read is none', async () => {
    const rows = [
      event({ userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36' }),
      event({ country: 'T1', userAgent: null }),
      event({ country: '<b>' }),
      event({ country: 'pt' }),
    ]
    const { store } = recordingStore(rows)
    const { events } = await new ActivityService({ audit: store }).list({ id: ME }, {}, 'fr')
    expect(events.map((e) => [e.device, e.country, e.location])).toEqual([
      ['Chrome sur Windows', 'PT', 'Portugal'],
      [null, 'T1', 'Réseau Tor'],
      ['curl', null, null],
      ['curl', null, null],
    ])
    expect(events[0]!.at).toBe(new Date(1_800_000_000_000).toISOString())
  })
})
