// Session rules at the service level, on KV doubles that fix an interleaving (PausingKV) or serve
// stale reads (LaggingKV): the races and replica lag that route tests can only hit by luck.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AuthService } from '../../src/services/auth'
import type { TokenPair } from '../../src/schemas'
import { kvKeys } from '../../src/store/keys'
import type { LiveSession, SessionRecord } from '../../src/store/sessions'
import { freezeTime } from '../helpers'
import { LaggingKV, MemoryKV, PausingKV } from '../doubles/kv'
import { pausable } from '../doubles/pausable'
import { memoryD1 } from '../doubles/d1'
import {
  NO_CLIENT,
  codeOf,
  memoryServices,
  serviceConfig,
  servicesOn,
  sessionIdOf,
} from '../doubles/services'
import { PASSWORD } from '../helpers'

const DAY = 24 * 3600 * 1000

const sidOf = (pair: TokenPair) => sessionIdOf(pair.accessToken)

/** The refresh's error code, or 'ok'. */
const outcome = (auth: AuthService, token: string) => codeOf(auth.refresh(token))

describe('an ended session never comes back (a refresh paused between its reads and its write)', () => {
  afterEach(() => vi.useRealTimers())

  type Services = ReturnType<typeof servicesOn<PausingKV>>
  const enders = {
    'DELETE /logout': (s: Services, t: TokenPair) => s.auth.logout(t.refreshToken),
    'DELETE /sessions/{id}': (s: Services, t: TokenPair, userId: string) =>
      // From another of the user's devices.
      s.account.endSession(
        { id: userId, username: 'x', sessionId: 'another', amr: ['pwd'] },
        sidOf(t),
      ),
    'POST /oauth/revoke (access token)': (s: Services, t: TokenPair) =>
      s.auth.revoke(t.accessToken),
  }

  it.each(Object.keys(enders) as (keyof typeof enders)[])(
    '%s lands while a refresh of the same token is between its reads and its write',
    async (name) => {
      const s = servicesOn(new PausingKV())
      const clock = freezeTime()
      const { tokens: first, user } = await s.signedIn()
      const sid = sidOf(first)
      // Well into the session, where a design that extends the session record would write it.
      clock.advance(13 * DAY)
      const tokens = await s.auth.refresh(first.refreshToken)
      clock.advance(2 * DAY)
      // A fresh access token of the session, from a repeat of the first token (which writes nothing).
      const current = {
        ...tokens,
        accessToken: (await s.auth.refresh(first.refreshToken)).accessToken,
      }
      const paused = s.kv.pauseBefore('put', 'refresh:')
      const refreshing = s.auth.refresh(tokens.refreshToken)
      await paused.reached // the refresh has read a live session and is about to write
      await enders[name](s, current, user.id)
      const tombstone = s.kv.peek<SessionRecord>(kvKeys.session(sid))
      paused.release()
      const successor = await refreshing // it read before the end, so it may answer

      // ...but nothing it wrote brought the session back.
      expect(s.kv.peek(kvKeys.session(sid))).toEqual(tombstone)
      expect(tombstone).toMatchObject({ endedAt: expect.any(Number), reason: 'logout' })
      expect(await outcome(s.auth, successor.refreshToken)).toBe('invalid_refresh_token')
      expect(await outcome(s.auth, tokens.refreshToken)).toBe('invalid_refresh_token')
      expect(await s.d1.index.has(user.id, sid)).toBe(false)
      await s.settle()
      expect(s.d1.rows.has(sid)).toBe(false) // a late last-used update did not re-list it
    },
  )

  it('reuse detection lands while the legitimate holder is mid-refresh', async () => {
    const clock = freezeTime()
    const s = servicesOn(new PausingKV())
    const { tokens } = await s.signedIn()
    const t1 = await s.auth.refresh(tokens.refreshToken)
    const t2 = await s.auth.refresh(t1.refreshToken)
    clock.advance(11_000)
    const paused = s.kv.pauseBefore('put', 'refresh:')
    const legitimate = s.auth.refresh(t2.refreshToken)
    await paused.reached
    expect(await outcome(s.auth, tokens.refreshToken)).toBe('refresh_token_reused')
    paused.release()
    const t3 = await legitimate
    expect(await outcome(s.auth, t3.refreshToken)).toBe('refresh_token_reused')
    expect(s.kv.peek(kvKeys.session(sidOf(tokens)))).toMatchObject({ reason: 'reuse' })
  })

  it('writes nothing but the successor on refresh, and never deletes: nothing to resurrect', async () => {
    const s = memoryServices()
    const { tokens } = await s.signedIn()
    const before = s.kv.writes.length
    const next = await s.auth.refresh(tokens.refreshToken)
    await s.auth.refresh(tokens.refreshToken) // a repeat writes nothing
    expect(s.kv.writes.slice(before).map((w) => w.key.split(':')[0])).toEqual(['refresh'])
    await s.auth.logout(next.refreshToken)
    expect(s.kv.writes.slice(before + 1).map((w) => w.key)).toEqual([kvKeys.session(sidOf(tokens))])
    expect(s.kv.writes.every((w) => w.value !== null)).toBe(true)
  })
})

