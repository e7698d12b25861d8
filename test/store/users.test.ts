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
    expect(await users.findUserById(user.id)).toEqual(user)
    expect(await users.findUserByName(name.toUpperCase())).toEqual({ ...user, totpEnabled: false })
    expect(await users.findUserByName(name.toLowerCase())).toEqual({ ...user, totpEnabled: false })
  })

  it('reports a taken name, in any case, without overwriting the owner', async () => {
    const name = uniqueUsername('taken')
    const first = newUser(name)
    await users.createUser(first)
    expect(await users.createUser(newUser(name))).toBe('taken')
    expect(await users.createUser(newUser(name.toUpperCase()))).toBe('taken')
    expect(await users.findUserByName(name)).toEqual({ ...first, totpEnabled: false })
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

  it('replaces a password hash, and only if it is still the expected one when asked', async () => {
    const user = newUser(uniqueUsername())
    await users.createUser(user)
    await users.updatePasswordHash(user.id, 'second')
    expect((await users.findUserById(user.id))?.passwordHash).toBe('second')
    // A background upgrade computed from an older hash must not undo a change made since.
    await users.updatePasswordHash(user.id, 'upgraded', user.passwordHash)
    expect((await users.findUserById(user.id))?.passwordHash).toBe('second')
    await users.updatePasswordHash(user.id, 'third', 'second')
    expect((await users.findUserById(user.id))?.passwordHash).toBe('third')
  })

  it('deletes a user, freeing the name', async () => {
    const user = newUser(uniqueUsername())
    await users.createUser(user)
    await users.deleteUser(user.id)
    expect(await users.findUserById(user.id)).toBeNull()
    expect(await users.createUser({ ...user, id: crypto.randomUUID() })).toBe('created')
  })
})
