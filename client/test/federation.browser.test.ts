// "Continue with …" end to end in Chromium (Debian's, through playwright-core): the real worker
// (wrangler's local server) and a real OpenID provider (panva's oidc-provider, in this process,
// its HTML login form on 127.0.0.1, another site than the worker's localhost). The browser
// follows every redirect, carries the state cookie back across sites and enforces the pages'
// CSP, so this proves what the worker-project tests, which follow redirects by hand, cannot.
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningOpenIdProvider, startOpenIdProvider } from '../../test/global/openid-provider'
import { CHROMIUM, chromiumAvailable, startWorker } from './servers'
import { type Problems, problemsOf, uniqueName } from './page-problems'

const available = chromiumAvailable()
const PASSWORD = 'correct horse battery staple'

let idp: RunningOpenIdProvider
let worker: Awaited<ReturnType<typeof startWorker>>
let browser: Browser

beforeAll(async () => {
  if (!available) return
  // The worker needs the provider's issuer to start, and the provider must know the worker's
  // callback exactly: the provider listens first (its port, so its issuer, is then fixed) with
  // no redirect URI its clients may use; the callback is registered once the worker's port is
  // known, before any sign-in begins.
  idp = await startOpenIdProvider({ redirectUris: [] })
  worker = await startWorker({
    AUTH_PROVIDERS: JSON.stringify({
      local: { type: 'oidc', issuer: idp.issuer, clientId: idp.clientId, name: 'Local' },
    }),
    PROVIDER_LOCAL_CLIENT_SECRET: idp.clientSecret,
  })
  idp.setRedirectUris([`${worker.origin}/signin/local/callback`])
  browser = await chromium.launch({ executablePath: CHROMIUM })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await Promise.all([worker?.stop(), idp?.close()])
})

const unique = () => uniqueName('f')

type Account = { sub: string; email: string; name: string; preferredUsername: string }

const account = (): Account => {
  const id = unique()
  return {
    sub: `sub-${id}`,
    email: `${id}@example.com`,
    name: `Person ${id}`,
    preferredUsername: `fed_${id}`,
  }
}

/**
 * Waits for `page` to reach a URL `where` accepts. A blocked navigation (a CSP violation, say)
 * never arrives: fail well within the test's time, saying what the page reported.
 */
async function arrive(page: Page, problems: Problems, where: string | ((url: URL) => boolean)) {
  await page.waitForURL(where, { timeout: 10_000 }).catch((err: Error) => {
    throw new Error(`${err.message}\nat ${page.url()}; the page reported: ${problems.join('\n')}`)
  })
}

/** On the provider's login form (its own origin, not the worker's): signs `who` in there. */
async function signInAtProvider(page: Page, problems: Problems, who: Account) {
  await arrive(
    page,
    problems,
    (url) => url.origin === idp.issuer && url.pathname.startsWith('/interaction/'),
  )
  await page.getByLabel('Subject (sub)').fill(who.sub)
  await page.getByLabel('Email', { exact: true }).fill(who.email)
  await page.getByLabel('Email verified').check()
  await page.getByLabel('Name', { exact: true }).fill(who.name)
  await page.getByLabel('Preferred username').fill(who.preferredUsername)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

/** /signin → "Continue with Local" → the provider's form → back on /account, signed in. */
async function continueWithLocal(context: BrowserContext, who: Account) {
  const page = await context.newPage()
  const problems = problemsOf(page)
  await page.goto(`${worker.origin}/signin?return_to=/account`)
  await page.getByRole('link', { name: 'Continue with Local' }).click()
  await signInAtProvider(page, problems, who)
  await arrive(page, problems, `${worker.origin}/account`)
  return { page, problems }
}

/** The account page's list of connected identities, as text. */
const identities = (page: Page) => page.locator('ul.identities')

describe.runIf(available)(
  'signing in with another provider in Chromium',
  { timeout: 30_000 },
  () => {
    it('/signin: Continue with Local, sign in at the provider, land on /account signed in; again later, the same account', async () => {
      const who = account()
      const first = await browser.newContext()
      const { page, problems } = await continueWithLocal(first, who)
      const main = page.locator('main')
      // A new account, named from preferred_username, with the identity listed.
      expect(await main.innerText()).toContain(`Signed in as ${who.preferredUsername}.`)
      expect(await identities(page).innerText()).toContain(who.email)
      expect(await identities(page).getByRole('button', { name: 'Disconnect' }).count()).toBe(1)
      // The state cookie is spent; the refresh cookie is the worker's own, host-only and Secure.
      const cookies = await first.cookies(worker.origin)
      expect(cookies.map((c) => c.name)).toEqual(['__Host-refresh_token'])
      expect(cookies[0]).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax' })

      await page.getByRole('button', { name: 'Sign out everywhere' }).click()
      await page.waitForURL(`${worker.origin}/signin?done=signedout`)
      expect(await first.cookies(worker.origin)).toEqual([])
      expect(problems).toEqual([])
      await first.close()

      // Another browser (so the provider asks again), the same subject: the same account, not a
      // new one with a suffixed name.
      const second = await browser.newContext()
      const again = await continueWithLocal(second, who)
      expect(await again.page.locator('main').innerText()).toContain(
        `Signed in as ${who.preferredUsername}.`,
      )
      expect(again.problems).toEqual([])
      await second.close()
    })

    it('/account: a password account connects Local (the form redirects to the provider under the CSP), then disconnects it', async () => {
      const context = await browser.newContext()
      const page = await context.newPage()
      const problems = problemsOf(page)
      const username = unique()
      await page.goto(`${worker.origin}/signup`)
      await page.getByLabel('Username').fill(username)
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await page.getByRole('button', { name: 'Create account' }).click()
      await page.waitForURL(`${worker.origin}/account`)
      expect(await identities(page).count()).toBe(0)

      // The connect form posts to the worker, whose answer redirects to the provider: Chromium
      // enforces the account page's form-action on that redirect.
      const who = account()
      // Connecting adds a way in: the password confirms it.
      await page.locator('#connectPassword').fill(PASSWORD)
      await page.getByRole('button', { name: 'Connect Local' }).click()
      await signInAtProvider(page, problems, who)
      await arrive(page, problems, `${worker.origin}/account?done=connected`)
      const main = page.locator('main')
      // Still the password account: connecting signs no one else in.
      expect(await main.innerText()).toContain(`Signed in as ${username}.`)
      expect(await identities(page).innerText()).toContain(who.email)
      expect(await page.getByRole('button', { name: 'Connect Local' }).count()).toBe(0)

      // It has a password, so the identity may go.
      await identities(page).getByRole('button', { name: 'Disconnect' }).click()
      await page.waitForURL(`${worker.origin}/account?done=disconnected`)
      expect(await identities(page).count()).toBe(0)
      expect(await page.getByRole('button', { name: 'Connect Local' }).count()).toBe(1)
      expect(await main.innerText()).toContain(`Signed in as ${username}.`)

      // No CSP violation (nor any other error) on any page of the way.
      expect(problems).toEqual([])
      await context.close()
    })
  },
)
