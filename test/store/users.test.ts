import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { userStore } from '../../src/store/users'
import { uniqueUsername } from '../helpers'

const users = userStore(env.DB)
const newUser = (username: string) => ({
  id: crypto.randomUUID(),
  username,
  passwordHash: 'pbkdf2-sha256$100000$salt$hash',
  createdAt: new Date().toISOString(),
})

describe('user store (D1)', () => {
  it('creates a user and finds it by id and, ignoring case, by name', async () => {
    const name = uniqueUsername('Mixed')
    const user = newUser(name)
    expect(await users.createUser(user)).toBe('created')
    expect(await users.findUserById(user.id)).toEqual({
      ...user,
      disabledAt: null,
      verifiedEmail: null,
    })
    expect(await users.findUserByName(name.toUpperCase())).toEqual({
      ...user,
      disabledAt: null,
      totpEnabled: false,
    })
    expect(await users.findUserByName(name.toLowerCase())).toEqual({
      ...user,
      disabledAt: null,
      totpEnabled: false,
    })
  })

  it('reports a taken name, in any case, without overwriting the owner', async () => {
    const name = uniqueUsername('taken')
    const first = newUser(name)
    await users.createUser(first)
    expect(await users.createUser(newUser(name))).toBe('taken')
    expect(await users.createUser(newUser(name.toUpperCase()))).toBe('taken')
    expect(await users.findUserByName(name)).toEqual({
      ...first,
      disabledAt: null,
      totpEnabled: false,
    })
  })

  it('finds nothing for unknown names and ids', async () => {
    expect(await users.findUserByName(uniqueUsername('ghost'))).toBeNull()
    expect(await users.findUserById(crypto.randomUUID())).toBeNull()
  })

  it('passes on errors other than a unique violation', async () => {
    await expect(
      users.createUser({ ...newUser(uniqueUsername()), id: null as unknown as string }),
    ).rejects.toThrow()
  })

  it('replaces a password hash only if it is still the one the caller checked', async () => {
    const user = newUser(uniqueUsername())
    await users.createUser(user)
    expect(await users.updatePasswordHash(user.id, 'second', user.passwordHash)).toBe(true)
    expect((await users.findUserById(user.id))?.passwordHash).toBe('second')
    // A write that checked an older hash (a racing change, reset or background upgrade) changes
    // nothing, and says so.
    expect(await users.updatePasswordHash(user.id, 'upgraded', user.passwordHash)).toBe(false)
    expect((await users.findUserById(user.id))?.passwordHash).toBe('second')
    expect(await users.updatePasswordHash(user.id, 'third', 'second')).toBe(true)
    expect((await users.findUserById(user.id))?.passwordHash).toBe('third')
    expect(await users.updatePasswordHash(crypto.randomUUID(), 'x', 'third')).toBe(false)
  })

  it('tells whether another account has verified an address, ignoring case', async () => {
    const owner = newUser(uniqueUsername())
    const other = newUser(uniqueUsername())
    await users.createUser(owner)
    await users.createUser(other)
    const address = `${owner.username}@example.org`
    expect(await users.verifiedByAnother(address, other.id)).toBe(false)
    // Only over the password the link was asked with.
    expect(await users.setVerifiedEmail(owner.id, address, Date.now(), 'another hash')).toBe(
      'changed',
    )
    expect(await users.verifiedByAnother(address, other.id)).toBe(false)
    expect(await users.setVerifiedEmail(owner.id, address, Date.now(), owner.passwordHash)).toBe(
      'set',
    )
    expect(await users.verifiedByAnother(address.toUpperCase(), other.id)).toBe(true)
    // The owner's own address is not "another account's".
    expect(await users.verifiedByAnother(address, owner.id)).toBe(false)
  })

  it('deletes a user, freeing the name', async () => {
    const user = newUser(uniqueUsername())
    await users.createUser(user)
    await users.deleteUser(user.id)
    expect(await users.findUserById(user.id)).toBeNull()
    expect(await users.createUser({ ...user, id: crypto.randomUUID() })).toBe('created')
  })
})
