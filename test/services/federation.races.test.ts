// The federated sign-in's race branches, each in a fixed interleaving: FederationService runs on
// the real D1 and KV the worker uses, with the identity store paused between a request's decision
// (what the identity reaches) and its write, so another request (or a plain D1 write standing
// for one) lands in the gap. Timing-based tests may never reach these; these always do. Each
// checks D1 afterwards: one account per identity, no orphan user row, an address on one account.
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { decodeJwt } from 'jose'
import type { AuthUser } from '../../src/env'
import { ApiError } from '../../src/errors'
import { mfaKeys } from '../../src/auth/mfa-keys'
import { newFederationState, sealFederationState } from '../../src/auth/federation-state'
import { type FederationDeps, FederationService } from '../../src/services/federation'
import { ProviderSettingError, readProviders } from '../../src/federation/providers'
import type { Mail } from '../../src/mail/mailer'
import { ceremonyUses } from '../../src/store/ceremony-uses'
import { emailQuota } from '../../src/store/email-quota'
import { emailTokenStore } from '../../src/store/email-tokens'
import { identityStore } from '../../src/store/identities'
import { loginFailureStore } from '../../src/store/login-failures'
import { passkeyStore } from '../../src/store/passkeys'
import { sessionIndex } from '../../src/store/session-index'
import { sessionStore } from '../../src/store/sessions'
import { totpStore } from '../../src/store/totp'
import { userStore } from '../../src/store/users'
import { logOnly } from '../../src/services/events'
import { signer, signJwt } from '../federation/keys'
import { json, script, scriptProvider, uniquePath } from '../global/scripted'
import { pausable } from '../doubles/pausable'
import { NO_CLIENT, codeOf, serviceConfig, sessionIdOf } from '../doubles/services'
import { captureLogs, signedIn, uniqueUsername } from '../helpers'

afterEach(() => vi.restoreAllMocks())

const PROVIDER = 'racer'
const CLIENT_ID = 'races-client'
const REDIRECT_URI = 'https://auth.example/signin/racer/callback'

// One loopback provider for the file: its discovery document and key set on the scripted server.
const keys = await signer('ES256')
const base = uniquePath('fed-races')
const issuer = await scriptProvider(base, [keys.jwk])

function providers() {
  const read = readProviders(
    JSON.stringify({
      [PROVIDER]: { type: 'oidc', issuer, clientId: CLIENT_ID, name: 'Racer', trustEmail: true },
    }),
    () => 'races-client-secret',
  )
  if ('invalid' in read) throw new Error(read.invalid)
  const found = read.providers.get(PROVIDER)
  if (!found || found instanceof ProviderSettingError) throw new Error(String(found))
  return read.providers
}

/**
 * FederationService on the real bindings: its identity store pausable, each createAccount answer
 * recorded in order (whichever request asked), its mail recorded.
 */
function federation() {
  const store = identityStore(env.DB)
  const answers: string[] = []
  const identities = pausable({
    ...store,
    async createAccount(...args: Parameters<typeof store.createAccount>) {
      const answer = await store.createAccount(...args)
      answers.push(answer)
      return answer
    },
  })
  const deferred: Promise<unknown>[] = []
  const mails: Mail[] = []
  const cfg = serviceConfig()
  const table = providers()
  const deps: FederationDeps = {
    users: userStore(env.DB),
    index: sessionIndex(env.DB),
    sessions: sessionStore(env.REFRESH_TOKENS),
    loginFailures: loginFailureStore(env.REFRESH_TOKENS),
    totp: totpStore(env.DB),
    ceremonies: ceremonyUses(env.DB),
    passkeys: passkeyStore(env.DB),
    identities: identities.proxy,
    emailTokens: emailTokenStore(env.DB),
    emailQuota: emailQuota(env.DB),
    mailer: () => ({ send: async (mail) => void mails.push(mail) }),
    mfaKeys: () => mfaKeys(env.MFA_ENCRYPTION_KEY),
    defer: (task) => void deferred.push(task),
    events: logOnly(),
    wait: async () => {},
    config: async () => cfg,
    noticeBrand: () => ({ service: 'auth.example' }),
    // Mail here is English (no request language): nothing to read.
    loadLanguage: async () => 'en',
    network: '192.0.2.0/24',
    providers: () => table,
  }
  return {
    identities,
    answers,
    mails,
    service: new FederationService(deps),
    settle: () => Promise.all(deferred.splice(0)),
  }
}

type Person = { sub: string; email?: string; emailVerified?: boolean; name?: string }

