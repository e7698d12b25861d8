// users.language: one of ours or nothing; a value not in LANGUAGES (written by hand, or by a
// future version) reads as none, so no mail ever looks up a catalog that does not exist.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { userStore } from '../../src/store/users'
import { uniqueUsername } from '../helpers'

const users = userStore(env.DB)

async function created(language: 'fr' | null) {
  const id = crypto.randomUUID()
  const user = { id, username: uniqueUsername('l'), passwordHash: 'x', createdAt: '2026-01-01' }
  expect(await users.createUser({ ...user, language })).toBe('created')
  return id
}

describe('the users store: language', () => {
  it('stores it at creation and reads it back; none when not given', async () => {
    expect(await users.language(await created('fr'))).toBe('fr')
    expect(await users.language(await created(null))).toBeNull()
    expect(await users.language('no-such-user')).toBeNull()
  })

  it('reads a value not in LANGUAGES as none', async () => {
    const id = await created(null)
    for (const value of ['de', 'FR', '__proto__', '']) {
      await env.DB.prepare('UPDATE users SET language = ? WHERE id = ?').bind(value, id).run()
      expect(await users.language(id)).toBeNull()
    }
  })

  it('sets it, replacing the one stored; false for no such user', async () => {
    const id = await created(null)
    expect(await users.setLanguage(id, 'es')).toBe(true)
    expect(await users.language(id)).toBe('es')
    expect(await users.setLanguage(id, 'fr')).toBe(true)
    expect(await users.language(id)).toBe('fr')
    expect(await users.setLanguage('no-such-user', 'fr')).toBe(false)
  })
})
