// One refresh at a time across the tabs of one browser: a Web Lock serialises the refreshes,
// and a BroadcastChannel hands each new access token (or a sign-out) to the other tabs, so a tab
// that waited for the lock usually finds a fresh token and need not call /token at all.

export type TabMessage =
  { type: 'token'; accessToken: string; expiresAt: number } | { type: 'signedOut' }

type Locks = {
  request<T>(name: string, options: { signal?: AbortSignal }, fn: () => Promise<T>): Promise<T>
  request<T>(
    name: string,
    options: { ifAvailable: true },
    fn: (lock: unknown) => Promise<T>,
  ): Promise<T>
}

/** How long a tab that waited for the lock listens for the holder's token before refreshing. */
const HANDOFF_MS = 100

/** With `shared` false (token mode), a client keeps to itself: no channel, no lock. */
export function tabSync(
  name: string,
  lockTimeoutMs: number,
  shared: boolean,
  onMessage: (m: TabMessage) => void,
) {
  const channel =
    shared && typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : null
  const locks = shared ? (globalThis.navigator as { locks?: Locks } | undefined)?.locks : undefined
  let heard: (() => void) | undefined
  if (channel) {
    channel.onmessage = (event: MessageEvent<TabMessage>) => {
      onMessage(event.data)
      heard?.()
    }
  }

  return {
    publish(message: TabMessage) {
      channel?.postMessage(message)
    },

    /**
     * Runs `fn` holding the lock. A tab that had to wait and still has no `fresh` token gives
     * the holder's broadcast a moment to land, so `fn` finds the token and need not refresh. A
     * lock not granted within the timeout (a tab hung mid-refresh) is given up on: `fn` runs.
     */
    async exclusive<T>(fn: () => Promise<T>, fresh: () => boolean): Promise<T> {
      if (!locks) return fn()
      const free = await locks.request(name, { ifAvailable: true }, async (lock) =>
        lock ? { value: await fn() } : null,
      )
      if (free) return free.value
      const signal = AbortSignal.timeout(lockTimeoutMs)
      let started = false
      try {
        return await locks.request(name, { signal }, async () => {
          started = true
          if (fresh()) return fn()
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, HANDOFF_MS)
            heard = () => {
              clearTimeout(timer)
              resolve()
            }
          })
          heard = undefined
          return fn()
        })
      } catch (err) {
        if (!started && signal.aborted) return fn()
        throw err
      }
    },

    close() {
      channel?.close()
    },
  }
}