/** A fresh ID token the provider issued for `who` (each one signs in once). */
async function idToken(who: Person, nonce?: string): Promise<string> {
  const at = Math.floor(Date.now() / 1000)
  return signJwt(
    {
      iss: issuer,
      aud: CLIENT_ID,
      sub: who.sub,
      iat: at,
      exp: at + 300,
      jti: crypto.randomUUID(),
      ...(nonce === undefined ? {} : { nonce }),
      ...(who.email === undefined
        ? {}
        : { email: who.email, email_verified: who.emailVerified ?? true }),
      ...(who.name === undefined ? {} : { name: who.name }),
    },
    keys,
  )
}

/** A native sign-in (POST /login/{provider}/id-token's service call): the account it reached. */
async function nativeSignIn(service: FederationService, who: Person): Promise<string> {
  const tokens = await service.signInWithIdToken(
    PROVIDER,
    { idToken: await idToken(who) },
    NO_CLIENT,
  )
  return decodeJwt(tokens.accessToken).sub!
}

/** A new person at the provider, whose address's local part is a username nobody has yet. */
const person = (overrides: Partial<Person> = {}): Person => {
  const local = uniqueUsername('fed')
  return { sub: crypto.randomUUID(), email: `${local}@example.org`, ...overrides }
}

// What D1 holds afterwards.
const identityOwner = async (sub: string) =>
  (
    await env.DB.prepare('SELECT user_id FROM identities WHERE provider = ? AND subject = ?')
      .bind(PROVIDER, sub)
      .first<{ user_id: string }>()
  )?.user_id ?? null

const identityCount = async (sub: string) =>
  (await env.DB.prepare('SELECT COUNT(*) AS n FROM identities WHERE provider = ? AND subject = ?')
    .bind(PROVIDER, sub)
    .first<{ n: number }>())!.n

const userRow = (id: string) =>
  env.DB.prepare('SELECT username, email, email_verified_at FROM users WHERE id = ?')
    .bind(id)
    .first<{ username: string; email: string | null; email_verified_at: number | null }>()

const userCount = async () =>
  (await env.DB.prepare('SELECT COUNT(*) AS n FROM users').first<{ n: number }>())!.n

/** Accounts with `email` verified (ignoring case): the unique index allows at most one. */
const verifiedHolders = async (email: string) =>
  (
    await env.DB.prepare(
      'SELECT id FROM users WHERE email = ? COLLATE NOCASE AND email_verified_at IS NOT NULL',
    )
      .bind(email)
      .all<{ id: string }>()
  ).results.map((row) => row.id)

/** A registered (password) account that verified `email`, as opening its link would. */
async function ownerOf(email: string): Promise<string> {
  const { user } = await signedIn('owner')
  await verify(user.id, email)
  return user.id
}

const verify = (userId: string, email: string) =>
  env.DB.prepare('UPDATE users SET email = ?, email_verified_at = ? WHERE id = ?')
    .bind(email, Date.now(), userId)
    .run()

const events = (lines: string[], name: string) =>
  lines.filter((line) => line.includes(`"event":"${name}"`)).length

describe('two first sign-ins of the same new identity', () => {
  it('the later write finds the identity taken and signs in to the first one’s account', async () => {
    const lines = captureLogs()
    const { service, identities, settle } = federation()
    const who = person()
    const before = await userCount()
    // The slow one decided "create" and is about to write.
    const held = identities.pauseBefore('createAccount')
    const slow = nativeSignIn(service, who)
    await held.reached
    const fast = await nativeSignIn(service, who)
    held.release()
    expect(await slow).toBe(fast)
    await settle()

    // Its first write broke the username rule (the same name), its next the identity's key: no
    // twin account, and the batch left no user row behind.
    expect(await userCount()).toBe(before + 1)
    expect(await identityOwner(who.sub)).toBe(fast)
    expect(await identityCount(who.sub)).toBe(1)
    expect(await verifiedHolders(who.email!)).toEqual([fast])
    expect(events(lines, 'user_registered')).toBe(1)
  })

  it('records which rule each write broke, whichever SQLite checks first', async () => {
    const { service, identities, answers, settle } = federation()
    const who = person()
    const held = identities.pauseBefore('createAccount')
    const slow = nativeSignIn(service, who)
    await held.reached
    const fast = await nativeSignIn(service, who)
    held.release()
    expect(await slow).toBe(fast)
    await settle()
    // The twin made the account with the address: the slow one's write first trips the address,
    // then (without it) the same username, then (with a suffix) the identity, and signs in there.
    expect(answers).toEqual(['created', 'email_taken', 'username_taken', 'identity_taken'])
    expect(await userRow(fast)).toMatchObject({ email: who.email })
  })

  it('without an address to trip: the write after the username is refused for the identity', async () => {
    const { service, identities, answers, settle } = federation()
    const who = person({ email: undefined, name: uniqueUsername('named') })
    const before = await userCount()
    const held = identities.pauseBefore('createAccount')
    const slow = nativeSignIn(service, who)
    await held.reached
    const fast = await nativeSignIn(service, who)
    held.release()
    expect(await slow).toBe(fast)
    await settle()
    expect(answers).toEqual(['created', 'username_taken', 'identity_taken'])
    expect(await userCount()).toBe(before + 1)
    expect(await identityCount(who.sub)).toBe(1)
  })
})

