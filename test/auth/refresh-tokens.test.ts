import { describe, expect, it } from 'vitest'
import {
  generateRefreshToken,
  isWellFormedRefreshToken,
  refreshTokenId,
  successorOf,
} from '../../src/auth/refresh-tokens'

const SECRET = 's'.repeat(64)

describe('refresh tokens', () => {
  it('are 32 random bytes as 43 base64url characters', () => {
    const tokens = new Set(Array.from({ length: 50 }, generateRefreshToken))
    expect(tokens.size).toBe(50)
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(isWellFormedRefreshToken(token)).toBe(true)
    }
  })

  it('refuses anything that is not exactly that shape', () => {
    const token = generateRefreshToken()
    for (const bad of ['', token.slice(1), `${token}A`, `${token.slice(0, 42)}+`, 'eyJ.x.y']) {
      expect(isWellFormedRefreshToken(bad)).toBe(false)
    }
  })

  it('are stored under an HMAC digest that reveals nothing of the token', async () => {
    const token = generateRefreshToken()
    const id = await refreshTokenId(token, SECRET)
    expect(id).not.toContain(token)
    expect(id).toBe(await refreshTokenId(token, SECRET))
    expect(id).not.toBe(await refreshTokenId(token, 't'.repeat(64)))
  })

  it('have one successor each, which is itself a well-formed token and never its own id', async () => {
    const token = generateRefreshToken()
    const next = await successorOf(token, SECRET)
    expect(next).toBe(await successorOf(token, SECRET))
    expect(isWellFormedRefreshToken(next)).toBe(true)
    expect(next).not.toBe(token)
    expect(next).not.toBe(await refreshTokenId(token, SECRET))
    expect(await successorOf(token, 't'.repeat(64))).not.toBe(next)
  })
})
