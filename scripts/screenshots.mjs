// Screenshots of every hosted page, light and dark, as a branded deployment shows them: the real
// worker (scripts/local-worker.mjs: wrangler's local server, fresh D1 and KV) driven by Debian's
// Chromium through playwright-core. `npm run screenshots` writes docs/screenshots/; a directory
// given as the first argument gets them instead (client/test/screenshots.test.ts does that, and
// checks docs/screenshots/ lists the same files).
//
// Pages are found by their forms' actions and fields' names, never by their words, so the script
// keeps working while the pages are translated and restyled. Every account is made fresh here;
// the one mailed link used (the reset link) is read from wrangler's local email simulation.
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeBase32IgnorePadding } from '@oslojs/encoding'
import { generateTOTP } from '@oslojs/otp'
import { chromium } from 'playwright-core'
import { copyAssets } from './assets.mjs'
import { startWorker } from './local-worker.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Debian's Chromium, as the browser tests use it (client/test/servers.ts); never a download. */
export const CHROMIUM = '/usr/bin/chromium'

/** Where `npm run screenshots` writes, unless given a directory. */
export const DEFAULT_DIR = join(root, 'docs/screenshots')

/** The example brand every shot wears (public/brand/example-logo.svg ships as the example). */
export const BRAND = {
  SERVICE_NAME: 'Acme Notes',
  BRAND_LOGO: '/brand/example-logo.svg',
  BRAND_COLOR: '#6d28d9',
  BRAND_COLOR_DARK: '#a78bfa',
}

const SCHEMES = ['light', 'dark']
const ALL_LANGUAGES = ['en', 'fr', 'es']

/**
 * Every shot, as `<page>-<lang>-<scheme>.png`: each page in English, light and dark; the pages
 * people see most also in French and Spanish. The email is one HTML body, shown as a mail client
 * would (light only: the template sets no colours of its own).
 */
export const SHOTS = [
  { page: 'signin', langs: ALL_LANGUAGES },
  { page: 'signup', langs: ['en'] },
  { page: 'forgot-password', langs: ['en'] },
  { page: 'verify-email', langs: ['en'] },
  { page: 'reset-password', langs: ['en'] },
  { page: 'email-code', langs: ['en'] },
  { page: 'signin-two-factor', langs: ['en'] },
  { page: 'account', langs: ALL_LANGUAGES },
  { page: 'two-factor-setup', langs: ['en'] },
  { page: 'authorize', langs: ALL_LANGUAGES },
  { page: 'end-session', langs: ['en'] },
  { page: 'email-reset', langs: ['en'], schemes: ['light'] },
  { page: 'email-verify', langs: ALL_LANGUAGES, schemes: ['light'] },
]

/** The file names a complete run writes, sorted. */
export const expectedFiles = () =>
  SHOTS.flatMap(({ page, langs, schemes = SCHEMES }) =>
    langs.flatMap((lang) => schemes.map((scheme) => `${page}-${lang}-${scheme}.png`)),
  ).sort()

const PASSWORD = 'correct horse battery staple'
const RESOURCE = 'https://notes.example/mcp'
const APP = 'https://notes.example'
/** Sent emails, as wrangler's local simulation keeps them (its Local Explorer API). */
const SENT_MAIL = '/cdn-cgi/local/explorer/api/local/email/sending'
/** No request to the local worker takes this long; a stuck one fails the run, not hangs it. */
const REQUEST_TIMEOUT_MS = 15_000
/** How long a mail may take to appear: it is sent after the response (waitUntil). */
const MAIL_TIMEOUT_MS = 15_000
/** A phone, so the account page lists a second session that looks like one. */
const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1'

/** JSON to the worker's API; the parsed answer, or an error naming the path and status. */
async function post(origin, path, body, headers = {}) {
  const res = await fetch(origin + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  })
  if (!res.ok) throw new Error(`POST ${path} answered ${res.status}`)
  return res.status === 204 ? null : res.json()
}

async function getJson(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
  if (!res.ok) throw new Error(`GET ${new URL(url).pathname} answered ${res.status}`)
  return res.json()
}