describe('a lagging replica', () => {
  afterEach(() => vi.useRealTimers())

  it('re-deriving a successor never erases that the chain moved past it', async () => {
    const clock = freezeTime()
    const s = servicesOn(new LaggingKV())
    const { tokens: p } = await s.signedIn()
    const before = s.kv.writes.length
    const s1 = await s.auth.refresh(p.refreshToken)
    clock.advance(1_000)
    const s2 = await s.auth.refresh(s1.refreshToken)
    clock.advance(1_000)
    await s.auth.refresh(s2.refreshToken)
    const moved = s.kv.writes.slice(before)

    // A location that has seen none of that treats P as current and writes S1's record again.
    s.kv.lag = moved.length
    const again = await s.auth.refresh(p.refreshToken)
    expect(again.refreshToken).toBe(s1.refreshToken) // the same successor: no fork
    expect(s.kv.writes.length).toBe(before + moved.length + 1)

    // Once it catches up, the chain is where it was: S1 and P are both behind it.
    s.kv.lag = 0
    clock.advance(11_000)
    expect(await outcome(s.auth, s1.refreshToken)).toBe('refresh_token_reused')
    expect(await outcome(s.auth, p.refreshToken)).toBe('refresh_token_reused')
  })

  it('a stale view may refuse for a moment, but ends nothing and raises no false alarm', async () => {
    const clock = freezeTime()
    const s = servicesOn(new LaggingKV())
    const { tokens } = await s.signedIn()
    const t1 = await s.auth.refresh(tokens.refreshToken)
    clock.advance(20_000)
    // The client's next refresh lands in a location that has not seen T1's record yet.
    s.kv.lag = 1
    expect(await outcome(s.auth, t1.refreshToken)).toBe('invalid_refresh_token')
    s.kv.lag = 0
    // Nothing was ended: once the view catches up the same token works.
    expect(await outcome(s.auth, t1.refreshToken)).toBe('ok')
  })
})

describe('retries', () => {
  afterEach(() => vi.useRealTimers())

  it('two first exchanges of one token at once both get its successor, though KV refuses the second write', async () => {
    freezeTime()
    // Production KV takes about one write a second to a key; both write the successor's.
    const s = servicesOn(new PausingKV({ sameKeyWriteIntervalMs: 1000 }))
    const { tokens } = await s.signedIn()
    const first = s.kv.pauseBefore('put', 'refresh:')
    const second = s.kv.pauseBefore('put', 'refresh:')
    const a = s.auth.refresh(tokens.refreshToken)
    const b = s.auth.refresh(tokens.refreshToken)
    await Promise.all([first.reached, second.reached]) // both judged the token current
    first.release()
    second.release()
    const [x, y] = await Promise.all([a, b])
    expect(y.refreshToken).toBe(x.refreshToken)
    // The second write was refused: one record, which both answers stand on.
    const successorWrites = s.kv.writes.filter((w) => w.key.startsWith('refresh:')).slice(1)
    expect(successorWrites).toHaveLength(1)
    expect(await outcome(s.auth, x.refreshToken)).toBe('ok')
  })

  it('answers a retry after the token’s own idle limit while its successor lives', async () => {
    const clock = freezeTime()
    const s = memoryServices()
    const { tokens } = await s.signedIn()
    clock.advance(13 * DAY)
    const next = await s.auth.refresh(tokens.refreshToken) // response lost
    clock.advance(2 * DAY) // past the first token's 14 days, inside its successor's
    expect((await s.auth.refresh(tokens.refreshToken)).refreshToken).toBe(next.refreshToken)
    clock.advance(12 * DAY) // past the successor's idle limit too
    expect(await outcome(s.auth, tokens.refreshToken)).toBe('invalid_refresh_token')
  })

  it('keeps a new session’s records no longer than the session can last', async () => {
    freezeTime()
    const kv = new MemoryKV()
    const s = servicesOn(kv)
    const put = vi.spyOn(kv, 'put')
    await s.signedIn()
    const ttls = put.mock.calls.map((c) => (c[2] as KVNamespacePutOptions).expirationTtl!)
    expect(Math.max(...ttls)).toBeLessThanOrEqual(s.cfg.sessionMaxAge)
  })
})

