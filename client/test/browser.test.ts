// Cookie mode and the SDK in real Chromium (Debian's, through playwright-core; never a browser
// download) against the real worker: a single-page app on a second origin of the same site, two
// tabs, a reload, and pages on origins that are not allowed.
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundle } from '../build.mjs'
import {
  type AppWindow,
  CHROMIUM,
  appPage,
  chromiumAvailable,
  startSite,
  startWorker,
} from './servers'

// CI installs Chromium and must run these; elsewhere they say why they skip.
const available = chromiumAvailable()

const PASSWORD = 'correct horse battery staple'
const COOKIE = '__Host-refresh_token'

type Running = Awaited<ReturnType<typeof startWorker>>
let worker: Running
let app: Awaited<ReturnType<typeof startSite>>
let sibling: Awaited<ReturnType<typeof startSite>>
let crossSite: Awaited<ReturnType<typeof startSite>>
let browser: Browser

/** A page that posts a form, without script, to the worker: a cross-site request forgery. */
const formPage = (action: string) => `<!doctype html><meta charset="utf-8"><title>form</title>
<form method="post" action="${action}" enctype="text/plain"><input name="x" value="y"></form>
<script>document.forms[0].submit()</script>`

beforeAll(async () => {
  if (!available) return
  const sdk = (await bundle()) as string
  app = await startSite('localhost', { '/sdk.js': sdk })
  // Same site as the worker (localhost), another origin, not in ALLOWED_ORIGINS.
  sibling = await startSite('localhost')
  // Another site altogether.
  crossSite = await startSite('127.0.0.1')
  // Email is simulated locally (wrangler prints each message); any sender works.
  worker = await startWorker({ ALLOWED_ORIGINS: app.origin, MAIL_FROM: 'edge-auth@example.com' })
  Object.assign(app.pages, { '/': appPage(worker.origin) })
  Object.assign(sibling.pages, { '/': appPage(worker.origin), '/sdk.js': sdk })
  Object.assign(crossSite.pages, {
    '/logout': formPage(`${worker.origin}/logout?scope=global`),
    '/token': formPage(`${worker.origin}/token`),
  })
  browser = await chromium.launch({ executablePath: CHROMIUM })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await Promise.all([worker?.stop(), app?.stop(), sibling?.stop(), crossSite?.stop()])
})

async function openApp(context: BrowserContext, origin = app.origin): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`${origin}/`)
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true)
  return page
}

const unique = () => `b_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`

/** Signs up and in through the SDK in `page`; returns the username. */
async function signUp(page: Page): Promise<string> {
  const username = unique()
  await page.evaluate((credentials) => (window as unknown as AppWindow).auth.signUp(credentials), {
    username,
    password: PASSWORD,
  })
  return username
}

/** A cookie DevTools says a request carried, or would have but for `blockedReasons`. */
type AssociatedCookie = { cookie: { name: string }; blockedReasons: string[] }

const refreshCookie = async (context: BrowserContext) =>
  (await context.cookies(worker.origin)).find((cookie) => cookie.name === COOKIE)

const whoAmI = (page: Page, origin: string) =>
  page.evaluate(async (origin) => {
    const res = await (window as unknown as AppWindow).auth.fetch(`${origin}/users/me`)
    return { status: res.status, body: await res.json() }
  }, origin)

/** Counts the requests the context sends to `path` on the worker. */
function countRequests(context: BrowserContext, path: string, method = 'POST') {
  let count = 0
  context.on('request', (req) => {
    if (req.method() === method && new URL(req.url()).pathname === path) count++
  })
  return () => count
}

/** Every request of `page` that failed or was answered 4xx/5xx, preflights included. */
function failuresOf(page: Page) {
  const failures: string[] = []
  page.on('requestfailed', (req) => failures.push(`${req.method()} ${req.url()} failed`))
  page.on('response', (res) => {
    if (res.status() >= 400) failures.push(`${res.request().method()} ${res.url()} ${res.status()}`)
  })
  page.on('console', (msg) => {
    if (msg.type() === 'error') failures.push(`console: ${msg.text()}`)
  })
  return failures
}

