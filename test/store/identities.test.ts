// The identities table in real D1: an account made by a first federated sign-in is written with
// its identity in one batch (both or neither), each unique rule is reported as its own outcome,
// and no removal (of an identity or a passkey) leaves an account without a way in.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { type IdentityRecord, identityStore } from '../../src/store/identities'
import { type PasskeyRecord, passkeyStore } from '../../src/store/passkeys'
import { registerUser, uniqueUsername } from '../helpers'

const identities = identityStore(env.DB)
const passkeys = passkeyStore(env.DB)

const identity = (userId: string, overrides: Partial<IdentityRecord> = {}): IdentityRecord => ({
  provider: 'acme',
  subject: crypto.randomUUID(),
  userId,
  email: null,
  createdAt: Date.now(),
  lastUsedAt: null,
  ...overrides,
})

const newUser = (overrides: { username?: string } = {}) => ({
  id: crypto.randomUUID(),
  username: overrides.username ?? uniqueUsername('fed'),
  createdAt: new Date().toISOString(),
})

/** A unique address per test: D1 is shared by the tests of this file. */
const uniqueEmail = () => `${crypto.randomUUID()}@example.com`

const userRow = (id: string) =>
  env.DB.prepare('SELECT * FROM users WHERE id = ?').bind(id).first<{
    username: string
    password_hash: string
    email: string | null
    email_verified_at: number | null
  }>()

/** A registered user whose password is removed: a password-less account, as federation makes. */
async function passwordless(): Promise<string> {
  const { user } = await registerUser()
  await env.DB.prepare("UPDATE users SET password_hash = '' WHERE id = ?").bind(user.id).run()
  return user.id
}

const passkey = (userId: string): PasskeyRecord => ({
  id: crypto.randomUUID(),
  userId,
  publicKey: 'cose',
  counter: 0,
  transports: [],
  deviceType: 'multiDevice',
  backedUp: true,
  name: 'Phone',
  createdAt: Date.now(),
  lastUsedAt: null,
})

describe('identity store: createAccount', () => {
  it('writes a password-less account with its identity, and the verified address when given', async () => {
    const user = newUser()
    const email = uniqueEmail()
    const id = identity(user.id, { email, createdAt: 1_700_000_000_000 })
    expect(await identities.createAccount(user, id, email)).toBe('created')
    expect(await userRow(user.id)).toMatchObject({
      username: user.username,
      password_hash: '',
      email,
      email_verified_at: 1_700_000_000_000,
    })
    expect(await identities.find(id.provider, id.subject)).toEqual(id)
  })

  it('leaves the address unset without one', async () => {
    const user = newUser()
    expect(await identities.createAccount(user, identity(user.id), null)).toBe('created')
    expect(await userRow(user.id)).toMatchObject({ email: null, email_verified_at: null })
  })

  it('is identity_taken when the subject is someone’s, and then writes no user (one batch)', async () => {
    const first = newUser()
    const id = identity(first.id)
    expect(await identities.createAccount(first, id, null)).toBe('created')
    // A racing first sign-in of the same subject: its account must not exist half-made.
    const twin = newUser()
    expect(await identities.createAccount(twin, { ...id, userId: twin.id }, null)).toBe(
      'identity_taken',
    )
    expect(await userRow(twin.id)).toBeNull()
    expect(await identities.find(id.provider, id.subject)).toMatchObject({ userId: first.id })
  })

  it('is username_taken (case-insensitively), writing neither row', async () => {
    const { username } = await registerUser()
    const user = newUser({ username: username.toUpperCase() })
    const id = identity(user.id)
    expect(await identities.createAccount(user, id, null)).toBe('username_taken')
    expect(await userRow(user.id)).toBeNull()
    expect(await identities.find(id.provider, id.subject)).toBeNull()
  })

  it('is email_taken when another account has the address verified, writing neither row', async () => {
    const email = uniqueEmail()
    const owner = newUser()
    expect(await identities.createAccount(owner, identity(owner.id), email)).toBe('created')
    const user = newUser()
    const id = identity(user.id)
    expect(await identities.createAccount(user, id, email.toUpperCase())).toBe('email_taken')
    expect(await userRow(user.id)).toBeNull()
    expect(await identities.find(id.provider, id.subject)).toBeNull()
    // Unverified (null) the same address is no conflict: it is not stored at all.
    expect(await identities.createAccount(user, id, null)).toBe('created')
  })
})

