// What a request costs the WEBHOOKS queue: nothing when no enabled endpoint subscribes to its
// events' types (the types are read after the response, cached a minute per isolate), and one
// send of the subscribed ones otherwise. The audit rows are written either way.
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { roundTrips } from '../doubles/round-trips'
import { PASSWORD, callSettling, jsonInit, ORIGIN, registerUser } from '../helpers'
import { recordingQueue, register, webhookEnv } from '../consumers/webhooks-harness'

afterEach(() => vi.restoreAllMocks())

async function signIn(queue: ReturnType<typeof recordingQueue>) {
  const { user, username } = await registerUser()
  const { answered, settled } = callSettling(
    { WEBHOOKS: queue as unknown as Queue },
    '/login',
    jsonInit('POST', { username, password: PASSWORD }),
  )
  expect((await answered).status).toBe(200)
  await settled
  return user
}

const auditTypes = async (userId: string) =>
  (
    await env.DB.prepare('SELECT type FROM audit_events WHERE user_id = ? ORDER BY at')
      .bind(userId)
      .all<{ type: string }>()
  ).results.map((r) => r.type)

describe('webhook events with no subscriber', () => {
  it('a sign-in nobody subscribes to sends nothing to the queue, and is still audited', async () => {
    const q = recordingQueue()
    const user = await signIn(q)
    expect(q.sent).toEqual([])
    expect(await auditTypes(user.id)).toContain('sign_in.succeeded')
  })

  it('an endpoint for another type changes nothing; one for session.created gets the sign-in', async () => {
    const q = recordingQueue()
    await register(webhookEnv(q), 'https://hooks.example.com/other', ['grant.revoked'])
    q.take()
    await signIn(q)
    expect(q.take()).toEqual([])
    // Created in this isolate: its cache is dropped at once (elsewhere, up to a minute late).
    await register(webhookEnv(q), 'https://hooks.example.com/sessions', ['session.created'])
    q.take()
    const user = await signIn(q)
    expect(q.take()).toEqual([
      {
        kind: 'event',
        event: expect.objectContaining({ type: 'session.created', userId: user.id }),
      },
    ])
  })

  it('reads the subscriptions after the response: the sign-in’s rounds are unchanged', async () => {
    const { username } = await registerUser()
    const { response, rounds } = await roundTrips({
      WEBHOOKS: recordingQueue() as unknown as Queue,
    }).send(
      new Request(`${ORIGIN}/login`, {
        ...jsonInit('POST', { username, password: PASSWORD }),
        headers: { 'Content-Type': 'application/json', 'cf-connecting-ip': '2001:db8::99' },
      }),
    )
    expect(response.status).toBe(200)
    expect(rounds.map((round) => round.length)).toEqual([2, 3])
    expect(rounds.flat().some((call) => call.includes('DISTINCT'))).toBe(false)
  })
})
