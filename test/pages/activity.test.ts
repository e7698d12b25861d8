// The account page's "Recent activity": the caller's latest events as sentences in the page's
// language (no English left in French or Spanish), what to check standing out, at most ten, and
// every value from a row (a provider id, a device, a country) shown as text, never markup.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { dateTime } from '../../src/i18n/dates'
import { en } from '../../src/i18n/en'
import { es } from '../../src/i18n/es'
import { fr } from '../../src/i18n/fr'
import { type AuditEvent, auditStore } from '../../src/store/audit-events'
import { PASSWORD, call, callSettling, jsonInit, registerUser } from '../helpers'
import { cookieOf, pageSignIn, post, withCookie } from './forms'
import { englishLeft } from './untranslated'

const page = (path: string, cookie: string) =>
  call(path, { headers: withCookie(cookie), redirect: 'manual' })

/** The HTML of the page's activity section only. */
const section = (html: string) =>
  /<section aria-labelledby="activity-title">[\s\S]*?<\/section>/.exec(html)?.[0] ?? ''

/** Each listed event's text, tags dropped and spaces collapsed. */
const items = (html: string) =>
  [...section(html).matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g)].map((m) =>
    m[1]!
      .replace(/<[^>]+>/g, ' ')
      // Not \s: French puts a no-break space before ? and :, which the catalog's text keeps.
      .replace(/[ \t\n]+/g, ' ')
      .trim(),
  )

const SAFARI_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15'

/** Writes the user's events straight into the audit log, newest first as given. */
async function events(userId: string, rows: Partial<AuditEvent>[]) {
  const start = Date.now() + 60_000
  await auditStore(env.DB).add(
    rows.map((over, i) => ({
      id: crypto.randomUUID(),
      at: start - i * 1000,
      type: 'sign_out',
      userId,
      actor: { type: 'user', id: userId },
      requestId: null,
      userAgent: SAFARI_MAC,
      country: 'PT',
      detail: {},
      ...over,
    })),
  )
  return start
}

/** A signed-in visitor of the pages, and their user id. */
async function visitor() {
  const { username, user } = await registerUser()
  return { username, id: user.id, cookie: await pageSignIn(username) }
}

const TYPICAL: Partial<AuditEvent>[] = [
  { type: 'sign_in.failed', detail: { reason: 'bad_password' } },
  { type: 'password.changed' },
  { type: 'mfa.totp_enabled' },
  { type: 'sign_in.succeeded', detail: { method: 'passkey', amr: ['hwk'] } },
  { type: 'refresh_token.reused' },
  { type: 'user.disabled', actor: { type: 'api_key', id: 'key_secret_id' }, userAgent: 'curl/8' },
]

