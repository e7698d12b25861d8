import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { KV_MIN_EXPIRATION_TTL_SECONDS } from '../../src/env'
import { kvKeys } from '../../src/store/keys'
import { isEnded, sessionStore } from '../../src/store/sessions'

const sessions = sessionStore(env.REFRESH_TOKENS)
const HOUR = 3_600_000

const ttlsOf = (put: { mock: { calls: unknown[][] } }) =>
  put.mock.calls.map((call) => (call[2] as KVNamespacePutOptions).expirationTtl)

describe('session store (KV)', () => {
  it('stores refresh-token records under their id, with the KV prefix from keys.ts', async () => {
    const id = crypto.randomUUID()
    const record = {
      userId: 'u',
      familyId: 'f',
      createdAt: Date.now(),
      expiresAt: Date.now() + HOUR,
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
      await sessions.putRefreshToken(crypto.randomUUID(), {
        ...soon,
        expiresAt: Date.now() + 14 * 24 * HOUR,
      })
      expect(ttlsOf(put)).toEqual([
        KV_MIN_EXPIRATION_TTL_SECONDS,
        KV_MIN_EXPIRATION_TTL_SECONDS,
        14 * 24 * 3600,
      ])
    } finally {
      put.mockRestore()
    }
  })

  it('keeps a refresh-token record until `keepUntil` when that is later than its expiry', async () => {
    const put = vi.spyOn(env.REFRESH_TOKENS, 'put')
    try {
      const at = Date.now()
      const record = { userId: 'u', familyId: 'f', createdAt: at, expiresAt: at + HOUR }
      await sessions.putRefreshToken(crypto.randomUUID(), record, at + 2 * HOUR)
      expect(ttlsOf(put)).toEqual([7200])
    } finally {
      put.mockRestore()
    }
  })

  it('ends a session by writing a tombstone over it, kept for as long as asked', async () => {
    const sessionId = crypto.randomUUID()
    const at = Date.now()
    const live = { userId: 'u', username: 'n', createdAt: at, expiresAt: at + HOUR }
    await sessions.putSession(sessionId, live)
    const stored = await sessions.getSession(sessionId)
    expect(stored).toEqual(live)
    expect(isEnded(stored!)).toBe(false)

    const put = vi.spyOn(env.REFRESH_TOKENS, 'put')
    const remove = vi.spyOn(env.REFRESH_TOKENS, 'delete')
    try {
      const tombstone = { userId: 'u', endedAt: at, reason: 'logout' as const }
      await sessions.endSession(sessionId, tombstone, at + 30 * 24 * HOUR)
      const ended = await sessions.getSession(sessionId)
      expect(ended).toEqual(tombstone)
      expect(isEnded(ended!)).toBe(true)
      expect(ttlsOf(put)).toEqual([30 * 24 * 3600])
      // Ending is a write that stays, never a delete that a later write could undo.
      expect(remove).not.toHaveBeenCalled()
    } finally {
      vi.restoreAllMocks()
    }
  })

  it('stores one revocation mark per user, with the session it keeps', async () => {
    const userId = crypto.randomUUID()
    expect(await sessions.getRevocation(userId)).toBeNull()
    const at = Date.now()
    await sessions.putRevocation(userId, { at, keep: 's1' }, at + HOUR)
    expect(await sessions.getRevocation(userId)).toEqual({ at, keep: 's1' })
    await sessions.putRevocation(userId, { at: at + 1 }, at + HOUR)
    expect(await sessions.getRevocation(userId)).toEqual({ at: at + 1 })
    expect(await env.REFRESH_TOKENS.get(kvKeys.revokedBefore(userId), 'json')).toEqual({
      at: at + 1,
    })
  })
})
