// Fixed interleavings for D1 store doubles, which have no keys to match (PausingKV has them).

/**
 * Wraps a store double so a test can stop a request before a chosen method (D1's stores have
 * no keys to match, so this pauses by method), run others in the gap, then let it go on.
 */
export function pausable<T extends object>(target: T) {
  type Gate = { reached: () => void; released: Promise<void> }
  const before = new Map<PropertyKey, Gate[]>()
  const after = new Map<PropertyKey, Gate[]>()
  const wait = async (gate: Gate | undefined) => {
    if (!gate) return
    gate.reached()
    await gate.released
  }
  const proxy = new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop)
      if (typeof value !== 'function') return value
      return async (...args: unknown[]) => {
        await wait(before.get(prop)?.shift())
        const result: unknown = await (value as (...a: unknown[]) => unknown).apply(obj, args)
        await wait(after.get(prop)?.shift())
        return result
      }
    },
  })
  const gate = (gates: Map<PropertyKey, Gate[]>, method: PropertyKey) => {
    let reached!: () => void
    let release!: () => void
    const reachedP = new Promise<void>((resolve) => (reached = resolve))
    const released = new Promise<void>((resolve) => (release = resolve))
    gates.set(method, [...(gates.get(method) ?? []), { reached, released }])
    return { reached: reachedP, release }
  }
  return {
    proxy,
    /** Stops the next call of `method` before it runs. */
    pauseBefore: (method: keyof T & string) => gate(before, method),
    /** Stops the next call of `method` after it has run, before its caller sees the result. */
    pauseAfter: (method: keyof T & string) => gate(after, method),
  }
}
