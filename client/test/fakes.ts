// Test doubles for the SDK's unit tests: a scripted API (the real worker is exercised in
// client/test/browser.test.ts) and the browser's Web Locks, which Node lacks.

type Handler = (req: Request) => Response | Promise<Response>

/** An API whose routes the test scripts; it records every request, in order. */
export function fakeApi(routes: Record<string, Handler>) {
  const requests: Request[] = []
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init)
    requests.push(req.clone())
    const { pathname } = new URL(req.url)
    const handler = routes[`${req.method} ${pathname}`]
    if (!handler) return problem(404, 'not_found')
    return handler(req)
  }
  const count = (route: string) =>
    requests.filter((r) => `${r.method} ${new URL(r.url).pathname}` === route).length
  return { fetch: fetch as typeof globalThis.fetch, requests, count }
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  })

export const problem = (status: number, code: string, headers: Record<string, string> = {}) =>
  new Response(
    JSON.stringify({
      type: `urn:edge-auth:problem:${code}`,
      title: 'x',
      status,
      detail: code,
      code,
    }),
    { status, headers: { 'Content-Type': 'application/problem+json', ...headers } },
  )

let counter = 0
/** An access token shaped as a JWT whose payload holds `claims` (the signature is not checked). */
export const accessToken = (claims: Record<string, unknown> = ALICE) =>
  `at-${++counter}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`

export const ALICE = { sub: 'u-alice', username: 'alice', sid: 's1', amr: ['pwd'] }

/** An access token answer, as /login and /token give in cookie mode. */
export const accessAnswer = (expiresIn = 20, claims: Record<string, unknown> = ALICE) =>
  json({ accessToken: accessToken(claims), tokenType: 'Bearer', expiresIn })

/** POST /session/resume's answers: signed out, or a session (as accessAnswer). */
export const resumeAnswer = (claims?: Record<string, unknown>) =>
  json(
    claims
      ? { signedIn: true, accessToken: accessToken(claims), tokenType: 'Bearer', expiresIn: 20 }
      : { signedIn: false },
  )

/**
 * Web Locks as browsers implement the part the SDK uses: exclusive, FIFO, `ifAvailable`, and a
 * `signal` that gives up waiting. Shared by every client in the process, as by a browser's tabs.
 */
export function installFakeLocks() {
  const held = new Set<string>()
  const queues = new Map<string, (() => void)[]>()
  const release = (name: string) => {
    const next = queues.get(name)?.shift()
    if (next) next()
    else held.delete(name)
  }
  const locks = {
    async request<T>(
      name: string,
      options: { ifAvailable?: boolean; signal?: AbortSignal },
      fn: (lock: unknown) => Promise<T>,
    ): Promise<T> {
      if (options.ifAvailable && held.has(name)) return fn(null)
      if (held.has(name)) {
        await new Promise<void>((resolve, reject) => {
          const queue = queues.get(name) ?? []
          queues.set(name, queue)
          const grant = () => resolve()
          queue.push(grant)
          options.signal?.addEventListener('abort', () => {
            const waiting = queue.indexOf(grant)
            if (waiting === -1) return // granted already: the abort comes too late
            queue.splice(waiting, 1)
            reject(options.signal!.reason)
          })
        })
      } else held.add(name)
      try {
        return await fn({ name })
      } finally {
        release(name)
      }
    },
    /** Holds `name` until the returned function is called: a tab hung mid-refresh. */
    hold(name: string): () => void {
      let let_go!: () => void
      void locks.request(name, {}, () => new Promise<void>((resolve) => (let_go = resolve)))
      return () => let_go()
    },
  }
  Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true })
  return locks
}