describe('the account page’s recent activity', () => {
  it('lists a sign-in and a password change made through the API, newest first', async () => {
    const { username, cookie } = await visitor()
    const login = callSettling({}, '/login', {
      ...jsonInit('POST', { username, password: PASSWORD }),
      headers: { 'Content-Type': 'application/json', 'User-Agent': SAFARI_MAC },
    })
    const { accessToken } = (await (await login.answered).json()) as { accessToken: string }
    await login.settled
    const change = callSettling({}, '/users/me/password', {
      ...jsonInit('POST', { currentPassword: PASSWORD, newPassword: 'another passphrase' }),
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
    })
    expect((await change.answered).status).toBe(204)
    await change.settled
    // The page's own sign-in ended with the password change; a new one, after it.
    const signIn = await post(
      '/signin',
      { username, password: 'another passphrase' },
      { 'User-Agent': SAFARI_MAC },
    )
    expect(signIn.status).toBe(303)
    const fresh = cookieOf(signIn)!
    expect(fresh).not.toBe(cookie)
    const html = await (await page('/account', fresh)).text()
    const listed = items(html)
    const changed = listed.findIndex((t) => t.startsWith('Password changed'))
    // The API's sign-in, older than the change (the page's own may be listed above both).
    const signedIn = listed.findIndex(
      (t, i) => i > changed && t.startsWith('Signed in with your password'),
    )
    expect(changed).toBeGreaterThanOrEqual(0)
    expect(signedIn).toBeGreaterThan(changed)
    expect(listed[signedIn]).toContain('Safari on macOS')
  })

  it('says each event in English, with time, device and country; what to check stands out', async () => {
    const { id, cookie } = await visitor()
    const start = await events(id, TYPICAL)
    const res = await page('/account', cookie)
    expect(res.status).toBe(200)
    const html = await res.text()
    const t = en.account.activity
    expect(section(html)).toContain(`<h2 id="activity-title">${t.title}</h2>`)
    const listed = items(html)
    expect(listed.slice(0, 6)).toEqual([
      `${t.events.signInFailed} ${dateTime('en', start)} · Safari on macOS · Portugal Not you? Change your password.`,
      `${t.events.passwordChanged} ${dateTime('en', start - 1000)} · Safari on macOS · Portugal`,
      `${t.events.totpEnabled} ${dateTime('en', start - 2000)} · Safari on macOS · Portugal`,
      `${t.events.signedInPasskey} ${dateTime('en', start - 3000)} · Safari on macOS · Portugal`,
      `${t.events.refreshReused} ${dateTime('en', start - 4000)} · Safari on macOS · Portugal Not you? Change your password.`,
      // An administrator: no device or place of theirs, no id.
      `${t.events.accountDisabled} ${dateTime('en', start - 5000)} · by an administrator`,
    ])
    // The failed sign-in and the reuse are marked, in bold; the rest are not.
    const marked = [
      ...section(html).matchAll(/<li class="attention">\s*<strong>([^<]*)<\/strong>/g),
    ]
    expect(marked.map((m) => m[1])).toEqual([t.events.signInFailed, t.events.refreshReused])
    expect(html).not.toContain('key_secret_id')
    expect(html).not.toContain('curl')
  })

  it('?lang=fr: every event in French, no English of the section left', async () => {
    const { id, cookie } = await visitor()
    const start = await events(id, TYPICAL)
    const html = await (await page('/account?lang=fr', cookie)).text()
    expect(html).toContain('<html lang="fr">')
    const t = fr.account.activity
    expect(section(html)).toContain(`<h2 id="activity-title">${t.title}</h2>`)
    const listed = items(html)
    expect(listed[0]).toBe(
      `${t.events.signInFailed} ${dateTime('fr', start)} · Safari sur macOS · Portugal ${t.checkThis}`,
    )
    expect(listed[1]).toContain(t.events.passwordChanged)
    expect(listed[2]).toContain('Authentification à deux facteurs activée')
    expect(listed[5]).toContain(
      `${t.events.accountDisabled} ${dateTime('fr', start - 5000)} · ${t.byAdministrator}`,
    )
    expect(englishLeft(html, 'fr', (m) => m.account.activity)).toEqual([])
  })

  it('Accept-Language: es: every event in Spanish, no English of the section left', async () => {
    const { id, cookie } = await visitor()
    const start = await events(id, TYPICAL)
    const res = await call('/account', {
      headers: withCookie(cookie, { 'Accept-Language': 'es' }),
      redirect: 'manual',
    })
    const html = await res.text()
    expect(html).toContain('<html lang="es">')
    const t = es.account.activity
    const listed = items(html)
    expect(listed[0]).toBe(
      `${t.events.signInFailed} ${dateTime('es', start)} · Safari en macOS · Portugal ${t.checkThis}`,
    )
    expect(listed[3]).toContain(t.events.signedInPasskey)
    expect(englishLeft(html, 'es', (m) => m.account.activity)).toEqual([])
  })

  it('shows a row’s provider, device and country as text, never as markup', async () => {
    const { id, cookie } = await visitor()
    // Written directly, as a hand edit or a bug elsewhere might leave it: not through the sink.
    await env.DB.prepare(
      `INSERT INTO audit_events (id, at, type, user_id, actor_type, actor_id, request_id, user_agent, country, detail)
       VALUES (?, ?, 'sign_in.succeeded', ?, 'user', ?, NULL, ?, ?, ?)`,
    )
      .bind(
        crypto.randomUUID(),
        Date.now() + 60_000,
        id,
        id,
        '<img src=x onerror=alert(1)>',
        '"><script>',
        JSON.stringify({ method: 'fed', idp: '<script>alert(1)</script>' }),
      )
      .run()
    const html = await (await page('/account', cookie)).text()
    expect(section(html)).toContain('Signed in with &lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).not.toContain('<script>alert(1)')
    expect(html).not.toContain('<img src=x')
    expect(html).not.toContain('"><script>')
  })

  it('names a provider as the pages do, and gives a type it does not know the generic sentence', async () => {
    const { id, cookie } = await visitor()
    await events(id, [
      { type: 'webhook.something_new', detail: { reason: 'x' } },
      { type: 'sign_in.failed', detail: { reason: 'bad_mfa_code' } },
      { type: 'sign_out', detail: { scope: 'global' } },
    ])
    const listed = items(await (await page('/account', cookie)).text())
    expect(listed[0]).toMatch(/^Security event /)
    expect(listed[0]).not.toContain('webhook')
    expect(listed[1]).toMatch(/^Failed sign-in attempt: right password, wrong verification code /)
    expect(listed[2]).toMatch(/^Signed out everywhere /)
  })

  it('shows the latest ten only, and another user’s never', async () => {
    const { id, cookie } = await visitor()
    const other = await visitor()
    await events(other.id, [{ type: 'mfa.totp_disabled' }])
    await events(
      id,
      Array.from({ length: 12 }, () => ({ type: 'passkey.added' })),
    )
    const html = await (await page('/account', cookie)).text()
    const listed = items(html)
    expect(listed).toHaveLength(10)
    expect(listed.every((t) => t.startsWith('Passkey added'))).toBe(true)
    expect(html).not.toContain('Two-step verification turned off')
  })
})
