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
    expect(await users.findUserByName(name.toUpperCase())).toEqual(user)
    expect(await users.findUserByName(name.toLowerCase())).toEqual(user)
  })

  it('reports a taken name, in any case, without overwriting the owner', async () => {
    const name = uniqueUsername('taken')
    const first = newUser(name)
    await users.createUser(first)
    expect(await users.createUser(newUser(name))).toBe('taken')
    expect(await users.createUser(newUser(name.toUpperCase()))).toBe('taken')
    expect(await users.findUserByName(name)).toEqual(first)
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
})
