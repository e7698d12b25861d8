import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { KV_MIN_EXPIRATION_TTL_SECONDS } from '../../src/env'
import { kvKeys } from '../../src/store/keys'
import { endedByRevocation, sessionStore } from '../../src/store/sessions'

const sessions = sessionStore(env.REFRESH_TOKENS)

describe('session store (KV)', () => {
  it('stores refresh-token records under their id, with the KV prefix from keys.ts', async () => {
    const id = crypto.randomUUID()
    const record = {
      userId: 'u',
      familyId: 'f',
      createdAt: Date.now(),
      expiresAt: Date.now() + 3_600_000,
    }
    await sessions.putRefreshToken(id, record)
    expect(await sessions.getRefreshToken(id)).toEqual(record)
    expect(await env.REFRESH_TOKENS.get(kvKeys.refreshToken(id), 'json')).toEqual(record)
  })

  it('never asks KV for a TTL under its 60 s floor, even for a nearly expired record', async () => {
    const put = vi.spyOn(env.REFRESH_TOKENS, 'put')
    try {
      const soon = {
        userId: 'u',
        familyId: 'f',
        createdAt: Date.now(),
        expiresAt: Date.now() + 5_000,
      }
      await sessions.putRefreshToken(crypto.randomUUID(), soon)
      await sessions.putRefreshToken(crypto.randomUUID(), {
        ...soon,
        expiresAt: Date.now() - 5_000,
      })
      const long = { ...soon, expiresAt: Date.now() + 14 * 24 * 3_600_000 }
      await sessions.putRefreshToken(crypto.randomUUID(), long)
      const ttls = put.mock.calls.map(([, , options]) => options?.expirationTtl)
      expect(ttls.slice(0, 2)).toEqual([
        KV_MIN_EXPIRATION_TTL_SECONDS,
        KV_MIN_EXPIRATION_TTL_SECONDS,
      ])
      expect(ttls[2]).toBe(14 * 24 * 3600)
    } finally {
      put.mockRestore()
    }
  })

  it('revokes a family by deleting its session record', async () => {
    const sessionId = crypto.randomUUID()
    const record = {
      userId: 'u',
      username: 'n',
      createdAt: Date.now(),
      expiresAt: Date.now() + 3_600_000,
    }
    await sessions.putSession(sessionId, record)
    expect(await sessions.getSession(sessionId)).toEqual(record)
    await sessions.revokeFamily(sessionId)
    expect(await sessions.getSession(sessionId)).toBeNull()
  })

  it('marks every session of a user as ended before a time, with one record', async () => {
    const userId = crypto.randomUUID()
    expect(await sessions.getRevokedBefore(userId)).toBeNull()
    const at = Date.now()
    await sessions.putRevokedBefore(userId, at, 3_600_000)
    expect(await sessions.getRevokedBefore(userId)).toBe(at)
    const session = { userId, username: 'u', createdAt: at - 1, expiresAt: at + 60_000 }
    expect(endedByRevocation(session, at)).toBe(true)
    expect(endedByRevocation({ ...session, validFrom: at + 1 }, at)).toBe(false)
    expect(endedByRevocation({ ...session, createdAt: at + 1 }, at)).toBe(false)
    expect(endedByRevocation(session, null)).toBe(false)
  })
})
