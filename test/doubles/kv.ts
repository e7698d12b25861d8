// KV doubles for service-level tests, beside (never instead of) the real-binding route tests.
// Each holds what KV promises and no more: values expire by TTL, a TTL under 60 s is refused,
// there is no compare-and-set, and (LaggingKV) a read may miss recent writes made elsewhere.
import { KV_MIN_EXPIRATION_TTL_SECONDS } from '../../src/env'

type Entry = { value: string | null; expiresAt: number; writtenAt: number }

/** The part of KVNamespace the stores use. */
export type KvLike = Pick<KVNamespace, 'get' | 'put' | 'delete'>

const live = (entry: Entry | undefined): string | null =>
  entry && entry.value !== null && entry.expiresAt > Date.now() ? entry.value : null

function entryOf(value: string | null, options?: KVNamespacePutOptions): Entry {
  const ttl = options?.expirationTtl
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < KV_MIN_EXPIRATION_TTL_SECONDS)) {
    throw new Error(`KV PUT failed: 400 Invalid expiration_ttl of ${ttl}`)
  }
  const now = Date.now()
  return { value, expiresAt: ttl === undefined ? Infinity : now + ttl * 1000, writtenAt: now }
}

const decode = (value: string | null, type?: unknown) =>
  value === null
    ? null
    : type === 'json' || (type as { type?: string })?.type === 'json'
      ? JSON.parse(value)
      : value

/**
 * One consistent location: every read sees every write. With `sameKeyWriteIntervalMs`, a write
 * to a key written less than that long ago is refused, as production KV may refuse more than
 * about one write a second per key (miniflare never does).
 */
export class MemoryKV implements KvLike {
  protected readonly log: { key: string; entry: Entry }[] = []

  constructor(private readonly options: { sameKeyWriteIntervalMs?: number } = {}) {}

  // The overloads of KVNamespace.get are many; the stores use get(key or keys, 'json') only.
  get = (async (key: string | string[], type?: unknown) =>
    Array.isArray(key)
      ? new Map(key.map((k) => [k, decode(this.read(k), type)]))
      : decode(this.read(key), type)) as KvLike['get']

  async put(key: string, value: unknown, options?: KVNamespacePutOptions): Promise<void> {
    if (typeof value !== 'string') throw new Error('this double stores strings only')
    const interval = this.options.sameKeyWriteIntervalMs
    const last = this.log.findLast((write) => write.key === key)
    if (interval !== undefined && last && Date.now() - last.entry.writtenAt < interval) {
      throw new Error('KV PUT failed: 429 Too Many Requests')
    }
    this.log.push({ key, entry: entryOf(value, options) })
  }

  async delete(key: string): Promise<void> {
    this.log.push({ key, entry: { value: null, expiresAt: Infinity, writtenAt: Date.now() } })
  }

  /** The value every location will read once writes have spread: for assertions. */
  peek<T>(key: string): T | null {
    return decode(this.latest(key, this.log.length), 'json') as T | null
  }

  /** Every write so far, oldest first. */
  get writes(): readonly { key: string; value: string | null }[] {
    return this.log.map(({ key, entry }) => ({ key, value: entry.value }))
  }

  protected read(key: string): string | null {
    return this.latest(key, this.log.length)
  }

  /** The key's live value counting only writes before `end`, or those `visible` allows. */
  protected latest(key: string, end: number, visible = (_i: number) => true): string | null {
    for (let i = end - 1; i >= 0; i--) {
      const write = this.log[i]!
      if (write.key === key && visible(i)) return live(write.entry)
    }
    return null
  }
}

/** How long a write may stay unseen in another location (KV: "up to 60 seconds"). */
export const MAX_LAG_MS = 60_000

/**
 * A location that lags: each read misses up to `lag` of the most recent writes, as long as
 * they are younger than MAX_LAG_MS, so it may serve a key's older value or none at all.
 * Writes land everywhere (they are never lost), as KV's do.
 */
export class LaggingKV extends MemoryKV {
  /** How many of the latest writes the next reads miss; 0 reads like the primary. */
  lag = 0

  protected override read(key: string): string | null {
    const hiddenFrom = this.log.length - this.lag
    const now = Date.now()
    return this.latest(
      key,
      this.log.length,
      (i) => i < hiddenFrom || now - this.log[i]!.entry.writtenAt >= MAX_LAG_MS,
    )
  }
}

type Op = 'get' | 'put' | 'delete'

/**
 * A consistent KV that can stop a request before a chosen operation, so a test can run another
 * request to completion in the gap and then let the first go on: a race with a fixed order.
 */
export class PausingKV extends MemoryKV {
  private gates: { op: Op; prefix: string; reached: () => void; released: Promise<void> }[] = []

  /** Pauses the next `op` on a key starting with `prefix` until `release` is called. */
  pauseBefore(op: Op, prefix: string): { reached: Promise<void>; release: () => void } {
    let reached!: () => void
    let release!: () => void
    const reachedP = new Promise<void>((resolve) => (reached = resolve))
    const released = new Promise<void>((resolve) => (release = resolve))
    this.gates.push({ op, prefix, reached, released })
    return { reached: reachedP, release }
  }

  override get = (async (key: string | string[], type?: unknown) => {
    const keys = [key].flat()
    for (const k of keys) await this.gate('get', k)
    return Array.isArray(key)
      ? new Map(keys.map((k) => [k, decode(this.read(k), type)]))
      : decode(this.read(key), type)
  }) as KvLike['get']

  override async put(key: string, value: unknown, options?: KVNamespacePutOptions) {
    await this.gate('put', key)
    return super.put(key, value, options)
  }

  override async delete(key: string) {
    await this.gate('delete', key)
    return super.delete(key)
  }

  private async gate(op: Op, key: string): Promise<void> {
    const index = this.gates.findIndex((g) => g.op === op && key.startsWith(g.prefix))
    if (index < 0) return
    const [gate] = this.gates.splice(index, 1)
    gate!.reached()
    await gate!.released
  }
}
