// The one source of time, so fake timers drive every TTL and expiry in tests.

/** Milliseconds since the epoch. */
export const now = (): number => Date.now()

/** Whole seconds since the epoch, as JWT claims use. */
export const nowSeconds = (): number => Math.floor(now() / 1000)
