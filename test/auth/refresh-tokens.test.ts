import { describe, expect, it } from 'vitest'
import {
  generateRefreshToken,
  isWellFormedRefreshToken,
  refreshTokenId,
  refreshTokenOwner,
  successorOf,
} from '../../src/auth/refresh-tokens'

const SECRET = 's'.repeat(64)
const owner = () => ({ sessionId: crypto.randomUUID(), userId: crypto.randomUUID() })

describe('refresh tokens', () => {
  it('name their session and user, then carry 32 random bytes: 86 base64url characters', () => {
    const who = owner()
    const tokens = new Set(Array.from({ length: 50 }, () => generateRefreshToken(who)))
    expect(tokens.size).toBe(50)
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{86}$/)
      expect(isWellFormedRefreshToken(token)).toBe(true)
      expect(refreshTokenOwner(token)).toEqual(who)
    }
    // The names are the same for every token of the session; the secret half is what differs.
    expect(new Set([...tokens].map((t) => t.slice(43))).size).toBe(50)
  })

  it('name nobody when the ids are not lowercase UUIDs: the older 43-character shape', () => {
    for (const who of [
      { sessionId: crypto.randomUUID(), userId: 'imported-user-7' },
      { sessionId: crypto.randomUUID().toUpperCase(), userId: crypto.randomUUID() },
    ]) {
      const token = generateRefreshToken(who)
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(isWellFormedRefreshToken(token)).toBe(true)
      expect(refreshTokenOwner(token)).toBeNull()
    }
  })

  it('refuses anything that is not exactly one of those shapes', () => {
    const token = generateRefreshToken(owner())
    const old = token.slice(43)
    for (const bad of [
      '',
      token.slice(1),
      `${token}A`,
      `${token.slice(0, 85)}+`,
      `${token.slice(0, 42)}+${token.slice(43)}`,
      old.slice(1),
      `${old}A`,
      `${old.slice(0, 42)}+`,
      'eyJ.x.y',
    ]) {
      expect(isWellFormedRefreshToken(bad)).toBe(false)
    }
  })

  it('are stored under an HMAC digest of the whole token that reveals nothing of it', async () => {
    const token = generateRefreshToken(owner())
    const id = await refreshTokenId(token, SECRET)
    expect(id).not.toContain(token.slice(43))
    expect(id).toBe(await refreshTokenId(token, SECRET))
    expect(id).not.toBe(await refreshTokenId(token, 't'.repeat(64)))
    // Renaming the owner changes the id: names cannot be swapped onto another token's secret.
    const renamed = generateRefreshToken(owner()).slice(0, 43) + token.slice(43)
    expect(await refreshTokenId(renamed, SECRET)).not.toBe(id)
  })

  it('have one successor each, of the same owner and shape, never their own id', async () => {
    for (const token of [
      generateRefreshToken(owner()),
      generateRefreshToken({ sessionId: 'x', userId: 'y' }),
    ]) {
      const next = await successorOf(token, SECRET)
      expect(next).toBe(await successorOf(token, SECRET))
      expect(isWellFormedRefreshToken(next)).toBe(true)
      expect(next).toHaveLength(token.length)
      expect(refreshTokenOwner(next)).toEqual(refreshTokenOwner(token))
      expect(next).not.toBe(token)
      expect(next.slice(-43)).not.toBe(await refreshTokenId(token, SECRET))
      expect(await successorOf(token, 't'.repeat(64))).not.toBe(next)
    }
  })
})
