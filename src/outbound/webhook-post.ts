// Webhook deliveries' outbound POST: fetch.ts's URL rules (https, a named host, no userinfo, no
// port, no IP literal), plus names that only resolve inside a network, checked when an endpoint
// is registered and again before every attempt. Never follows a redirect (a 3xx is a failure),
// stops at a time cap, and reads nothing of the answer but its status.
import { checkOutboundUrl, OutboundError } from './fetch'

/** Ten seconds for a receiver to answer; then the attempt failed and is retried later. */
export const WEBHOOK_TIMEOUT_MS = 10_000

/**
 * Suffixes of names that are private by definition or by wide convention (RFC 6761 `localhost`,
 * RFC 6762 `.local`, RFC 8375 `.home.arpa`, ICANN's reserved `.internal`, common intranet ones).
 * A public name that resolves to a private address is the platform's to refuse (docs).
 */
const PRIVATE_SUFFIXES = [
  '.localhost',
  '.local',
  '.internal',
  '.home.arpa',
  '.lan',
  '.intranet',
  '.corp',
  '.private',
  '.test',
  '.invalid',
  '.example',
  '.onion',
]

/**
 * Checks `raw` is a URL webhooks may target, or throws OutboundError('url_refused'). With
 * `allowLoopback` (WEBHOOKS_ALLOW_LOOPBACK, local development and tests), a loopback host over
 * http or https too; never a private or link-local one.
 */
export function checkWebhookUrl(raw: string, allowLoopback = false): URL {
  const url = checkOutboundUrl(raw, allowLoopback)
  const host = url.hostname.toLowerCase()
  if (url.protocol === 'https:' && PRIVATE_SUFFIXES.some((suffix) => `.${host}`.endsWith(suffix))) {
    throw new OutboundError('url_refused', `${url.protocol}//${url.host}${url.pathname}`)
  }
  return url
}

export type WebhookPostOptions = {
  allowLoopback?: boolean
  timeoutMs?: number
  /** The fetch to call; tests may pass a double. Default: the global fetch. */
  fetcher?: typeof fetch
}

/**
 * POSTs `body` to `raw` with `headers`. Resolves with the status of a 2xx answer; throws
 * OutboundError for anything else: url_refused, redirect_refused, http_status (with the status),
 * timeout, network. The answer's body is cancelled unread: nothing of it is kept or logged.
 */
export async function postWebhook(
  raw: string,
  body: string,
  headers: Record<string, string>,
  options: WebhookPostOptions = {},
): Promise<number> {
  const url = checkWebhookUrl(raw, options.allowLoopback)
  const target = `${url.protocol}//${url.host}${url.pathname}`
  const signal = AbortSignal.timeout(options.timeoutMs ?? WEBHOOK_TIMEOUT_MS)
  const fetcher = options.fetcher ?? fetch
  let res: Response
  try {
    res = await fetcher(url, {
      method: 'POST',
      headers: {
        'user-agent': 'edge-auth-webhooks',
        'content-type': 'application/json',
        ...headers,
      },
      body,
      redirect: 'manual',
      signal,
    })
  } catch (err) {
    const aborted =
      signal.aborted ||
      (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    throw new OutboundError(aborted ? 'timeout' : 'network', target)
  }
  await res.body?.cancel().catch(() => {})
  if (res.status >= 300 && res.status < 400) {
    throw new OutboundError('redirect_refused', target, res.status)
  }
  if (res.status < 200 || res.status >= 300) {
    throw new OutboundError('http_status', target, res.status)
  }
  return res.status
}