describe('identity store: link', () => {
  it('links an identity to an existing account', async () => {
    const { user } = await registerUser()
    const id = identity(user.id, { email: 'a@example.com' })
    expect(await identities.link(id)).toBe('linked')
    expect(await identities.find(id.provider, id.subject)).toEqual(id)
  })

  it('is identity_taken when the subject is linked already, to this account or another', async () => {
    const { user } = await registerUser()
    const { user: other } = await registerUser()
    const id = identity(user.id)
    await identities.link(id)
    expect(await identities.link({ ...id, userId: other.id })).toBe('identity_taken')
    expect(await identities.link(id)).toBe('identity_taken')
    expect(await identities.find(id.provider, id.subject)).toMatchObject({ userId: user.id })
    expect(await identities.list(other.id)).toEqual([])
  })

  it('is provider_linked for a second identity at the same provider: one per provider', async () => {
    const { user } = await registerUser()
    const first = identity(user.id)
    await identities.link(first)
    const second = identity(user.id)
    expect(await identities.link(second)).toBe('provider_linked')
    expect(await identities.find(second.provider, second.subject)).toBeNull()
    // Another provider is fine.
    expect(await identities.link(identity(user.id, { provider: 'other' }))).toBe('linked')
  })

  it('is no_account for a user that does not exist (deleted meanwhile)', async () => {
    const id = identity(crypto.randomUUID())
    expect(await identities.link(id)).toBe('no_account')
    expect(await identities.find(id.provider, id.subject)).toBeNull()
  })
})

describe('identity store: recordUse and list', () => {
  it('records the time and the address given this time, for that identity only', async () => {
    const { user } = await registerUser()
    const id = identity(user.id, { email: 'old@example.com' })
    const other = identity(user.id, { provider: 'other' })
    await identities.link(id)
    await identities.link(other)
    await identities.recordUse(id.provider, id.subject, 'new@example.com', 42)
    expect(await identities.find(id.provider, id.subject)).toMatchObject({
      email: 'new@example.com',
      lastUsedAt: 42,
    })
    await identities.recordUse(id.provider, id.subject, null, 43)
    expect(await identities.find(id.provider, id.subject)).toMatchObject({
      email: null,
      lastUsedAt: 43,
    })
    expect(await identities.find(other.provider, other.subject)).toEqual(other)
  })

  it('lists the account’s identities oldest first, and no one else’s', async () => {
    const { user } = await registerUser()
    const { user: other } = await registerUser()
    const newer = identity(user.id, { provider: 'b', createdAt: 2 })
    const older = identity(user.id, { provider: 'a', createdAt: 1 })
    await identities.link(newer)
    await identities.link(older)
    await identities.link(identity(other.id))
    expect(await identities.list(user.id)).toEqual([older, newer])
  })
})

describe('identity store: remove keeps a way in (ways-in.ts)', () => {
  it('removes an identity of an account with a password', async () => {
    const { user } = await registerUser()
    const id = identity(user.id)
    await identities.link(id)
    expect(await identities.remove(user.id, id.provider)).toBe('removed')
    expect(await identities.find(id.provider, id.subject)).toBeNull()
  })

  it('is not_found for a provider the account has none at, or another account’s', async () => {
    const { user } = await registerUser()
    const { user: other } = await registerUser()
    const id = identity(other.id)
    await identities.link(id)
    expect(await identities.remove(user.id, 'nowhere')).toBe('not_found')
    expect(await identities.remove(user.id, id.provider)).toBe('not_found')
    expect(await identities.find(id.provider, id.subject)).toEqual(id)
  })

  it('keeps the last way in of a password-less account', async () => {
    const user = newUser()
    const id = identity(user.id)
    await identities.createAccount(user, id, null)
    expect(await identities.remove(user.id, id.provider)).toBe('last')
    expect(await identities.find(id.provider, id.subject)).toEqual(id)
  })

  it('removes it when a password-less account has a passkey', async () => {
    const userId = await passwordless()
    const id = identity(userId)
    await identities.link(id)
    await passkeys.create(passkey(userId))
    expect(await identities.remove(userId, id.provider)).toBe('removed')
  })

  it('removes it when a password-less account has another identity, then keeps that one', async () => {
    const userId = await passwordless()
    const a = identity(userId, { provider: 'a' })
    const b = identity(userId, { provider: 'b' })
    await identities.link(a)
    await identities.link(b)
    expect(await identities.remove(userId, 'a')).toBe('removed')
    expect(await identities.remove(userId, 'b')).toBe('last')
    expect(await identities.list(userId)).toEqual([b])
  })

  it('lets a password-less account remove its last passkey when it has an identity', async () => {
    const userId = await passwordless()
    const key = passkey(userId)
    await passkeys.create(key)
    expect(await passkeys.remove(userId, key.id)).toBe('last')
    const id = identity(userId)
    await identities.link(id)
    expect(await passkeys.remove(userId, key.id)).toBe('removed')
    // And now the identity is the last way in.
    expect(await identities.remove(userId, id.provider)).toBe('last')
  })

  it('cascades: deleting the user deletes its identities', async () => {
    const user = newUser()
    const id = identity(user.id)
    await identities.createAccount(user, id, null)
    await env.DB.prepare('DELETE FROM users WHERE id = ?').bind(user.id).run()
    expect(await identities.find(id.provider, id.subject)).toBeNull()
    expect(await identities.list(user.id)).toEqual([])
  })
})
