// Every hosted page's form post, taken from the route table (a new page is covered without a
// new test), against bodies no page of ours sends: broken multipart, another content type, bad
// percent-escapes, repeated fields, file parts, thousands of fields. Each is a 4xx page, never
// a 5xx, echoes nothing unescaped, and a body that cannot be read changes nothing, signed in or
// not.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { pageRoutes } from '../../src/pages/routes'
import { MAX_BODY_BYTES } from '../../src/app'
import { mailbox } from '../doubles/mailbox'
import { ORIGIN, captureLogs, registerUser } from '../helpers'
import { account, pageSignIn, withCookie } from './forms'

afterEach(() => vi.restoreAllMocks())

/** The POST routes, as hono lists them (middleware is listed with method ALL). */
const POSTS = [...new Set(pageRoutes.routes.filter((r) => r.method === 'POST').map((r) => r.path))]

const HOSTILE = '"><script>alert(1)</script>'
const ESCAPED = encodeURIComponent(HOSTILE)

/** Every field name a page reads, so each carries the hostile value somewhere. */
const FIELDS = [
  'username',
  'password',
  'email',
  'return_to',
  'mfaToken',
  'code',
  'token',
  'login',
  'newPassword',
  'currentPassword',
  'scope',
  'name',
  'totpPassword',
  'disablePassword',
  'disableCode',
  'emailPassword',
]

const MULTIPART = 'multipart/form-data; boundary=b'
const part = (name: string, value: string, filename?: string) =>
  `--b\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n` +
  `${filename ? 'Content-Type: text/html\r\n' : ''}\r\n${value}\r\n`

/** Bodies that are not a readable form: the page answers before its route runs. */
const UNREADABLE: { name: string; type?: string; body?: string; status: 400 | 415 }[] = [
  { name: 'multipart garbage', type: MULTIPART, body: 'garbage', status: 400 },
  { name: 'multipart with no boundary', type: 'multipart/form-data', body: 'garbage', status: 400 },
  {
    name: 'multipart cut off',
    type: MULTIPART,
    body: part('username', HOSTILE).slice(0, -2),
    status: 400,
  },
  {
    name: 'multipart with no closing boundary',
    type: MULTIPART,
    body: FIELDS.map((f) => part(f, HOSTILE)).join(''),
    status: 400,
  },
  {
    name: 'JSON',
    type: 'application/json',
    body: JSON.stringify({ username: HOSTILE }),
    status: 415,
  },
  { name: 'text/plain', type: 'text/plain', body: `username=${HOSTILE}`, status: 415 },
  { name: 'no body, no type', status: 415 },
]

/** Forms that parse, with what no page sends in them. */
const ODD: { name: string; type: string; body: string }[] = [
  {
    name: 'bad percent-escapes',
    type: 'application/x-www-form-urlencoded',
    body: FIELDS.map((f) => `${f}=${ESCAPED}%zz%E0%A4%&${f}%=%`).join('&'),
  },
  {
    name: 'repeated and array fields',
    type: 'application/x-www-form-urlencoded',
    body: FIELDS.map((f) => `${f}=a&${f}=${ESCAPED}&${f}[]=${ESCAPED}&${f}[]=b`).join('&'),
  },
  {
    name: 'file parts',
    type: MULTIPART,
    body: FIELDS.map((f) => part(f, HOSTILE, `${HOSTILE}.html`)).join('') + '--b--\r\n',
  },
  {
    name: 'thousands of fields, under the body limit',
    type: 'application/x-www-form-urlencoded',
    body: (
      FIELDS.map((f) => `${f}=${ESCAPED}`).join('&') +
      Array.from({ length: 4000 }, (_, i) => `&f${i}=1`).join('')
    ).slice(0, MAX_BODY_BYTES),
  },
]

// Email set up, so the pages that send answer as in production, not 503.
const box = mailbox()

const send = (path: string, type: string | undefined, body: string | undefined, cookie?: string) =>
  box.call(path, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      Origin: ORIGIN,
      'Sec-Fetch-Site': 'same-origin',
      ...(type ? { 'Content-Type': type } : {}),
      ...(cookie ? withCookie(cookie) : {}),
    },
    body,
  })

/** A signed-in visitor, and this session's id (read from its own "Sign out here" form). */
async function visitor() {
  const { username } = await registerUser()
  const cookie = await pageSignIn(username)
  const page = await (await account(cookie)).text()
  const session = /action="\/account\/sessions\/([^/"]+)\/end"/.exec(page)![1]!
  return { cookie, session }
}

/** The route's path with its parameters filled: the visitor's own session, where there is one. */
const fill = (path: string, session: string) =>
  path.replace(':id', path.startsWith('/account/sessions/') ? session : 'A'.repeat(22))

function expectUnescapedNothing(html: string) {
  expect(html).not.toContain('<script>alert')
  expect(html).not.toContain('"><script')
}

describe('page form posts with bodies no page sends', () => {
  it('covers every POST page route, and the email and security pages among them', () => {
    for (const path of ['/signin', '/signup', '/signin/mfa', '/verify-email', '/reset-password']) {
      expect(POSTS).toContain(path)
    }
    expect(POSTS.filter((p) => p.startsWith('/account/')).length).toBeGreaterThanOrEqual(9)
  })

  it.each(POSTS)(
    '%s: an unreadable body is a 400 (or 415) page, signed in or not',
    async (path) => {
      const lines = captureLogs()
      const { cookie, session } = await visitor()
      for (const signedIn of [false, true]) {
        for (const { name, type, body, status } of UNREADABLE) {
          const res = await send(fill(path, session), type, body, signedIn ? cookie : undefined)
          expect({ name, signedIn, status: res.status }).toEqual({ name, signedIn, status })
          expect(res.headers.get('content-type')).toMatch(/^text\/html/)
          expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
          expect(res.headers.get('cache-control')).toBe('no-store')
          expect(res.headers.getSetCookie()).toEqual([])
          const html = await res.text()
          expect(html).toContain('<html lang="en">')
          expect(html).toMatch(
            /role="alert"[^>]*>\s*(The form arrived damaged|This page takes only)/,
          )
          // Nothing of the body comes back, escaped or not.
          expect(html).not.toContain('alert(1)')
          expect(html).not.toContain('garbage')
        }
      }
      // Nothing ran: the session (whose own end and sign-out forms were among them) is alive.
      expect((await account(cookie)).status).toBe(200)
      expect(lines.join('\n')).not.toContain('unhandled_error')
      expect(lines.join('\n')).toContain('"event":"page_form_unreadable"')
    },
  )

  it.each(POSTS)(
    '%s: an odd but readable form is never a 5xx nor echoed unescaped',
    async (path) => {
      const lines = captureLogs()
      const { cookie, session } = await visitor()
      for (const signedIn of [false, true]) {
        for (const { name, type, body } of ODD) {
          const res = await send(fill(path, session), type, body, signedIn ? cookie : undefined)
          expect({ name, signedIn, ok: res.status < 500 }).toEqual({ name, signedIn, ok: true })
          expectUnescapedNothing(await res.text())
        }
      }
      expect(lines.join('\n')).not.toContain('unhandled_error')
    },
  )

  it('refuses a body over the limit as the API does (413), before any page runs', async () => {
    const { cookie, session } = await visitor()
    for (const path of POSTS) {
      const body = `username=${'a'.repeat(MAX_BODY_BYTES)}`
      const res = await send(fill(path, session), 'application/x-www-form-urlencoded', body, cookie)
      expect(res.status).toBe(413)
    }
    expect((await account(cookie)).status).toBe(200)
  })
})
