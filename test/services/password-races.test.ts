// Racing password writes, in a fixed interleaving: the services run on the real D1 and KV the
// worker uses, with the users store paused between a request's read of the hash and its write.
// Both requests prove the same password, then both write: exactly one is told it succeeded, and
// that one's password is the one that signs in; the other gets 409 and nothing else happens.
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AuthUser } from '../../src/env'
import { type AuthDeps } from '../../src/services/auth'
import { AccountService } from '../../src/services/account'
import { issueLink } from '../../src/services/email-links'
import { RecoveryService } from '../../src/services/recovery'
import { passwordBinding } from '../../src/auth/passwords'
import { ceremonyUses } from '../../src/store/ceremony-uses'
import { emailQuota } from '../../src/store/email-quota'
import { emailTokenStore } from '../../src/store/email-tokens'
import { loginFailureStore } from '../../src/store/login-failures'
import { passkeyStore } from '../../src/store/passkeys'
import { identityStore } from '../../src/store/identities'
import { sessionIndex } from '../../src/store/session-index'
import { sessionStore } from '../../src/store/sessions'
import { totpStore } from '../../src/store/totp'
import { userStore } from '../../src/store/users'
import { logOnly } from '../../src/services/events'
import { pausable } from '../doubles/pausable'
import { codeOf, serviceConfig, sessionIdOf } from '../doubles/services'
import { PASSWORD, captureLogs, loginUser, refresh, sendJson, signedIn } from '../helpers'

afterEach(() => vi.restoreAllMocks())

function services() {
  const users = pausable(userStore(env.DB))
  const emailTokens = pausable(emailTokenStore(env.DB))
  const deferred: Promise<unknown>[] = []
  const cfg = serviceConfig()
  const deps: AuthDeps = {
    users: users.proxy,
    index: sessionIndex(env.DB),
    sessions: sessionStore(env.REFRESH_TOKENS),
    loginFailures: loginFailureStore(env.REFRESH_TOKENS),
    totp: totpStore(env.DB),
    ceremonies: ceremonyUses(env.DB),
    passkeys: passkeyStore(env.DB),
    identities: identityStore(env.DB),
    emailTokens: emailTokens.proxy,
    emailQuota: emailQuota(env.DB),
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
    users,
    emailTokens,
    deps,
    account: new AccountService(deps),
    recovery: new RecoveryService(deps),
    settle: () => Promise.all(deferred.splice(0)),
  }
}

/** A user with two sessions through the worker, as the callers the service sees. */
async function twoSessions() {
  const { user, username, tokens } = await signedIn('race')
  const other = await loginUser(username)
  const callerOf = (accessToken: string): AuthUser => ({
    id: user.id,
    username,
    sessionId: sessionIdOf(accessToken),
    amr: ['pwd'],
  })
  return {
    user,
    username,
    first: { caller: callerOf(tokens.accessToken), tokens },
    second: { caller: callerOf(other.accessToken), tokens: other },
  }
}

const signIn = async (username: string, password: string) =>
  (await sendJson('POST', '/login', { username, password })).status

const events = (lines: string[], name: string) =>
  lines.filter((line) => line.includes(`"event":"${name}"`)).length

describe('two password changes that checked the same password', () => {
  it('let exactly one through; the other is told 409 and changes nothing', async () => {
    const lines = captureLogs()
    const { account, users, settle } = services()
    const { username, first, second } = await twoSessions()
    // The first has checked the password and is about to write.
    const held = users.pauseBefore('updatePasswordHash')
    const slow = codeOf(
      account.changePassword(first.caller, {
        currentPassword: PASSWORD,
        newPassword: 'the slow one’s passphrase',
      }),
    )
    await held.reached
    // The second checks the same password (still in force) and writes.
    expect(
      await codeOf(
        account.changePassword(second.caller, {
          currentPassword: PASSWORD,
          newPassword: 'the fast one’s passphrase',
        }),
      ),
    ).toBe('ok')
    held.release()
    expect(await slow).toBe('password_changed_concurrently')
    await settle()

    // Whoever was told success signs in with their password; the other's never worked.
    expect(await signIn(username, 'the fast one’s passphrase')).toBe(200)
    expect(await signIn(username, 'the slow one’s passphrase')).toBe(401)
    expect(await signIn(username, PASSWORD)).toBe(401)
    // The loser ended no session (the winner's, which its change would have ended, lives) and
    // sent no notice: one change happened.
    expect((await refresh(second.tokens.refreshToken)).status).toBe(200)
    expect(events(lines, 'password_changed')).toBe(1)
    expect(events(lines, 'password_change_refused')).toBe(1)
  })
})

