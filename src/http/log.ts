// The middleware every request goes through: its id, the security headers, one scrubbed `request`
// log line.
import type { MiddlewareHandler } from 'hono'
import { type AppEnv, settings } from '../env'
import { now } from '../clock'
import { type Level, logs, scrub, setLogLevel, write } from '../log'
import { setSecurityHeaders } from './security-headers'

/** Rounds of percent-decoding a logged path gets; one nested deeper is not logged at all. */
const MAX_DECODE_ROUNDS = 8

/**
 * A request path as logged: every percent-escape decoded, byte by byte and repeatedly (so neither
 * a malformed escape nor double encoding hides a token), then scrubbed. A path still encoded
 * after that many rounds is replaced whole: failing closed costs a log line, not a token.
 */
function scrubPath(path: string): string {
  if (!path.includes('%')) return scrub(path)
  let decoded = path
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = decoded.replace(/%([0-9a-f]{2})/gi, (_, hex: string) =>
      String.fromCharCode(parseInt(hex, 16)),
    )
    if (next === decoded) return scrub(decoded)
    decoded = next
  }
  return '[redacted]'
}

/** The most a client-sent X-Request-Id may be; longer ones are replaced. */
const REQUEST_ID_MAX_LENGTH = 64

/**
 * The request id: the client's X-Request-Id when it is a short, plain label, else a fresh UUID.
 * Anything token-shaped is replaced, because the id is written on every log line and echoed.
 */
function requestIdOf(sent: string | undefined): string {
  const usable =
    sent !== undefined &&
    sent.length <= REQUEST_ID_MAX_LENGTH &&
    /^[\w.-]+$/.test(sent) &&
    scrub(sent) === sent
  return usable ? sent : crypto.randomUUID()
}

/**
 * What every request goes through, as one middleware rather than three (each layer is a closure
 * and a promise on every request): its id, then, once answered, the security headers and the id
 * on the response (whoever built it: a handler, onError, the CORS preflight) and one `request`
 * log line: method, path (scrubbed; never the query), status, duration, user. With RATE_LIMITS
 * off, every line is a warning that says so, so it cannot go unnoticed. LOG_LEVEL=warn keeps
 * only the lines of 4xx and 5xx answers (and every other warning and error).
 */
export const everyRequest: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = now()
  const requestId = requestIdOf(c.req.header('X-Request-Id'))
  c.set('requestId', requestId)
  const config = settings(c.env)
  setLogLevel(config.logLevel)
  await next()
  const res = c.res
  const headers = res.headers
  setSecurityHeaders(headers)
  headers.set('X-Request-Id', requestId)
  const status = res.status
  // An invalid RATE_LIMITS is reported by the routes that read it, not here.
  const unthrottled = config.rateLimitsOff
  const level: Level = status >= 500 ? 'error' : status >= 400 || unthrottled ? 'warn' : 'info'
  // Below LOG_LEVEL: not even the line's fields are made. With RATE_LIMITS off, every line is
  // written whatever LOG_LEVEL says: that must not go unnoticed.
  if (!unthrottled && !logs(level)) return
  write(
    level,
    'request',
    {
      requestId,
      method: c.req.method,
      path: scrubPath(c.req.path),
      status,
      durationMs: now() - started,
      userId: c.get('user')?.id,
      rateLimits: unthrottled ? 'off' : undefined,
      logLevel: config.logLevelInvalid ? 'invalid' : undefined,
    },
    unthrottled,
  )
}
