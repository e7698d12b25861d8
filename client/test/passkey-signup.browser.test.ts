// Signing up with a passkey and no password on the hosted /signup page, in Chromium (Debian's,
// through playwright-core) against the real worker, with a CDP virtual authenticator: the page's
// script reads the form's username, runs the real ceremony and lands signed in by cookie. Also
// what must not happen: a taken or malformed name creates nothing, and without JavaScript or
// WebAuthn the page is the password form it always was.
import {
  type BrowserContext,
  type Browser,
  type Page,
  type Request,
  chromium,
} from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM, chromiumAvailable, startSite, startWorker } from './servers'
import { problemsOf, uniqueName } from './page-problems'

const available = chromiumAvailable()
const PASSWORD = 'correct horse battery staple'
const REFRESH_COOKIE = '__Host-refresh_token'

let worker: Awaited<ReturnType<typeof startWorker>>
let app: Awaited<ReturnType<typeof startSite>>
let browser: Browser

beforeAll(async () => {
  if (!available) return
  // An app origin the worker allows, to return to after signing up.
  app = await startSite('localhost', {
    '/home':
      '<!doctype html><meta charset="utf-8"><title>home</title><link rel="icon" href="data:,">',
  })
  worker = await startWorker({ ALLOWED_ORIGINS: app.origin })
  browser = await chromium.launch({ executablePath: CHROMIUM })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await Promise.all([worker?.stop(), app?.stop()])
})

/**
 * A platform authenticator for `page`'s tab (as in passkeys.browser.test.ts): discoverable
 * credentials; `verified: false` makes it fail user verification, as a dismissed prompt does.
 */
async function withAuthenticator(context: BrowserContext, page: Page, verified = true) {
  const cdp = await context.newCDPSession(page)
  await cdp.send('WebAuthn.enable', { enableUI: false })
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: verified,
      automaticPresenceSimulation: true,
    },
  })
  return {
    credentials: async () =>
      (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
  }
}

const unique = () => uniqueName('s_')

/** The API paths (not pages or files) the page posted to, in order. */
function postsOf(page: Page) {
  const posts: string[] = []
  page.on('request', (req: Request) => {
    if (req.method() === 'POST') posts.push(new URL(req.url()).pathname)
  })
  return posts
}