describe('a reset racing a change', () => {
  /** A reset link as the mailing makes one: bound to the password in force now. */
  const resetToken = async (deps: AuthDeps, userId: string) =>
    (
      await issueLink(deps, {
        userId,
        purpose: 'reset_password',
        email: 'race@example.org',
        ttlMs: 30 * 60 * 1000,
        passwordBinding: await passwordBinding(
          (await deps.users.findUserById(userId))!.passwordHash,
        ),
      })
    ).token

  it('is refused when the change wrote first, even before the change ended its links', async () => {
    const lines = captureLogs()
    const { account, recovery, emailTokens, deps, settle } = services()
    const { user, username, first } = await twoSessions()
    const token = await resetToken(deps, user.id)
    // The change has written its password and is about to end the reset links.
    const held = emailTokens.pauseBefore('revoke')
    const change = codeOf(
      account.changePassword(first.caller, {
        currentPassword: PASSWORD,
        newPassword: 'the change’s passphrase',
      }),
    )
    await held.reached
    // The link was mailed against the old password: it no longer stands.
    expect(await codeOf(recovery.reset({ token, newPassword: 'the reset’s passphrase' }))).toBe(
      'invalid_email_token',
    )
    held.release()
    expect(await change).toBe('ok')
    await settle()
    expect(await signIn(username, 'the change’s passphrase')).toBe(200)
    expect(await signIn(username, 'the reset’s passphrase')).toBe(401)
    expect(events(lines, 'password_reset')).toBe(0)
  })

  it('loses to a change written first: 409, and the change’s password is the one', async () => {
    const lines = captureLogs()
    const { account, recovery, users, deps, settle } = services()
    const { user, username, first } = await twoSessions()
    const token = await resetToken(deps, user.id)
    const held = users.pauseBefore('updatePasswordHash')
    const reset = codeOf(recovery.reset({ token, newPassword: 'the reset’s passphrase' }))
    await held.reached
    expect(
      await codeOf(
        account.changePassword(first.caller, {
          currentPassword: PASSWORD,
          newPassword: 'the change’s passphrase',
        }),
      ),
    ).toBe('ok')
    held.release()
    expect(await reset).toBe('password_changed_concurrently')
    await settle()
    expect(await signIn(username, 'the change’s passphrase')).toBe(200)
    expect(await signIn(username, 'the reset’s passphrase')).toBe(401)
    // The reset ended no session: the changer's own lives on.
    expect((await refresh(first.tokens.refreshToken)).status).toBe(200)
    expect(events(lines, 'password_reset')).toBe(0)
  })

  it('wins over a change that checked the old password before the reset wrote', async () => {
    const { account, recovery, users, deps, settle } = services()
    const { user, username, first } = await twoSessions()
    const token = await resetToken(deps, user.id)
    const held = users.pauseBefore('updatePasswordHash')
    const change = codeOf(
      account.changePassword(first.caller, {
        currentPassword: PASSWORD,
        newPassword: 'the change’s passphrase',
      }),
    )
    await held.reached
    expect(await codeOf(recovery.reset({ token, newPassword: 'the reset’s passphrase' }))).toBe(
      'ok',
    )
    held.release()
    expect(await change).toBe('password_changed_concurrently')
    await settle()
    expect(await signIn(username, 'the reset’s passphrase')).toBe(200)
    expect(await signIn(username, 'the change’s passphrase')).toBe(401)
    // The reset ended every session, the changer's too; the change did not bring it back.
    expect((await refresh(first.tokens.refreshToken)).status).toBe(401)
  })
})