describe('an address another account verified between the decision and the write', () => {
  it('makes the new account without it, and the address stays with the account that has it', async () => {
    const { service, identities, answers, settle } = federation()
    const who = person()
    const { user } = await signedIn('verifier')
    const held = identities.pauseBefore('createAccount')
    const signingIn = nativeSignIn(service, who)
    await held.reached
    // Nobody had the address when the sign-in looked; someone verifies it now.
    await verify(user.id, who.email!)
    held.release()
    const created = await signingIn
    await settle()

    expect(answers).toEqual(['email_taken', 'created'])
    expect(created).not.toBe(user.id)
    expect(await identityOwner(who.sub)).toBe(created)
    const row = await userRow(created)
    expect(row).toMatchObject({ email: null, email_verified_at: null })
    // The username it asked for first was not spent by the refused write.
    expect(row!.username).toBe(who.email!.split('@')[0])
    expect(await verifiedHolders(who.email!)).toEqual([user.id])
  })
})

describe('a username that is taken', () => {
  it('is tried once; the next candidate, with a suffix, is the new account’s', async () => {
    const { service, answers, settle } = federation()
    const { username, user } = await signedIn('taken')
    const who = person({ email: `${username}@example.org` })
    const created = await nativeSignIn(service, who)
    await settle()

    expect(answers).toEqual(['username_taken', 'created'])
    expect(created).not.toBe(user.id)
    expect((await userRow(created))!.username).toMatch(new RegExp(`^${username}-\\d{4}$`))
    // The account that had the name keeps it, and gets no identity.
    expect((await userRow(user.id))!.username).toBe(username)
    expect(await identityOwner(who.sub)).toBe(created)
  })

  it('gives up after every candidate is taken: 503, and nothing is written', async () => {
    const { service, answers } = federation()
    const { username } = await signedIn('full')
    await env.DB.prepare(
      "INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, '', ?)",
    )
      .bind(crypto.randomUUID(), `${username}-0000`, new Date().toISOString())
      .run()
    const who = person({ email: `${username}@example.org` })
    const before = await userCount()
    const token = await idToken(who)
    const lines = captureLogs()
    // Every suffix comes out 0000: the base and base-0000 are all there is, and both are taken.
    const real = crypto.getRandomValues.bind(crypto)
    vi.spyOn(crypto, 'getRandomValues').mockImplementation(
      <T extends ArrayBufferView | null>(array: T): T => {
        if (array instanceof Uint16Array && array.length === 1) {
          array[0] = 10000
          return array
        }
        return real(array as never) as T
      },
    )

    const refused = await service.signInWithIdToken(PROVIDER, { idToken: token }, NO_CLIENT).then(
      () => null,
      (err: unknown) => err,
    )
    expect(refused).toBeInstanceOf(ApiError)
    expect(refused).toMatchObject({ status: 503, code: 'temporarily_unavailable' })
    expect(answers).toEqual(Array(6).fill('username_taken'))
    expect(await userCount()).toBe(before)
    expect(await identityCount(who.sub)).toBe(0)
    expect(await verifiedHolders(who.email!)).toEqual([])
    expect(events(lines, 'federated_username_exhausted')).toBe(1)
    expect(events(lines, 'user_registered')).toBe(0)
  })
})

