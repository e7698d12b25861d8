// Page cursors: what a list writes reads back to its position; anything else is 400
// invalid_cursor, never a 500, whatever a client sends.
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/errors'
import { CURSOR_MAX_LENGTH } from '../../src/schemas'
import { decodeCursor, encodeCursor, pageOf, readTimeAndId } from '../../src/services/cursor'

const b64url = (text: string) =>
  btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

const refused = (cursor: string) => {
  try {
    decodeCursor(cursor, readTimeAndId)
  } catch (err) {
    return err instanceof ApiError && err.code === 'invalid_cursor' && err.status === 400
  }
  return false
}

describe('page cursors', () => {
  it('read back what a page wrote', () => {
    expect(decodeCursor(encodeCursor({ at: 5, id: 'abc' }), readTimeAndId)).toEqual({
      at: 5,
      id: 'abc',
    })
  })

  it('refuse anything else with invalid_cursor, never a 500', () => {
    for (const cursor of [
      '',
      '!!!',
      'a', // no byte string is one base64url character long
      b64url('not json'),
      b64url('null'),
      b64url('"text"'),
      b64url('[1,"a"]'),
      b64url('{"at":"5","id":"a"}'),
      b64url('{"at":1.5,"id":"a"}'),
      b64url('{"at":-1,"id":"a"}'),
      b64url('{"at":1e300,"id":"a"}'),
      b64url('{"at":1,"id":""}'),
      b64url('{"at":1,"id":5}'),
      b64url(JSON.stringify({ at: 1, id: 'x'.repeat(65) })),
      b64url(JSON.stringify({ at: 1, id: 'x' })).padEnd(CURSOR_MAX_LENGTH + 1, 'A'),
      // Invalid UTF-8.
      b64url(String.fromCharCode(0xff, 0xfe)),
      // Padded, or not canonical: one position has one spelling.
      `${b64url('{"at":1,"id":"a"}')}=`,
    ]) {
      expect(refused(cursor), cursor).toBe(true)
    }
  })

  it('end a page read one row beyond its limit with the cursor after its last row', () => {
    const rows = [1, 2, 3].map((n) => ({ at: n, id: `r${n}` }))
    const full = pageOf(rows, 2, (r) => r)
    expect(full.items).toEqual(rows.slice(0, 2))
    expect(decodeCursor(full.nextCursor!, readTimeAndId)).toEqual({ at: 2, id: 'r2' })
    // Exactly a page, or less: the last, with no cursor (no empty page after it).
    expect(pageOf(rows.slice(0, 2), 2, (r) => r).nextCursor).toBeNull()
    expect(pageOf([], 2, (r) => r)).toEqual({ items: [], nextCursor: null })
  })
})