describe('configuration and records from before', () => {
  afterEach(() => vi.useRealTimers())

  it('applies a lowered SESSION_MAX_AGE to sessions already running', async () => {
    const clock = freezeTime()
    const kv = new MemoryKV()
    const d1 = memoryD1()
    const before = servicesOn(kv, serviceConfig({ sessionMaxAge: (30 * DAY) / 1000 }), d1)
    const { tokens } = await before.signedIn()
    const after = servicesOn(kv, serviceConfig({ sessionMaxAge: DAY / 1000 }), d1)
    clock.advance(DAY - 1_000)
    const next = await after.auth.refresh(tokens.refreshToken)
    clock.advance(1_000)
    expect(await outcome(after.auth, next.refreshToken)).toBe('invalid_refresh_token')
  })

  it('honours a session kept by an "end all others" written before marks named it', async () => {
    const clock = freezeTime()
    const s = memoryServices()
    const { tokens } = await s.signedIn()
    const sid = sidOf(tokens)
    const record = s.kv.peek<LiveSession>(kvKeys.session(sid))!
    clock.advance(5_000)
    // The old format: the kept session carries validFrom, the mark only a time.
    await s.kv.put(kvKeys.session(sid), JSON.stringify({ ...record, validFrom: Date.now() + 1 }), {
      expirationTtl: 3600,
    })
    await s.kv.put(kvKeys.revokedBefore(record.userId), JSON.stringify({ at: Date.now() }), {
      expirationTtl: 3600,
    })
    expect(await outcome(s.auth, tokens.refreshToken)).toBe('ok')
  })
})

describe('the sessions list', () => {
  afterEach(() => vi.useRealTimers())

  it('never hides a session that can still refresh, though last use is written once in five minutes', async () => {
    const clock = freezeTime(Date.UTC(2026, 10, 25, 12, 0, 1))
    const s = memoryServices(serviceConfig({ refreshTokenTtl: 60, sessionMaxAge: 3600 }))
    const { user, tokens } = await s.signedIn()
    clock.advance(50_000) // the same five minutes: no D1 write
    const next = await s.auth.refresh(tokens.refreshToken)
    await s.settle()
    clock.advance(14_000) // past the login's idle limit, inside the successor's
    const caller = {
      id: user.id,
      username: user.username,
      sessionId: sidOf(tokens),
      amr: ['pwd' as const],
    }
    expect((await s.account.listSessions(caller)).map((x) => x.id)).toEqual([sidOf(tokens)])
    expect(await outcome(s.auth, next.refreshToken)).toBe('ok')
  })
})