/** An account made the ordinary way (the JSON API), from outside the browser. */
async function registerWithPassword(username: string) {
  const res = await fetch(`${worker.origin}/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  expect(res.status).toBe(201)
}

const passkeyButton = (page: Page) =>
  page.getByRole('button', { name: 'Create an account with a passkey' })
const statusOf = (page: Page) => page.locator('[data-passkey-signup] [data-passkey-status]')
const refreshCookies = async (context: BrowserContext) =>
  (await context.cookies(worker.origin)).filter((c) => c.name === REFRESH_COOKIE)

// Real ceremonies and a browser: seconds each, more on a loaded machine. Every sign-up here
// counts against REGISTER_LIMITER (10 a minute from one address): the file makes 8.
describe.runIf(available)(
  'sign up with a passkey on /signup, in Chromium',
  { timeout: 30_000 },
  () => {
    it('creates the account with no password, signed in; then signs out and back in with the passkey', async () => {
      const context = await browser.newContext()
      const page = await context.newPage()
      const problems = problemsOf(page)
      const posts = postsOf(page)
      const authenticator = await withAuthenticator(context, page)

      const username = unique()
      await page.goto(`${worker.origin}/signup`)
      // Only the username: the password field stays empty.
      await page.getByLabel('Username').fill(username)
      const finish = page.waitForRequest(
        (req) => new URL(req.url()).pathname === '/register/passkey',
      )
      await passkeyButton(page).click()
      await page.waitForURL(`${worker.origin}/account`)

      const main = page.locator('main')
      expect(await main.innerText()).toContain(`Signed in as ${username}`)
      const listed = page.locator('section[aria-labelledby="passkeys-title"] li .device')
      expect(await listed.allInnerTexts()).toEqual([expect.stringMatching(/^Passkey added \d{4}-/)])
      // No password yet: the page offers to set one rather than change it.
      await expect
        .poll(() => page.getByRole('heading', { name: 'Set a password' }).isVisible())
        .toBe(true)
      expect(await page.getByRole('heading', { name: 'Change password' }).count()).toBe(0)
      // Signed in by the HttpOnly cookie (mode "cookie"), never a token the page could read.
      const [cookie] = await refreshCookies(context)
      expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' })
      expect(posts).toEqual(['/register/passkey/options', '/register/passkey'])
      expect(Object.keys((await finish).postDataJSON()).sort()).toEqual(['credential', 'mode'])
      expect((await finish).postDataJSON().mode).toBe('cookie')

      const [credential] = await authenticator.credentials()
      expect(credential).toMatchObject({ isResidentCredential: true, rpId: 'localhost' })

      await page.getByRole('button', { name: 'Sign out everywhere' }).click()
      await page.waitForURL(`${worker.origin}/signin?done=signedout`)
      expect(await refreshCookies(context)).toEqual([])

      await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
      await page.waitForURL(`${worker.origin}/account`)
      expect(await main.innerText()).toContain(`Signed in as ${username}`)
      expect((await authenticator.credentials())[0]!.signCount).toBeGreaterThan(
        credential!.signCount,
      )
      expect(problems).toEqual([])
      await context.close()
    })

    it('goes to the return_to the page was given, as the sign-in button does', async () => {
      const context = await browser.newContext()
      const page = await context.newPage()
      await withAuthenticator(context, page)
      const target = `${app.origin}/home`
      await page.goto(`${worker.origin}/signup?return_to=${encodeURIComponent(target)}`)
      await page.getByLabel('Username').fill(unique())
      await passkeyButton(page).click()
      await page.waitForURL(target)
      expect(await refreshCookies(context)).toHaveLength(1)

      // A target the worker does not allow never reaches the page: the block holds the fallback.
      await page.goto(
        `${worker.origin}/signup?return_to=${encodeURIComponent('https://evil.example/')}`,
      )
      const block = page.locator('[data-passkey-signup]')
      expect(await block.getAttribute('data-return-to')).toBe('/account')
      await context.close()
    })

    it('a taken username: the status line says so, and nothing is created or signed in', async () => {
      const taken = unique()
      await registerWithPassword(taken)
      const context = await browser.newContext()
      const page = await context.newPage()
      const problems = problemsOf(page)
      const posts = postsOf(page)
      const authenticator = await withAuthenticator(context, page)

      await page.goto(`${worker.origin}/signup`)
      // Another spelling of the same name: unique regardless of case.
      await page.getByLabel('Username').fill(taken.toUpperCase())
      await passkeyButton(page).click()
      await expect
        .poll(() => statusOf(page).innerText())
        .toBe('That username is taken; choose another.')
      expect(await statusOf(page).getAttribute('class')).toContain('error')
      expect(page.url()).toBe(`${worker.origin}/signup`)
      // Refused before the ceremony: no passkey on the device, no finishing post, no cookie.
      expect(await authenticator.credentials()).toEqual([])
      expect(posts).not.toContain('/register/passkey')
      expect(await refreshCookies(context)).toEqual([])
      // The browser logs the 409 itself; the page's script throws nothing.
      expect(problems.filter((p) => !p.includes('409'))).toEqual([])
      // The button works again for another name.
      expect(await passkeyButton(page).isEnabled()).toBe(true)
      await context.close()
    })

    it('a name taken between the options and the passkey: refused, and the passkey signs nobody in', async () => {
      const username = unique()
      const context = await browser.newContext()
      const page = await context.newPage()
      const authenticator = await withAuthenticator(context, page)
      // Someone registers the same name while the browser is making the passkey.
      await page.route('**/register/passkey', async (route) => {
        await registerWithPassword(username)
        await route.continue()
      })

      await page.goto(`${worker.origin}/signup`)
      await page.getByLabel('Username').fill(username)
      await passkeyButton(page).click()
      await expect
        .poll(() => statusOf(page).innerText())
        .toBe('That username is taken; choose another.')
      expect(page.url()).toBe(`${worker.origin}/signup`)
      expect(await refreshCookies(context)).toEqual([])
      // The device made a passkey, but the worker stored none: it opens no account, not even the
      // one that took the name.
      expect(await authenticator.credentials()).toHaveLength(1)
      await page.goto(`${worker.origin}/signin`)
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
      const signInStatus = page.locator('[data-passkey-signin] [data-passkey-status]')
      await expect.poll(() => signInStatus.innerText()).toBe('That did not work; please try again.')
      expect(page.url()).toBe(`${worker.origin}/signin`)
      expect(await refreshCookies(context)).toEqual([])
      await context.close()
    })

    it('a malformed username is refused in the page, before any request or ceremony', async () => {
      const context = await browser.newContext()
      const page = await context.newPage()
      const posts = postsOf(page)
      const authenticator = await withAuthenticator(context, page)
      await page.goto(`${worker.origin}/signup`)
      for (const name of ['', 'ab', 'has space', 'a'.repeat(33), 'semi;colon']) {
        await page.getByLabel('Username').fill(name)
        await passkeyButton(page).click()
        await expect
          .poll(() => statusOf(page).innerText())
          .toBe(
            'Type a username above first: it must be 3 to 32 characters: letters, digits, _ . -.',
          )
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('username')
      }
      expect(posts.filter((p) => p.startsWith('/register'))).toEqual([])
      expect(await authenticator.credentials()).toEqual([])
      await context.close()
    })

    it('a cancelled or failed prompt is said in the status line; nothing is created', async () => {
      const context = await browser.newContext()
      const page = await context.newPage()
      const posts = postsOf(page)
      // The authenticator cannot verify the user, so the browser refuses as for a dismissed prompt.
      const authenticator = await withAuthenticator(context, page, false)
      await page.goto(`${worker.origin}/signup`)
      await page.getByLabel('Username').fill(unique())
      await passkeyButton(page).click()
      await expect
        .poll(() => statusOf(page).innerText())
        .toBe('The passkey request was cancelled or timed out.')
      expect(posts).not.toContain('/register/passkey')
      expect(await authenticator.credentials()).toEqual([])
      expect(await refreshCookies(context)).toEqual([])
      expect(await passkeyButton(page).isEnabled()).toBe(true)
      await context.close()
    })

    it('without JavaScript, or without WebAuthn, the block stays hidden and the form signs up', async () => {
      const noScript = await browser.newContext({ javaScriptEnabled: false })
      const page = await noScript.newPage()
      await page.goto(`${worker.origin}/signup`)
      expect(await passkeyButton(page).isVisible()).toBe(false)
      const username = unique()
      await page.getByLabel('Username').fill(username)
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await page.getByRole('button', { name: 'Create account' }).click()
      await page.waitForURL(`${worker.origin}/account`)
      expect(await page.locator('main').innerText()).toContain(`Signed in as ${username}`)
      await noScript.close()

      const noWebAuthn = await browser.newContext()
      await noWebAuthn.addInitScript(() => {
        delete (window as { PublicKeyCredential?: unknown }).PublicKeyCredential
      })
      const other = await noWebAuthn.newPage()
      const problems = problemsOf(other)
      await other.goto(`${worker.origin}/signup`)
      // Module scripts run before the load event: by then the script has seen no WebAuthn.
      await other.waitForLoadState('load')
      expect(await passkeyButton(other).isVisible()).toBe(false)
      expect(problems).toEqual([])
      await noWebAuthn.close()
    })
  },
)
