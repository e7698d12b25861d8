// Counts a request's sequential storage round trips on the real bindings (Miniflare's KV and D1):
// every call is held until the test lets the whole round go, and calls made while a round is out
// belong to the next one. Deterministic: what counts is what waits on what, not how long it took.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import worker from '../../src/index'
import type { Bindings } from '../../src/env'

type Held = { run: () => void; what: string }

/** `overrides`: more bindings for the worker (a provider's settings), storage is still held. */
export function roundTrips(overrides: Partial<Bindings> = {}) {
  let held: Held[] = []
  let holding = true
  const hold = <T>(what: string, call: () => Promise<T>): Promise<T> =>
    holding
      ? new Promise<T>((resolve, reject) => {
          held.push({ what, run: () => void call().then(resolve, reject) })
        })
      : call()

  const kv = (real: KVNamespace): KVNamespace =>
    new Proxy(real, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop)
        if (typeof value !== 'function') return value
        return (...args: unknown[]) =>
          hold(`kv.${String(prop)} ${String(args[0])}`, () =>
            (value as (...a: unknown[]) => Promise<unknown>).apply(target, args),
          )
      },
    })

  // D1 statements are wrapped so their terminal calls are held; batch() takes the real ones.
  const realOf = new WeakMap<object, D1PreparedStatement>()
  const statement = (real: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const wrapped = new Proxy(real, {
      get(target, prop) {
        if (prop === 'bind') {
          return (...values: unknown[]) => statement(target.bind(...values), sql)
        }
        const value: unknown = Reflect.get(target, prop)
        if (typeof value !== 'function') return value
        return (...args: unknown[]) =>
          hold(`d1 ${sql.slice(0, 40)}`, () =>
            (value as (...a: unknown[]) => Promise<unknown>).apply(target, args),
          )
      },
    })
    realOf.set(wrapped, real)
    return wrapped
  }
  const d1 = (real: D1Database): D1Database =>
    new Proxy(real, {
      get(target, prop) {
        if (prop === 'prepare') return (sql: string) => statement(target.prepare(sql), sql)
        if (prop === 'batch') {
          return (statements: D1PreparedStatement[]) =>
            hold('d1 batch', () => target.batch(statements.map((s) => realOf.get(s) ?? s)))
        }
        return Reflect.get(target, prop)
      },
    })

  const bindings = {
    ...env,
    ...overrides,
    REFRESH_TOKENS: kv(env.REFRESH_TOKENS),
    DB: d1(env.DB),
  } as Bindings

  return {
    /**
     * Sends the request through the worker on the held bindings. `rounds` lists, for each round
     * trip the response waited on, the calls made in it; work left for after the response
     * (waitUntil) is let go without being counted.
     */
    async send(request: Request): Promise<{ response: Response; rounds: string[][] }> {
      const ctx = createExecutionContext()
      let answered = false
      holding = true
      const responding = Promise.resolve(worker.fetch(request, bindings, ctx)).finally(() => {
        answered = true
      })
      const rounds: string[][] = []
      while (!answered) {
        // A macrotask: every call the last round's results lead to has been made by now.
        await new Promise((resolve) => setTimeout(resolve, 0))
        const round = held
        held = []
        if (round.length && !answered) rounds.push(round.map((h) => h.what))
        round.forEach((h) => h.run())
      }
      // What is left for after the response runs unheld.
      holding = false
      held.splice(0).forEach((h) => h.run())
      const response = await responding
      await waitOnExecutionContext(ctx)
      return { response, rounds }
    },
  }
}