describe('ends that race each other', () => {
  afterEach(() => vi.useRealTimers())

  /** Services whose D1 stores can be paused too; KV refuses a second write to a key within 1 s. */
  function pausableServices() {
    const d1 = memoryD1()
    const index = pausable(d1.index)
    const users = pausable(d1.users)
    const kv = new PausingKV({ sameKeyWriteIntervalMs: 1000 })
    const s = servicesOn(kv, undefined, { ...d1, index: index.proxy, users: users.proxy })
    return { s, index, users }
  }

  /** Every session either refreshes and is listed, or does neither: nothing alive is hidden. */
  async function expectListingAgrees(
    s: ReturnType<typeof pausableServices>['s'],
    userId: string,
    tokens: TokenPair[],
  ) {
    for (const t of tokens) {
      const standing = await s.sessions.standing(t.refreshToken, s.cfg, 'first-party')
      const alive = standing.kind === 'current' || standing.kind === 'repeat'
      expect(await s.d1.index.has(userId, sidOf(t)), `session ${sidOf(t)}`).toBe(alive)
    }
  }

  it('two "end every other session" at once leave no session alive but unlisted', async () => {
    freezeTime() // every write lands in the same second, as a real race's would
    const { s, index } = pausableServices()
    const { user, tokens: a } = await s.signedIn()
    const b = await s.auth.login({ username: user.username, password: PASSWORD }, NO_CLIENT)
    // Both pass their checks; A's D1 batch runs first, then B's; B's KV write lands first, A's last.
    const aBatch = index.pauseBefore('revokeAll')
    const fromA = s.auth.logout(a.refreshToken, 'others')
    await aBatch.reached
    const bBatch = index.pauseBefore('revokeAll')
    const fromB = s.auth.logout(b.refreshToken, 'others')
    await bBatch.reached
    const aWrite = s.kv.pauseBefore('put', 'revoked-before:')
    aBatch.release()
    await aWrite.reached
    bBatch.release()
    await fromB
    aWrite.release()
    await fromA

    // Each asked to end the other: neither survives, and the list says so.
    expect(await outcome(s.auth, a.refreshToken)).toBe('invalid_refresh_token')
    expect(await outcome(s.auth, b.refreshToken)).toBe('invalid_refresh_token')
    await expectListingAgrees(s, user.id, [a, b])
    // A's late writes to the key B had just written were refused once each, and retried.
    expect(s.waited).toEqual([1100, 1100])
  })

  it('a double-clicked logout ends the session once, and neither click fails', async () => {
    const clock = freezeTime()
    const { s } = pausableServices()
    const { user, tokens } = await s.signedIn()
    clock.advance(2_000) // past the sign-in's own write of the session key
    const first = s.kv.pauseBefore('put', 'session:')
    const click1 = s.auth.logout(tokens.refreshToken)
    await first.reached
    const click2 = s.auth.logout(tokens.refreshToken) // writes the tombstone first
    await click2
    first.release()
    await click1 // its write is refused (the same key, the same second): the session has ended
    expect(await outcome(s.auth, tokens.refreshToken)).toBe('invalid_refresh_token')
    await expectListingAgrees(s, user.id, [tokens])
  })

  it("ends a session written a moment ago (within KV's second per key) by trying again", async () => {
    freezeTime()
    const { s } = pausableServices()
    const { user, tokens } = await s.signedIn()
    // No time passes: the tombstone's write meets the sign-in's own write of the session key.
    await s.auth.logout(tokens.refreshToken)
    expect(s.waited).toEqual([1100])
    expect(await outcome(s.auth, tokens.refreshToken)).toBe('invalid_refresh_token')
    await expectListingAgrees(s, user.id, [tokens])
  })

  it('a sign-in that read the user just before the account was deleted cannot outlive it', async () => {
    const clock = freezeTime()
    const { s, users } = pausableServices()
    const { user, tokens } = await s.signedIn()
    // The sign-in has read the user, and has yet to check the password and write its session.
    const signingIn = users.pauseAfter('findUserByName')
    const login = s.auth.login({ username: user.username, password: PASSWORD }, NO_CLIENT)
    await signingIn.reached
    // The deletion has checked the password and stops before its D1 transaction.
    const deleting = users.pauseBefore('deleteUser')
    const deletion = s.account.deleteAccount(
      // From the account's own session, still listed: an ended one may not delete it.
      {
        id: user.id,
        username: user.username,
        sessionId: sessionIdOf(tokens.accessToken),
        amr: ['pwd'],
      },
      PASSWORD,
    )
    await deleting.reached
    clock.advance(1_000)
    signingIn.release()
    const late = await login // its session was written after the end, while the user still existed
    deleting.release()
    await deletion

    expect(await outcome(s.auth, late.refreshToken)).toBe('invalid_refresh_token')
    await expectListingAgrees(s, user.id, [late])
  })
})
