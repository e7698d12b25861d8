// The audit log through the worker: security events land in D1 after the response, with the
// coarse client and nothing secret; other events do not.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { auditStore } from '../../src/store/audit-events'
import { PASSWORD, callSettling, jsonInit, registerUser, uniqueUsername } from '../helpers'

const audit = () => auditStore(env.DB)

async function settled(path: string, init: RequestInit) {
  const { answered, settled } = callSettling({}, path, init)
  const res = await answered
  await settled
  return res
}

describe('the audit log', () => {
  it('records a sign-in with its method, device and country, after the response', async () => {
    const username = uniqueUsername()
    const {
      user: { id },
    } = await registerUser(username)
    const init = jsonInit(
      'POST',
      { username, password: PASSWORD },
      {
        'User-Agent':
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15',
      },
    )
    const res = await settled('/login', init)
    expect(res.status).toBe(200)
    const events = await audit().list({ userId: id, limit: 10 })
    expect(events.map((e) => e.type)).toEqual(['sign_in.succeeded', 'user.created'])
    expect(events[0]).toMatchObject({
      actor: { type: 'user', id },
      userAgent: expect.stringContaining('Safari'),
      detail: expect.objectContaining({ amr: ['pwd'] }),
    })
    expect(events[0]!.requestId).toMatch(/\S/)
  })

  it('records a failed sign-in of a known account, and nothing of the password tried', async () => {
    const username = uniqueUsername()
    const {
      user: { id },
    } = await registerUser(username)
    const res = await settled(
      '/login',
      jsonInit('POST', { username, password: 'not-the-password' }),
    )
    expect(res.status).toBe(401)
    const events = await audit().list({ userId: id, type: 'sign_in.failed', limit: 10 })
    expect(events).toHaveLength(1)
    const { results } = await env.DB.prepare('SELECT * FROM audit_events WHERE user_id = ?')
      .bind(id)
      .all()
    expect(JSON.stringify(results)).not.toMatch(/not-the-password|correct horse/)
  })

  it('writes no row for a token refresh (a log line only)', async () => {
    const username = uniqueUsername()
    const {
      user: { id },
    } = await registerUser(username)
    const login = await settled('/login', jsonInit('POST', { username, password: PASSWORD }))
    const { refreshToken } = (await login.json()) as { refreshToken: string }
    const before = await audit().list({ userId: id, limit: 50 })
    const res = await settled('/token', jsonInit('POST', { token: refreshToken }))
    expect(res.status).toBe(200)
    expect(await audit().list({ userId: id, limit: 50 })).toEqual(before)
  })

  it('pages newest first with a cursor, rows at the same millisecond ordered by id', async () => {
    const userId = crypto.randomUUID()
    const at = Date.now()
    const rows = Array.from({ length: 5 }, (_, i) => ({
      id: `0000000${i}-0000-4000-8000-000000000000`,
      at: i < 3 ? at : at - i,
      type: 'sign_out',
      userId,
      actor: { type: 'user' as const, id: userId },
      requestId: null,
      userAgent: null,
      country: null,
      detail: {},
    }))
    await audit().add(rows)
    const first = await audit().list({ userId, limit: 2 })
    const last = first.at(-1)!
    const second = await audit().list({ userId, limit: 2, after: { at: last.at, id: last.id } })
    const third = await audit().list({
      userId,
      limit: 2,
      after: { at: second.at(-1)!.at, id: second.at(-1)!.id },
    })
    const seen = [...first, ...second, ...third].map((e) => e.id)
    expect(new Set(seen).size).toBe(5)
    expect(seen.slice(0, 3)).toEqual([rows[2]!.id, rows[1]!.id, rows[0]!.id])
  })
})