// Real ceremonies, PBKDF2 and a browser: seconds each, more on a loaded machine.
describe.runIf(available)('in Chromium', { timeout: 30_000 }, () => {
  it('keeps the refresh token where page script cannot read it', async () => {
    const context = await browser.newContext()
    const page = await openApp(context)
    await signUp(page)
    const cookie = (await refreshCookie(context))!
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' })
    const visible = await page.evaluate(async () => {
      const idb = (await indexedDB.databases?.()) ?? []
      return [
        document.cookie,
        JSON.stringify({ ...localStorage }),
        JSON.stringify({ ...sessionStorage }),
        JSON.stringify(idb),
        JSON.stringify(await caches.keys()),
      ].join('\n')
    })
    expect(visible).not.toContain(cookie.value)
    expect(visible).not.toContain(COOKIE)
    expect((await whoAmI(page, worker.origin)).status).toBe(200)
    await context.close()
  })

  it('refreshes once for two tabs whose tokens expire together, and both go on', async () => {
    const context = await browser.newContext()
    const tab1 = await openApp(context)
    const tab2 = await openApp(context)
    const signInRefreshes = countRequests(context, '/token')
    const username = await signUp(tab1)
    // Tab 2 hears of the sign-in by broadcast and holds the same access token.
    await tab2.waitForFunction(() => (window as unknown as AppWindow).auth.getAccessToken())
    expect(signInRefreshes()).toBe(0) // tab 2's token came by broadcast, not from /token
    const refreshes = countRequests(context, '/token')
    // Both tabs' clocks jump past the token's expiry; timers keep running.
    const later = Date.now() + 60_000
    await tab1.clock.setFixedTime(later)
    await tab2.clock.setFixedTime(later)
    const [one, two] = await Promise.all(
      [tab1, tab2].map((tab) =>
        tab.evaluate(() => (window as unknown as AppWindow).auth.getAccessToken()),
      ),
    )
    expect(one).toBe(two)
    expect(refreshes()).toBe(1)
    for (const tab of [tab1, tab2]) {
      const me = await whoAmI(tab, worker.origin)
      expect(me).toMatchObject({ status: 200, body: { username } })
    }
    await context.close()
  })

  it('a signed-out first load: status from one 200 resume, onChange once, nothing failed', async () => {
    const context = await browser.newContext()
    const resumes = countRequests(context, '/session/resume')
    const refreshes = countRequests(context, '/token')
    const page = await context.newPage()
    const failures = failuresOf(page)
    await page.goto(`${app.origin}/`)
    await page.waitForFunction(() => (window as unknown as AppWindow).ready === true)
    const seen = await page.evaluate(async () => {
      const { auth } = window as unknown as AppWindow
      const states: unknown[] = []
      auth.onChange((state) => states.push(state))
      const ready = await auth.ready()
      return { ready, states, status: auth.status }
    })
    const out = { signedIn: false, status: 'signed-out', user: null }
    expect(seen).toEqual({ ready: out, states: [out], status: 'signed-out' })
    expect(resumes()).toBe(1)
    expect(refreshes()).toBe(0)
    expect(failures).toEqual([])
    await context.close()
  })

  it('a signed-in reload: the user from the claims, with no refresh spent beyond the resume', async () => {
    const context = await browser.newContext()
    const page = await openApp(context)
    const username = await signUp(page)
    await page.reload()
    await page.waitForFunction(() => (window as unknown as AppWindow).ready === true)
    const refreshes = countRequests(context, '/token')
    const failures = failuresOf(page)
    const state = await page.evaluate(() => (window as unknown as AppWindow).auth.ready())
    expect(state).toMatchObject({ signedIn: true, status: 'signed-in', user: { username } })
    expect(state.user!.amr).toEqual(['pwd'])
    expect((await whoAmI(page, worker.origin)).body).toMatchObject({ id: state.user!.id })
    expect(refreshes()).toBe(0)
    expect(failures).toEqual([])
    await context.close()
  })

  it('sets an address (PUT) from the app origin; a wrong password is sent once and refreshes nothing', async () => {
    const context = await browser.newContext()
    const page = await openApp(context)
    await signUp(page)
    const refreshes = countRequests(context, '/token')
    const puts = countRequests(context, '/users/me/email', 'PUT')
    const outcome = await page.evaluate(async (password) => {
      const { auth } = window as unknown as AppWindow
      const changes: string[] = []
      auth.onChange((state) => changes.push(state.status))
      const wrong = await auth.email
        .set({ email: 'someone@example.com', password: 'not the password at all' })
        .then(
          () => 'accepted',
          (err: { code: string; name: string }) => `${err.name} ${err.code}`,
        )
      const right = await auth.email.set({ email: 'someone@example.com', password }).then(
        () => 'accepted',
        (err: { code: string }) => err.code,
      )
      return { wrong, right, changes, status: auth.status }
    }, PASSWORD)
    expect(outcome).toEqual({
      wrong: 'AuthError invalid_credentials',
      right: 'accepted',
      changes: [],
      status: 'signed-in',
    })
    expect(puts()).toBe(2) // one each: the wrong password was not sent again
    expect(refreshes()).toBe(0)
    await context.close()
  })

  it('stays signed in across a reload', async () => {
    const context = await browser.newContext()
    const page = await openApp(context)
    const username = await signUp(page)
    await page.reload()
    await page.waitForFunction(() => (window as unknown as AppWindow).ready === true)
    expect(await whoAmI(page, worker.origin)).toMatchObject({ status: 200, body: { username } })
    await context.close()
  })

  it('lets no page of an origin that is not allowed refresh or sign out with the cookie', async () => {
    const context = await browser.newContext()
    const page = await openApp(context)
    await signUp(page)
    const before = (await refreshCookie(context))!.value

    // A sibling origin on the same site: the browser sends the cookie; the worker refuses it.
    // CORS (and CORP) hide the answer from the page, so the status is read from DevTools.
    const other = await openApp(context, sibling.origin)
    const devtools = await context.newCDPSession(other)
    await devtools.send('Network.enable')
    const statuses: number[] = []
    devtools.on('Network.responseReceivedExtraInfo', (event) => {
      const status = (event as { statusCode?: number }).statusCode
      if (status) statuses.push(status)
    })
    for (const path of ['/token', '/logout']) {
      const outcome = await other.evaluate(
        ([origin, path]) =>
          fetch(`${origin}${path}`, { method: 'POST', credentials: 'include' }).then(
            (res) => `read ${res.status}`,
            () => 'unreadable',
          ),
        [worker.origin, path],
      )
      expect(outcome).toBe('unreadable') // no CORS for it either
    }
    // DevTools' events may land after the fetch has failed: wait for both.
    await expect.poll(() => statuses).toEqual([403, 403])

    // Another site: form posts without script's help. The browser does not even send the
    // cookie (SameSite=Lax), which DevTools shows as blocked; and the answer is a refusal.
    for (const path of ['/token', '/logout']) {
      const forged = await context.newPage()
      const cdp = await context.newCDPSession(forged)
      await cdp.send('Network.enable')
      const sent: { name: string; blocked: boolean }[] = []
      cdp.on('Network.requestWillBeSentExtraInfo', (event) => {
        const cookies = (event as { associatedCookies?: AssociatedCookie[] }).associatedCookies
        for (const { cookie, blockedReasons } of cookies ?? []) {
          sent.push({ name: cookie.name, blocked: blockedReasons.length > 0 })
        }
      })
      const answered = forged.waitForResponse((res) => res.url().startsWith(worker.origin))
      await forged.goto(`${crossSite.origin}${path}`)
      expect((await answered).status()).toBeGreaterThanOrEqual(400)
      expect(sent.filter((c) => c.name === COOKIE)).toEqual([{ name: COOKIE, blocked: true }])
    }

    // Nothing changed: the same cookie, and the app still refreshes with it.
    expect((await refreshCookie(context))!.value).toBe(before)
    await page.clock.setFixedTime(Date.now() + 60_000)
    expect((await whoAmI(page, worker.origin)).status).toBe(200)
    await context.close()
  })

  it('hosted pages: sign up, see the session, end another, sign out, by keyboard only', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const problems: string[] = []
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text())
    })
    page.on('pageerror', (err) => problems.push(err.message))

    /** Presses Tab until the focused element's text or label matches, then returns. */
    async function tabTo(name: RegExp) {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab')
        const focused = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null
          const label = el?.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : ''
          // The accessible name (text or label) and description, as a screen reader reads them.
          const described = (el?.getAttribute('aria-describedby') ?? '')
            .split(' ')
            .map((id) => (id ? document.getElementById(id)?.textContent : ''))
            .join(' ')
          return `${el?.textContent ?? ''} ${label ?? ''} | ${described}`
        })
        if (name.test(focused)) return
      }
      throw new Error(`nothing focusable matches ${name}`)
    }

    await page.goto(`${worker.origin}/signup`)
    const username = unique()
    await tabTo(/Username/)
    await page.keyboard.type(username)
    await tabTo(/Password/)
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press('Enter')
    await page.waitForURL(`${worker.origin}/account`)
    expect(await page.locator('main').innerText()).toContain(username)
    // The stylesheet is the worker's own file, allowed by the policy.
    expect(
      await page.evaluate(() => getComputedStyle(document.querySelector('main')!).maxWidth),
    ).not.toBe('none')

    // A second device signs in; the page lists it, and ends it.
    const phone = await fetch(`${worker.origin}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'Phone' },
      body: JSON.stringify({ username, password: PASSWORD }),
    })
    expect(phone.status).toBe(200)
    await page.reload()
    expect(await page.locator('.sessions li').count()).toBe(2)
    await tabTo(/End\s*\|\s*Phone/)
    // The same URL again: wait for the new page itself.
    const reloaded = page.waitForEvent('load')
    await page.keyboard.press('Enter')
    await reloaded
    expect(await page.locator('.sessions li').count()).toBe(1)

    await tabTo(/Sign out here/)
    await page.keyboard.press('Enter')
    await page.waitForURL(`${worker.origin}/signin?done=signedout`)
    expect(await page.getByRole('status').innerText()).toContain('You are signed out.')
    expect(await refreshCookie(context)).toBeUndefined()
    expect(problems).toEqual([])
    await context.close()
  })
})
