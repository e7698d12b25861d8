// Structured JSON log lines. Nothing secret may pass through: fields with secret-looking names
// are redacted and token-shaped text is scrubbed. Plain TypeScript, no Hono.
import { now } from './clock'

export type Level = 'info' | 'warn' | 'error'
type Fields = Record<string, unknown>

// Field names whose values are never written, whatever a caller passes by mistake.
const SECRET_FIELD = /pass|secret|token|authorization|hash|cookie/i

// JWTs and long base64url runs (refresh tokens, signatures) inside free text, such as error
// messages and request paths. A whole UUID (a user or session id) is not a secret and is kept.
const SECRET_TEXT = /eyJ[\w-]*\.[\w-]*\.?[\w-]*|[\w-]{32,}/g
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Replaces anything that looks like a token inside free text. */
export const scrub = (text: string): string =>
  text.replace(SECRET_TEXT, (match) => (UUID.test(match) ? match : '[redacted]'))

const RANK: Record<Level, number> = { info: 0, warn: 1, error: 2 }

/** Lines below this rank are not written: LOG_LEVEL, set for the isolate (setLogLevel). */
let threshold = 0

/**
 * Writes only lines at `level` or above from now on. Set from LOG_LEVEL by each request and each
 * queue or Cron run before it logs (every one in an isolate has the same settings).
 */
export function setLogLevel(level: Level): void {
  threshold = RANK[level]
}

/** Whether a line at `level` is written: a caller with costly fields asks first. */
export const logs = (level: Level): boolean => RANK[level] >= threshold

/**
 * One JSON line at `level`, for callers that choose the level as they go; `always` writes it
 * whatever LOG_LEVEL says (a warning that must not go unnoticed).
 */
export function write(level: Level, event: string, fields: Fields, always = false): void {
  if (!always && RANK[level] < threshold) return
  const line: Fields = { ts: new Date(now()).toISOString(), level, event }
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue
    line[key] = SECRET_FIELD.test(key) ? '[redacted]' : value
  }
  console.log(JSON.stringify(line))
}

export const log = {
  info: (event: string, fields: Fields = {}) => write('info', event, fields),
  warn: (event: string, fields: Fields = {}) => write('warn', event, fields),
  error: (event: string, fields: Fields = {}) => write('error', event, fields),
}
