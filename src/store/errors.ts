// The one error a store throws when its binding fails (unavailable, over a limit, timed out).

export class StorageError extends Error {
  constructor(
    readonly store: 'd1' | 'kv' | 'queue',
    readonly operation: string,
    cause: unknown,
  ) {
    super(`${store} ${operation} failed`, { cause })
    this.name = 'StorageError'
  }
}

/** Runs one binding call; any failure becomes a StorageError naming the store and operation. */
export async function guarded<T>(
  store: 'd1' | 'kv' | 'queue',
  operation: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call()
  } catch (err) {
    throw new StorageError(store, operation, err)
  }
}