/** The newest mail to `to` carrying a link to `path` on the worker: that link and its HTML. */
async function mailedLink(origin, to, path) {
  const link = new RegExp(`https?://[^\\s"<>]+/${path}\\?token=[\\w%-]+`)
  const deadline = Date.now() + MAIL_TIMEOUT_MS
  const seen = new Set()
  while (Date.now() < deadline) {
    const list = await getJson(`${origin}${SENT_MAIL}?per_page=100`)
    for (const item of list.result ?? []) {
      if (!item.to?.includes(to) || seen.has(item.messageId)) continue
      seen.add(item.messageId)
      const id = encodeURIComponent(item.messageId)
      const { result } = await getJson(`${origin}${SENT_MAIL}?email_id=${id}`)
      const found = result?.text?.match(link) ?? result?.html?.match(link)
      if (found) return { link: found[0].replaceAll('&amp;', '&'), html: result.html ?? '' }
    }
    await new Promise((done) => setTimeout(done, 200))
  }
  throw new Error(`no mail to ${to} with a /${path} link within ${MAIL_TIMEOUT_MS / 1000} s`)
}

/**
 * A mail's HTML as a mail client shows it, but for its token (no live-looking secret in a
 * committed picture): its own document, without the pages' CSP (mail clients allow inline
 * style), at an address on the worker's origin so its logo loads as a client's would.
 */
async function showMail(page, origin, { link, html }) {
  const token = new URL(link).searchParams.get('token') ?? ''
  const body = token === '' ? html : html.replaceAll(token, 'TOKEN')
  const preview = `${origin}/__mail-preview`
  await page.route(preview, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body }),
  )
  await page.goto(preview, { waitUntil: 'load' })
}

/** Opens `url`, fails on a server error, and waits for `ready` (a selector) to show. */
async function open(page, url, ready) {
  const res = await page.goto(url)
  if (res && res.status() >= 500) throw new Error(`${url} answered ${res.status()}`)
  if (ready) await page.locator(ready).first().waitFor()
}

/** Submits the form posting to `action` (after filling `fields`), as a person would. */
async function submit(page, action, fields = {}, ready) {
  const form = page.locator(`form[action="${action}"]`).first()
  for (const [name, value] of Object.entries(fields)) {
    await form.locator(`[name="${name}"]`).fill(value)
  }
  const [res] = await Promise.all([
    page.waitForNavigation(),
    form.locator('[type="submit"]').first().click(),
  ])
  if (res && res.status() >= 500) throw new Error(`POST ${action} answered ${res.status()}`)
  if (ready) await page.locator(ready).first().waitFor()
}

/** Signs `username` in through the hosted form (`?lang=` picks, and remembers, the language). */
const signIn = (page, origin, username, lang) =>
  open(page, `${origin}/signin${lang === 'en' ? '' : `?lang=${lang}`}`, 'form[action="/signin"]')
    .then(() => submit(page, '/signin', { username, password: PASSWORD }))
    .then(() => {
      if (new URL(page.url()).pathname === '/signin') throw new Error(`${username} not signed in`)
    })

/** The S256 challenge of a fixed verifier: the consent page never gets as far as the token. */
const CHALLENGE = createHash('sha256').update('v'.repeat(43)).digest('base64url')

/**
 * Everything the pages show: a verified address and two sessions (ada), two-factor on (grace),
 * a user about to turn it on (lin), and an app that asks for access and signs out through here.
 */
async function seed(origin) {
  await post(origin, '/register', { username: 'ada', password: PASSWORD, email: 'ada@example.com' })
  const verification = await mailedLink(origin, 'ada@example.com', 'verify-email')
  // Two more people who signed up in French and in Spanish: their mail speaks it.
  const verifications = { en: verification }
  for (const [lang, username] of [
    ['fr', 'amelie'],
    ['es', 'sofia'],
  ]) {
    const email = `${username}@example.com`
    await post(
      origin,
      '/register',
      { username, password: PASSWORD, email },
      {
        'accept-language': lang,
      },
    )
    verifications[lang] = await mailedLink(origin, email, 'verify-email')
  }
  await post(origin, '/register', { username: 'grace', password: PASSWORD })
  const { accessToken } = await post(origin, '/login', { username: 'grace', password: PASSWORD })
  const bearer = { authorization: `Bearer ${accessToken}` }
  const { secret } = await post(origin, '/users/me/totp', { password: PASSWORD }, bearer)
  const code = generateTOTP(decodeBase32IgnorePadding(secret), 30, 6)
  await post(origin, '/users/me/totp/verify', { code }, bearer)
  await post(origin, '/register', { username: 'lin', password: PASSWORD })
  const client = await post(origin, '/oauth/register', {
    client_name: 'Notes for desktop',
    redirect_uris: [`${APP}/callback`],
    post_logout_redirect_uris: [`${APP}/signed-out`],
    token_endpoint_auth_method: 'none',
  })
  // Ada's other session, on her phone.
  await post(origin, '/login', { username: 'ada', password: PASSWORD }, { 'user-agent': PHONE_UA })
  return { verification, verifications, clientId: client.client_id }
}

