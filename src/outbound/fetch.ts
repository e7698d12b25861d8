// The only code that fetches another host (OIDC discovery, JWKS, token endpoints; later client
// metadata documents and webhooks). Every request is https to a named host on the default port,
// never follows a redirect, and stops at a time and a size cap; every failure is an
// OutboundError with a stable reason, which callers answer with a 502 or 503, never a 500.

/** Why an outbound request failed. Stable: logs, tests and callers' mappings key on it. */
export type OutboundReason =
  /** The URL is not one we fetch: not https, userinfo, an IP address, a port, a fragment. */
  | 'url_refused'
  /** The host answered with a redirect; we never follow one. */
  | 'redirect_refused'
  /** No complete answer within the time cap. */
  | 'timeout'
  /** The answer is larger than the size cap. */
  | 'too_large'
  /** JSON was asked for and the answer is not JSON (type or body). */
  | 'not_json'
  /** The host answered with a status the caller did not accept. */
  | 'http_status'
  /** DNS, TLS, connection or stream failure. */
  | 'network'

/** An outbound request that failed. Names the target without its query, never a body or secret. */
export class OutboundError extends Error {
  constructor(
    readonly reason: OutboundReason,
    /** The target's origin and path (the query may carry codes, so it is left out). */
    readonly target: string,
    /** The answer's status, when there was one. */
    readonly upstreamStatus?: number,
  ) {
    super(`outbound request to ${target} failed: ${reason}`)
    this.name = 'OutboundError'
  }

  /**
   * What our own answer should be: 503 when the other host may recover by itself (slow, down,
   * unreachable, a 5xx), 502 when it answered something we refuse.
   */
  get status(): 502 | 503 {
    if (this.reason === 'timeout' || this.reason === 'network') return 503
    if (this.reason === 'http_status' && (this.upstreamStatus ?? 0) >= 500) return 503
    return 502
  }
}

/** Five seconds: a provider slower than this is down as far as a sign-in is concerned. */
export const OUTBOUND_TIMEOUT_MS = 5_000

/**
 * 256 KiB: discovery documents and key sets are a few KiB (Google's and Microsoft's under 10);
 * the cap keeps a hostile or broken host from filling the isolate's 128 MB.
 */
export const OUTBOUND_MAX_BYTES = 256 * 1024

export type OutboundOptions = {
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  /** A form (token endpoints) or a JSON string. */
  body?: URLSearchParams | string
  /**
   * Also allow a loopback host (localhost, 127.0.0.0/8, [::1]), over http too: for a provider
   * configured on a loopback issuer, in local development and tests only.
   */
  allowLoopback?: boolean
  timeoutMs?: number
  maxBytes?: number
  /** Statuses besides 2xx to hand back rather than refuse (an OAuth token endpoint's 400). */
  acceptStatus?: number[]
  /** The fetch to call; tests may pass a double. Default: the global fetch. */
  fetcher?: typeof fetch
}

export type OutboundResponse = { status: number; headers: Headers; body: Uint8Array }

/** Hosts that name this machine. `URL` has already turned 0x7f.1 or 2130706433 into 127.0.0.1. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host)
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/

/** Origin and path, for errors and logs: no query, no credentials. */
function describe(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`
}

/**
 * Parses `raw` and checks it is a URL we fetch, or throws OutboundError('url_refused').
 * - https only; http only for a loopback host when `allowLoopback` says this is development.
 * - No userinfo (`https://ok@evil.example` reads as ok but goes to evil) and no fragment.
 * - No IP-address hosts: providers have names, an https certificate for a bare address is rare,
 *   and it is how SSRF reaches 169.254.169.254 or 10.0.0.0/8. Loopback ones only in development.
 * - No explicit port (other than the scheme's own) except on loopback: identity providers serve
 *   on 443, and a port is how SSRF reaches a service that was never meant to be public.
 *   Production Workers also only connect to a small set of ports on proxied hosts.
 */
export function checkOutboundUrl(raw: string | URL, allowLoopback = false): URL {
  const text = String(raw)
  if (!URL.canParse(text)) throw new OutboundError('url_refused', '(unparsable URL)')
  const url = new URL(text)
  const refuse = () => new OutboundError('url_refused', describe(url))
  if (url.username !== '' || url.password !== '' || text.includes('#')) throw refuse()
  const loopback = isLoopbackHost(url.hostname)
  if (loopback) {
    if (!allowLoopback) throw refuse()
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse()
    return url
  }
  if (url.protocol !== 'https:' || url.port !== '') throw refuse()
  const host = url.hostname
  if (IPV4.test(host) || host.startsWith('[') || !host.includes('.') || host.endsWith('.')) {
    throw refuse()
  }
  return url
}

/** Reads at most `maxBytes` of `body`, cancelling the stream past it. */
async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  target: string,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array()
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw new OutboundError('too_large', target)
    }
    chunks.push(value)
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

const isAbort = (err: unknown) =>
  err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')

/**
 * Fetches `raw` under the rules above and returns its whole (capped) body. Throws OutboundError
 * for anything but an accepted status with a body within the cap, received within the time cap.
 */
export async function fetchOutbound(
  raw: string | URL,
  options: OutboundOptions = {},
): Promise<OutboundResponse> {
  const url = checkOutboundUrl(raw, options.allowLoopback)
  const target = describe(url)
  const maxBytes = options.maxBytes ?? OUTBOUND_MAX_BYTES
  // One signal for the request and the body: a host that trickles its body is as slow as one
  // that never answers.
  const signal = AbortSignal.timeout(options.timeoutMs ?? OUTBOUND_TIMEOUT_MS)
  const fetcher = options.fetcher ?? fetch
  try {
    const res = await fetcher(url, {
      method: options.method ?? 'GET',
      headers: { 'user-agent': 'edge-auth', ...options.headers },
      body: options.body,
      redirect: 'manual',
      signal,
    })
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => {})
      throw new OutboundError('redirect_refused', target, res.status)
    }
    const accepted =
      (res.status >= 200 && res.status < 300) || (options.acceptStatus ?? []).includes(res.status)
    if (!accepted) {
      await res.body?.cancel().catch(() => {})
      throw new OutboundError('http_status', target, res.status)
    }
    const declared = Number(res.headers.get('content-length') ?? NaN)
    if (declared > maxBytes) {
      await res.body?.cancel().catch(() => {})
      throw new OutboundError('too_large', target, res.status)
    }
    const body = await readCapped(res.body, maxBytes, target)
    return { status: res.status, headers: res.headers, body }
  } catch (err) {
    if (err instanceof OutboundError) throw err
    if (signal.aborted || isAbort(err)) throw new OutboundError('timeout', target)
    throw new OutboundError('network', target)
  }
}

/** `application/json`, or a JSON-based type such as `application/jwk-set+json`. */
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i

export type OutboundJson = { status: number; headers: Headers; json: unknown }

/** fetchOutbound for a JSON answer: refuses any other content type or a body that does not parse. */
export async function fetchJson(
  raw: string | URL,
  options: OutboundOptions = {},
): Promise<OutboundJson> {
  const res = await fetchOutbound(raw, {
    ...options,
    headers: { accept: 'application/json', ...options.headers },
  })
  const target = describe(new URL(String(raw)))
  if (!JSON_TYPE.test(res.headers.get('content-type') ?? '')) {
    throw new OutboundError('not_json', target, res.status)
  }
  try {
    const json: unknown = JSON.parse(
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(res.body),
    )
    return { status: res.status, headers: res.headers, json }
  } catch {
    throw new OutboundError('not_json', target, res.status)
  }
}
