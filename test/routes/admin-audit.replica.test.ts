// Which reads may go to a D1 read replica (the Sessions API): the operators' audit log does,
// through a fresh `first-unconstrained` session per listing; a user's own activity and their
// sessions list read the primary (docs/scaling.md says why).
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { Bindings } from '../../src/env'
import { auditStore } from '../../src/store/audit-events'
import { bearer, callWithEnv, signedIn } from '../helpers'
import { createKey } from './admin-callers'

/** env.DB, recording every withSession call (Miniflare has no replicas: it answers as the primary). */
function sessionsRecorded() {
  const constraints: (string | undefined)[] = []
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'withSession') {
        return (constraint?: string) => {
          constraints.push(constraint)
          return target.withSession(constraint)
        }
      }
      const value: unknown = Reflect.get(target, prop)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { constraints, overrides: { DB: db } as Partial<Bindings> }
}

describe('D1 read replicas', () => {
  it('the admin audit log reads through an unconstrained session, and finds what the primary holds', async () => {
    const reader = await createKey(['audit:read'])
    const userId = crypto.randomUUID()
    const id = crypto.randomUUID()
    await auditStore(env.DB).add([
      {
        id,
        at: Date.now(),
        type: 'sign_in.succeeded',
        userId,
        actor: { type: 'user', id: userId },
        requestId: null,
        userAgent: null,
        country: null,
        detail: {},
      },
    ])
    const { constraints, overrides } = sessionsRecorded()
    const res = await callWithEnv(overrides, `/admin/audit?userId=${userId}`, bearer(reader.key))
    expect(res.status).toBe(200)
    const body = (await res.json()) as { events: { id: string }[] }
    expect(body.events.map((e) => e.id)).toEqual([id])
    expect(constraints).toEqual(['first-unconstrained'])
  })

  it('a user’s own activity and sessions list read the primary', async () => {
    const { tokens } = await signedIn()
    const { constraints, overrides } = sessionsRecorded()
    for (const path of ['/users/me/activity', '/sessions']) {
      const res = await callWithEnv(overrides, path, bearer(tokens.accessToken))
      expect(res.status, path).toBe(200)
    }
    expect(constraints).toEqual([])
  })
})