describe('an automatic link racing another first sign-in of the same identity', () => {
  it('signs in to the account that holds the identity when its link is refused', async () => {
    const lines = captureLogs()
    const { service, identities, answers, mails, settle } = federation()
    const who = person()
    const { user: later } = await signedIn('later')
    // The first sign-in looked before anyone had the address: it decided "create" and waits.
    const creating = identities.pauseBefore('createAccount')
    const first = nativeSignIn(service, who)
    await creating.reached
    // The address is verified meanwhile; a second sign-in of the identity now links to its owner.
    await verify(later.id, who.email!)
    const linking = identities.pauseBefore('link')
    const second = nativeSignIn(service, who)
    await linking.reached
    // The first writes (without the address, now someone else's): the identity is its account's.
    creating.release()
    const made = await first
    linking.release()
    // The link finds the identity taken: it signs in where the identity is, not to the owner.
    expect(await second).toBe(made)
    await settle()

    expect(answers).toEqual(['email_taken', 'created'])
    expect(made).not.toBe(later.id)
    expect(await identityOwner(who.sub)).toBe(made)
    expect(await identityCount(who.sub)).toBe(1)
    expect(await verifiedHolders(who.email!)).toEqual([later.id])
    // No link happened, so the address's owner is told of none.
    expect(events(lines, 'identity_linked')).toBe(0)
    expect(mails).toEqual([])
  })

  it('two automatic links of the same identity: one links, both sign in to the owner', async () => {
    const lines = captureLogs()
    const { service, identities, mails, settle } = federation()
    const who = person()
    const owner = await ownerOf(who.email!)
    const before = await userCount()
    const held = identities.pauseBefore('link')
    const slow = nativeSignIn(service, who)
    await held.reached
    expect(await nativeSignIn(service, who)).toBe(owner)
    held.release()
    // The same identity on the same account trips (user_id, provider) first: still "taken".
    expect(await slow).toBe(owner)
    await settle()

    expect(await userCount()).toBe(before)
    expect(await identityOwner(who.sub)).toBe(owner)
    expect(await identityCount(who.sub)).toBe(1)
    // One link happened: the owner is told once, not once per request.
    expect(events(lines, 'identity_linked')).toBe(1)
    expect(mails.map((mail) => mail.to)).toEqual([who.email])
  })
})

describe('a link whose account is deleted before it is written', () => {
  it('automatic: the sign-in makes a new account instead, without the address', async () => {
    const { service, identities, mails, settle } = federation()
    const who = person()
    const owner = await ownerOf(who.email!)
    const before = await userCount()
    const held = identities.pauseBefore('link')
    const signingIn = nativeSignIn(service, who)
    await held.reached
    await userStore(env.DB).deleteUser(owner)
    held.release()
    const made = await signingIn
    await settle()

    expect(made).not.toBe(owner)
    expect(await userRow(owner)).toBeNull()
    // One account gone, one made: no orphan row from the refused link.
    expect(await userCount()).toBe(before)
    expect(await identityOwner(who.sub)).toBe(made)
    expect(await identityCount(who.sub)).toBe(1)
    // Made as a link's fallback: the address is not given (it can be verified from /account).
    expect(await userRow(made)).toMatchObject({ email: null, email_verified_at: null })
    expect(mails).toEqual([])
  })

  /** The callback of a connect that `visitor` started: a state sealed for it, the code's tokens. */
  async function connectCallback(visitor: AuthUser, who: Person) {
    const state = newFederationState(
      '/account',
      { userId: visitor.id, sessionId: visitor.sessionId },
      Date.now() + 60_000,
    )
    const sealed = await sealFederationState(await mfaKeys(env.MFA_ENCRYPTION_KEY), PROVIDER, state)
    await script(
      json(`${base}/token`, {
        access_token: 'at',
        token_type: 'Bearer',
        id_token: await idToken(who, state.nonce),
      }),
    )
    return {
      callback: { code: 'code', error: null, iss: null, user: null, state: state.state },
      sealed,
    }
  }

  it('explicit connect: 400 federated_sign_in_failed, and nothing is written', async () => {
    const { service, identities, mails, settle } = federation()
    const { user, username, tokens } = await signedIn('connector')
    const visitor: AuthUser = {
      id: user.id,
      username,
      sessionId: sessionIdOf(tokens.accessToken),
      amr: ['pwd'],
    }
    const who = person()
    const { callback, sealed } = await connectCallback(visitor, who)
    const before = await userCount()
    const held = identities.pauseBefore('link')
    const connecting = codeOf(
      service.complete(PROVIDER, callback, sealed, {
        redirectUri: REDIRECT_URI,
        visitor,
        client: NO_CLIENT,
      }),
    )
    await held.reached
    await userStore(env.DB).deleteUser(user.id)
    held.release()
    expect(await connecting).toBe('federated_sign_in_failed')
    await settle()

    // No account is made for an identity its owner meant to attach to one that is gone.
    expect(await userCount()).toBe(before - 1)
    expect(await identityCount(who.sub)).toBe(0)
    expect(mails).toEqual([])
  })

  it('explicit connect, the account still there: linked (the same setup, no race)', async () => {
    const { service, settle } = federation()
    const { user, username, tokens } = await signedIn('connector')
    const visitor: AuthUser = {
      id: user.id,
      username,
      sessionId: sessionIdOf(tokens.accessToken),
      amr: ['pwd'],
    }
    const who = person()
    const { callback, sealed } = await connectCallback(visitor, who)
    const done = await service.complete(PROVIDER, callback, sealed, {
      redirectUri: REDIRECT_URI,
      visitor,
      client: NO_CLIENT,
    })
    await settle()
    expect(done).toEqual({ kind: 'linked', returnTo: '/account' })
    expect(await identityOwner(who.sub)).toBe(user.id)
  })
})
