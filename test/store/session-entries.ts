// A session-index row for store tests: one user's session, listed now, live for a minute.
import type { SessionEntry } from '../../src/store/session-index'

export function sessionEntry(userId: string, overrides: Partial<SessionEntry> = {}): SessionEntry {
  const at = Date.now()
  return {
    id: crypto.randomUUID(),
    userId,
    createdAt: at,
    lastUsedAt: at,
    expiresAt: at + 60_000,
    endsAt: at + 120_000,
    userAgent: null,
    country: null,
    city: null,
    grantId: null,
    ...overrides,
  }
}
