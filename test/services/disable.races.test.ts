// Disabling an account while it is in use, in fixed interleavings: the services run on the real
// D1 the worker uses (whose single writer orders the disable against each session insert) and a
// KV double that can pause a request between its reads and its write. Whatever lands first, the
// disabled account is left with no session that refreshes, and D1 lists none.
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { TokenPair } from '../../src/schemas'
import { AdminUserService } from '../../src/services/admin-users'
import { AuthService, type AuthDeps } from '../../src/services/auth'
import { logOnly } from '../../src/services/events'
import { ceremonyUses } from '../../src/store/ceremony-uses'
import { emailQuota } from '../../src/store/email-quota'
import { emailTokenStore } from '../../src/store/email-tokens'
import { identityStore } from '../../src/store/identities'
import { loginFailureStore } from '../../src/store/login-failures'
import { grantStore } from '../../src/store/oauth-grants'
import { passkeyStore } from '../../src/store/passkeys'
import { sessionIndex } from '../../src/store/session-index'
import { sessionStore } from '../../src/store/sessions'
import { totpStore } from '../../src/store/totp'
import { userStore } from '../../src/store/users'
import { PausingKV } from '../doubles/kv'
import { pausable } from '../doubles/pausable'
import { NO_CLIENT, codeOf, serviceConfig, sessionIdOf } from '../doubles/services'
import { PASSWORD, captureLogs, registerUser } from '../helpers'

afterEach(() => vi.restoreAllMocks())

function services() {
  const kv = new PausingKV()
  const users = pausable(userStore(env.DB))
  const index = pausable(sessionIndex(env.DB))
  const cfg = serviceConfig()
  const deferred: Promise<unknown>[] = []
  const deps: AuthDeps & { grants: ReturnType<typeof grantStore> } = {
    users: users.proxy,
    index: index.proxy,
    sessions: sessionStore(kv as unknown as KVNamespace),
    loginFailures: loginFailureStore(kv as unknown as KVNamespace),
    totp: totpStore(env.DB),
    ceremonies: ceremonyUses(env.DB),
    passkeys: passkeyStore(env.DB),
    identities: identityStore(env.DB),
    emailTokens: emailTokenStore(env.DB),
    emailQuota: emailQuota(env.DB),
    grants: grantStore(env.DB),
    mailer: () => ({ send: async () => {} }),
    mfaKeys: () => Promise.reject(new Error('no MFA key needed here')),
    defer: (task) => void deferred.push(task),
    events: logOnly(),
    wait: async () => {},
    config: async () => cfg,
    noticeBrand: () => ({ service: 'auth.example' }),
    // Mail here is English (no request language): nothing to read.
    loadLanguage: async () => 'en',
    network: '192.0.2.0/24',
  }
  return {
    kv,
    users,
    index,
    cfg,
    auth: new AuthService(deps),
    admin: new AdminUserService({ ...deps, caller: 'api_key' }),
    settle: () => Promise.all(deferred.splice(0)),
  }
}

type Services = ReturnType<typeof services>

/** A user of the real D1, signed in `count` times through the services (KV is the double). */
async function userWithSessions(s: Services, count: number) {
  captureLogs()
  const { user, username } = await registerUser()
  const sessions: TokenPair[] = []
  for (let i = 0; i < count; i++) {
    sessions.push(await s.auth.login({ username, password: PASSWORD }, NO_CLIENT))
  }
  return { user, username, sessions }
}

const listed = async (userId: string) =>
  (await env.DB.prepare('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?')
    .bind(userId)
    .first<{ n: number }>())!.n

/** Nothing of the account refreshes, whichever token of it is presented. */
async function expectNoLiveSession(s: Services, userId: string, tokens: TokenPair[]) {
  for (const t of tokens) {
    expect(await codeOf(s.auth.refresh(t.refreshToken)), sessionIdOf(t.accessToken)).toBe(
      'invalid_refresh_token',
    )
  }
  expect(await listed(userId)).toBe(0)
}

