// Page cursors: where a list's page ended, as an opaque string (base64url of a small JSON value).
// The one code that writes and reads them. A cursor is the client's to hand back, never proof of
// anything: it only says where to continue within rows the caller may see, and one that is not
// well formed is 400 invalid_cursor, never a 500.
import { fromBase64Url, toBase64Url, utf8 } from '../auth/encoding'
import { ApiError } from '../errors'
import { CURSOR_MAX_LENGTH } from '../schemas'
/** The longest id a position may name (users, events, endpoints, deliveries: UUIDs or shorter). */
const POSITION_ID_MAX = 64

export const invalidCursor = () =>
  new ApiError('invalid_cursor', 'The cursor is not one this list gave; start from the first page')

export const encodeCursor = (position: unknown): string =>
  toBase64Url(utf8(JSON.stringify(position)))

/** The position a cursor names, read by `read` (null: not a position of this list), or invalid_cursor. */
export function decodeCursor<T>(cursor: string, read: (value: unknown) => T | null): T {
  const bytes = cursor.length <= CURSOR_MAX_LENGTH ? fromBase64Url(cursor) : null
  if (!bytes) throw invalidCursor()
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes))
  } catch {
    throw invalidCursor()
  }
  const position = read(value)
  if (position === null) throw invalidCursor()
  return position
}

/** An id a position may hold: a short non-empty string. */
export const isPositionId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= POSITION_ID_MAX

/** The position most lists use: a time (epoch ms) and the row's id, which orders rows at one time. */
export type TimeAndId = { at: number; id: string }

export function readTimeAndId(value: unknown): TimeAndId | null {
  if (typeof value !== 'object' || value === null) return null
  const { at, id } = value as Record<string, unknown>
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0 || !isPositionId(id)) {
    return null
  }
  return { at, id }
}

/**
 * A page from rows read one beyond `limit` (so whether another page follows is known without a
 * count or an empty last page): the rows to show, and the cursor after the last of them.
 */
export function pageOf<T>(
  rows: readonly T[],
  limit: number,
  position: (row: T) => unknown,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  return {
    items,
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(position(last)) : null,
  }
}