function authorizeUrl(origin, clientId) {
  const url = new URL('/authorize', origin)
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: `${APP}/callback`,
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    resource: RESOURCE,
    scope: 'notes:read notes:write',
    state: 'screenshot',
  }).toString()
  return url.href
}

/**
 * Takes every shot into `dir` (emptied of PNGs first). Resolves with the files written and the
 * shots that failed (each with why); one failure does not stop the others.
 */
export async function takeScreenshots(dir = DEFAULT_DIR, { log = console.log } = {}) {
  const started = Date.now()
  mkdirSync(dir, { recursive: true })
  for (const file of readdirSync(dir)) if (file.endsWith('.png')) rmSync(join(dir, file))
  const expected = new Set(expectedFiles())
  const written = []
  const failed = []

  copyAssets()
  const worker = await startWorker({
    ...BRAND,
    MAIL_FROM: 'accounts@notes.example',
    MAIL_FROM_NAME: 'Acme Notes',
    PROTECTED_RESOURCES: JSON.stringify([
      { resource: RESOURCE, name: 'Notes', scopes: ['notes:read', 'notes:write'] },
    ]),
  })
  const { origin } = worker
  let browser
  const contexts = []
  /** A fresh browser (no cookies) speaking `lang`, at the shots' size. */
  const newPage = async (lang = 'en') => {
    const context = await browser.newContext({
      viewport: { width: 800, height: 900 },
      deviceScaleFactor: 1,
      locale: { en: 'en-US', fr: 'fr-FR', es: 'es-ES' }[lang],
      colorScheme: 'light',
    })
    context.setDefaultTimeout(REQUEST_TIMEOUT_MS)
    contexts.push(context)
    return context.newPage()
  }
  /** The page as it is now, in each of `schemes`. */
  const shoot = async (page, name, lang, schemes = SCHEMES) => {
    await page.evaluate(() => document.fonts.ready)
    for (const scheme of schemes) {
      const file = `${name}-${lang}-${scheme}.png`
      if (!expected.has(file)) throw new Error(`${file} is not listed in SHOTS`)
      await page.emulateMedia({ colorScheme: scheme })
      await page.screenshot({
        path: join(dir, file),
        fullPage: true,
        animations: 'disabled',
        caret: 'hide',
      })
      written.push(file)
    }
    await page.emulateMedia({ colorScheme: 'light' })
  }
  /** Runs one step; a failure is recorded under `what` and the run goes on. */
  const step = async (what, run) => {
    try {
      await run()
    } catch (err) {
      failed.push({ what, why: err instanceof Error ? err.message.split('\n')[0] : String(err) })
    }
  }

  try {
    browser = await chromium.launch({ executablePath: CHROMIUM })
    let seeded
    await step('seeding accounts', async () => {
      seeded = await seed(origin)
    })
    if (!seeded) throw new Error(`seeding failed: ${failed.map((f) => f.why).join('; ')}`)
    const { verification, verifications, clientId } = seeded

    // Signed out.
    const visitor = await newPage('en')
    for (const [name, path, ready] of [
      ['signup', '/signup', 'form[action="/signup"]'],
      ['forgot-password', '/forgot-password', 'form[action="/forgot-password"]'],
      ['email-code', '/email-code', 'form[action="/email-code"]'],
    ]) {
      await step(name, async () => {
        await open(visitor, origin + path, ready)
        await shoot(visitor, name, 'en')
      })
    }
    // Opening the link spends nothing; the button does (after the shot).
    await step('verify-email', async () => {
      await open(visitor, verification.link, 'form[action="/verify-email"]')
      await shoot(visitor, 'verify-email', 'en')
      await submit(visitor, '/verify-email')
    })
    await step('reset-password', async () => {
      await post(origin, '/password/forgot', { login: 'ada' })
      const reset = await mailedLink(origin, 'ada@example.com', 'reset-password')
      await open(visitor, reset.link, 'form[action="/reset-password"]')
      await shoot(visitor, 'reset-password', 'en')
      await showMail(visitor, origin, reset)
      await shoot(visitor, 'email-reset', 'en', ['light'])
    })
    for (const lang of ALL_LANGUAGES) {
      await step(`email-verify ${lang}`, async () => {
        const page = await newPage(lang)
        await showMail(page, origin, verifications[lang])
        await shoot(page, 'email-verify', lang, ['light'])
      })
    }
    await step('signin-two-factor', async () => {
      const page = await newPage('en')
      await open(page, `${origin}/signin`, 'form[action="/signin"]')
      await submit(page, '/signin', { username: 'grace', password: PASSWORD })
      await page.locator('form[action="/signin/mfa"]').waitFor()
      await shoot(page, 'signin-two-factor', 'en')
    })
    await step('two-factor-setup', async () => {
      const page = await newPage('en')
      await signIn(page, origin, 'lin', 'en')
      await open(page, `${origin}/account`, 'form[action="/account/totp"]')
      await submit(page, '/account/totp', { totpPassword: PASSWORD })
      await page.locator('form[action="/account/totp/verify"]').waitFor()
      await shoot(page, 'two-factor-setup', 'en')
    })

    // Each language: the sign-in form, then ada signed in: her account, the consent page, and
    // (English) the question before an app signs her out.
    for (const lang of ALL_LANGUAGES) {
      const page = await newPage(lang)
      const query = lang === 'en' ? '' : `?lang=${lang}`
      await step(`signin-${lang}`, async () => {
        await open(page, `${origin}/signin${query}`, 'form[action="/signin"]')
        await shoot(page, 'signin', lang)
      })
      let signedIn = false
      await step(`signing ada in (${lang})`, async () => {
        await signIn(page, origin, 'ada', lang)
        signedIn = true
      })
      if (!signedIn) continue
      await step(`account-${lang}`, async () => {
        await open(page, `${origin}/account${query}`, 'form[action="/account/signout"]')
        await shoot(page, 'account', lang)
      })
      await step(`authorize-${lang}`, async () => {
        await open(page, authorizeUrl(origin, clientId), 'form[action="/authorize/consent"]')
        await shoot(page, 'authorize', lang)
      })
      if (lang === 'en') {
        await step('end-session', async () => {
          const url = new URL('/end-session', origin)
          url.search = new URLSearchParams({
            client_id: clientId,
            post_logout_redirect_uri: `${APP}/signed-out`,
          }).toString()
          await open(page, url.href, 'form[action="/end-session/confirm"]')
          await shoot(page, 'end-session', 'en')
        })
      }
      // Signed out again (this browser only), so the next language's account page also lists
      // two sessions: that browser's and the phone's.
      await step(`signing ada out (${lang})`, async () => {
        const res = await page.request.post(`${origin}/account/signout`, {
          form: { scope: 'local' },
          headers: { origin },
          maxRedirects: 0,
        })
        if (res.status() >= 400) throw new Error(`sign-out answered ${res.status()}`)
      })
    }
  } finally {
    for (const context of contexts) await context.close().catch(() => {})
    await browser?.close()
    await worker.stop()
  }

  const missing = [...expected].filter((file) => !written.includes(file))
  if (missing.length > 0 && failed.length === 0) {
    failed.push({ what: 'coverage', why: `never taken: ${missing.join(', ')}` })
  }
  log(`screenshots: ${written.length} of ${expected.size} in ${dir} (${Date.now() - started} ms)`)
  return { written: written.sort(), missing, failed }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? DEFAULT_DIR)
  const { failed } = await takeScreenshots(dir)
  for (const { what, why } of failed) console.error(`screenshots: ${what} failed: ${why}`)
  process.exitCode = failed.length > 0 ? 1 : 0
}