describe('disable under load', () => {
  it('five sessions refreshing in parallel, each paused before its write, keep none of them', async () => {
    const s = services()
    const { user, sessions } = await userWithSessions(s, 5)
    // Each refresh has read a live session and its token, and is about to write its successor.
    const gates = sessions.map(() => s.kv.pauseBefore('put', 'refresh:'))
    const refreshing = sessions.map((t) => s.auth.refresh(t.refreshToken))
    await Promise.all(gates.map((g) => g.reached))
    await s.admin.disable(user.id)
    for (const g of gates) g.release()
    // They read before the disable, so they may answer; what they answer is already dead.
    const successors = await Promise.all(refreshing)
    await s.settle() // a late last-used write must not list a session again
    await expectNoLiveSession(s, user.id, [...sessions, ...successors])
  })

  it('a refresh that reads after the disable is refused at once', async () => {
    const s = services()
    const { user, sessions } = await userWithSessions(s, 2)
    await s.admin.disable(user.id)
    await expectNoLiveSession(s, user.id, sessions)
  })
})

describe('a sign-in racing the disable', () => {
  it('paused between its read of the user and its session insert: refused, nothing left alive', async () => {
    const s = services()
    const { user, username } = await userWithSessions(s, 0)
    // The sign-in has read the user (not yet disabled) and will check the password, then insert.
    const signingIn = s.users.pauseAfter('findUserByName')
    const login = s.auth.login({ username, password: PASSWORD }, NO_CLIENT)
    await signingIn.reached
    await s.admin.disable(user.id)
    signingIn.release()
    expect(await codeOf(login)).toBe('account_disabled')
    expect(await listed(user.id)).toBe(0)
    // The KV records the refused sign-in wrote are ended, not left live for anyone to find.
    const keys = new Set(s.kv.writes.map((w) => w.key).filter((k) => k.startsWith('session:')))
    const ended = [...keys].map((k) => s.kv.peek<{ endedAt?: number }>(k))
    expect(ended.length).toBe(1)
    expect(ended[0]).toMatchObject({ endedAt: expect.any(Number) })
  })

  it('paused right before its insert, the disable between: D1 refuses the row', async () => {
    const s = services()
    const { user, username } = await userWithSessions(s, 0)
    const inserting = s.index.pauseBefore('add')
    const login = s.auth.login({ username, password: PASSWORD }, NO_CLIENT)
    await inserting.reached
    await s.admin.disable(user.id)
    inserting.release()
    expect(await codeOf(login)).toBe('account_disabled')
    expect(await listed(user.id)).toBe(0)
  })

  it('inserted just before the disable: the session it returns is ended by the disable', async () => {
    const s = services()
    const { user, username } = await userWithSessions(s, 0)
    const inserted = s.index.pauseAfter('add')
    const login = s.auth.login({ username, password: PASSWORD }, NO_CLIENT)
    await inserted.reached
    await s.admin.disable(user.id)
    inserted.release()
    const late = await login // listed before the disable landed, so it was given a pair...
    await expectNoLiveSession(s, user.id, [late]) // ...that the disable had already ended
  })

  it('a session stamped by a clock ahead of the disable is ended too', async () => {
    const s = services()
    const { user, username } = await userWithSessions(s, 0)
    // Another isolate whose clock runs a second ahead signs in just before the disable.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 1000)
    const ahead = await s.auth.login({ username, password: PASSWORD }, NO_CLIENT)
    vi.setSystemTime(Date.now() - 1000)
    await s.admin.disable(user.id)
    vi.useRealTimers()
    await expectNoLiveSession(s, user.id, [ahead])
  })

  it('after enable, a sign-in works again and the old sessions stay ended', async () => {
    const s = services()
    const { user, username, sessions } = await userWithSessions(s, 1)
    await s.admin.disable(user.id)
    expect(await codeOf(s.auth.login({ username, password: PASSWORD }, NO_CLIENT))).toBe(
      'account_disabled',
    )
    await s.admin.enable(user.id)
    const fresh = await s.auth.login({ username, password: PASSWORD }, NO_CLIENT)
    expect(await codeOf(s.auth.refresh(fresh.refreshToken))).toBe('ok')
    expect(await codeOf(s.auth.refresh(sessions[0]!.refreshToken))).toBe('invalid_refresh_token')
  })
})
