// What a D1 failure means, for the stores that must tell a conflict from an outage.

/** D1 reports a unique-index (or primary-key) violation only through its message. */
export const isUniqueViolation = (err: unknown): boolean =>
  err instanceof Error && /UNIQUE constraint failed/i.test(err.message)
