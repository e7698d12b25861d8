// Real passkey ceremonies in Chromium (Debian's, through playwright-core) against the real worker:
// a virtual authenticator over CDP (ctap2, internal transport, resident keys, user verification)
// registers and signs in username-less through the hosted pages and through the SDK. Nothing of
// WebAuthn is mocked: the browser, the authenticator and the worker's checks are the real ones.
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeJwt } from 'jose'
import { bundle } from '../build.mjs'
import {
  type AppWindow,
  CHROMIUM,
  appPage,
  chromiumAvailable,
  startSite,
  startWorker,
} from './servers'
import { problemsOf, uniqueName } from './page-problems'

const available = chromiumAvailable()
const PASSWORD = 'correct horse battery staple'

let worker: Awaited<ReturnType<typeof startWorker>>
let app: Awaited<ReturnType<typeof startSite>>
let stranger: Awaited<ReturnType<typeof startSite>>
let browser: Browser

beforeAll(async () => {
  if (!available) return
  const sdk = (await bundle()) as string
  app = await startSite('localhost', { '/sdk.js': sdk })
  // Same site, another origin, not in ALLOWED_ORIGINS.
  stranger = await startSite('localhost', { '/sdk.js': sdk })
  worker = await startWorker({ ALLOWED_ORIGINS: app.origin })
  app.pages['/'] = appPage(worker.origin)
  stranger.pages['/'] = appPage(worker.origin)
  browser = await chromium.launch({ executablePath: CHROMIUM })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await Promise.all([worker?.stop(), app?.stop(), stranger?.stop()])
})

/**
 * A platform authenticator for `page`'s tab, as a phone or laptop has: it keeps discoverable
 * credentials and verifies the user. Each tab needs its own (and Chrome allows one internal one
 * per tab); the CDP session must stay open while it is used.
 */
async function withAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page)
  await cdp.send('WebAuthn.enable', { enableUI: false })
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
  const credentials = async () =>
    (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials
  return {
    credentials,
    /** Puts a copy of a credential on this authenticator (a synced passkey, or a stolen one). */
    add: (credential: Awaited<ReturnType<typeof credentials>>[number]) =>
      cdp.send('WebAuthn.addCredential', { authenticatorId, credential }),
  }
}

const unique = () => uniqueName('p_')

// Real ceremonies, PBKDF2 and a browser: seconds each, more on a loaded machine.
describe.runIf(available)('passkeys in Chromium', { timeout: 30_000 }, () => {
  it('hosted pages: add a passkey on /account, then sign in with it on /signin, no username', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const problems = problemsOf(page)
    const authenticator = await withAuthenticator(context, page)

    const username = unique()
    await page.goto(`${worker.origin}/signup`)
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.waitForURL(`${worker.origin}/account`)

    await page.locator('#passkeyPassword').fill(PASSWORD)
    await page.locator('#passkeyName').fill('Test laptop')
    await page.getByRole('button', { name: 'Add a passkey' }).click()
    await page.waitForURL(`${worker.origin}/account?done=passkey`)
    expect(await page.locator('main').innerText()).toContain('Test laptop')
    const [credential] = await authenticator.credentials()
    expect(credential).toMatchObject({ isResidentCredential: true, rpId: 'localhost' })

    // Signed out everywhere; the cookie is gone.
    await page.getByRole('button', { name: 'Sign out everywhere' }).click()
    await page.waitForURL(`${worker.origin}/signin?done=signedout`)
    expect((await context.cookies(worker.origin)).length).toBe(0)

    // The sign-in page offers the passkey; nothing is typed.
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await page.waitForURL(`${worker.origin}/account`)
    expect(await page.locator('main').innerText()).toContain(`Signed in as ${username}`)
    expect((await authenticator.credentials())[0]!.signCount).toBeGreaterThan(credential!.signCount)
    expect(problems).toEqual([])
    await context.close()
  })

  it('SDK: register, sign out, sign in with the passkey from an allowed origin (amr hwk)', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${app.origin}/`)
    await page.waitForFunction(() => (window as unknown as AppWindow).ready === true)
    await withAuthenticator(context, page)
    const username = unique()
    const result = await page.evaluate(
      async ({ username, password, workerOrigin }) => {
        const { auth } = window as unknown as AppWindow
        await auth.signUp({ username, password })
        const passkey = await auth.passkeys.register({ password, name: 'SDK key' })
        const listed = await auth.passkeys.list()
        await auth.signOut()
        const signedOut = await auth.getAccessToken().then(
          () => 'still signed in',
          (err: { code: string }) => err.code,
        )
        await auth.signInWithPasskey()
        const me = (await auth.fetch(`${workerOrigin}/users/me`)).status
        return {
          passkey,
          listed: listed.map((p) => p.name),
          signedOut,
          me,
          token: await auth.getAccessToken(),
        }
      },
      { username, password: PASSWORD, workerOrigin: worker.origin },
    )
    expect(result.me).toBe(200)
    expect(result.passkey).toMatchObject({ name: 'SDK key', deviceType: 'singleDevice' })
    expect(result.listed).toEqual(['SDK key'])
    expect(result.signedOut).not.toBe('still signed in')
    expect(decodeJwt(result.token)).toMatchObject({ username, amr: ['hwk'] })
    await context.close()
  })

  it('SDK from the app origin: rename a passkey (PATCH); the same authenticator twice is passkey_exists_on_device', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const failures: string[] = []
    page.on('requestfailed', (req) => failures.push(`${req.method()} ${req.url()}`))
    await page.goto(`${app.origin}/`)
    await page.waitForFunction(() => (window as unknown as AppWindow).ready === true)
    const authenticator = await withAuthenticator(context, page)
    const result = await page.evaluate(
      async ({ username, password }) => {
        const { auth } = window as unknown as AppWindow
        await auth.signUp({ username, password })
        const passkey = await auth.passkeys.register({ password, name: 'Laptop' })
        const renamed = await auth.passkeys.rename(passkey.id, 'Work laptop')
        const listed = (await auth.passkeys.list()).map((p) => p.name)
        const again = await auth.passkeys.register({ password, name: 'Twice' }).then(
          () => 'registered twice',
          (err: { name: string; code: string; cause?: { name?: string } }) =>
            `${err.name} ${err.code} ${err.cause?.name}`,
        )
        return { renamed: renamed.name, listed, again }
      },
      { username: unique(), password: PASSWORD },
    )
    expect(result).toEqual({
      renamed: 'Work laptop',
      listed: ['Work laptop'],
      again: 'AuthError passkey_exists_on_device InvalidStateError',
    })
    expect(await authenticator.credentials()).toHaveLength(1)
    expect(failures).toEqual([])
    await context.close()
  })

  it('a page on an origin that is not allowed cannot sign in with the passkey', async () => {
    const context = await browser.newContext()
    const home = await context.newPage()
    await home.goto(`${app.origin}/`)
    await home.waitForFunction(() => (window as unknown as AppWindow).ready === true)
    const mine = await withAuthenticator(context, home)
    await home.evaluate(
      async ({ username, password }) => {
        const { auth } = window as unknown as AppWindow
        await auth.signUp({ username, password })
        await auth.passkeys.register({ password })
        await auth.signOut()
      },
      { username: unique(), password: PASSWORD },
    )
    // Another origin of the same site (so the same RP ID), whose authenticator holds the very
    // same passkey: the worker does not list the origin, so the ceremony cannot even start.
    const other = await context.newPage()
    await other.goto(`${stranger.origin}/`)
    await other.waitForFunction(() => (window as unknown as AppWindow).ready === true)
    const copy = await withAuthenticator(context, other)
    const [credential] = await mine.credentials()
    await copy.add(credential!)
    const outcome = await other.evaluate(() =>
      (window as unknown as AppWindow).auth.signInWithPasskey().then(
        () => 'signed in',
        (err: { code?: string; name?: string }) => err.code ?? err.name,
      ),
    )
    // CORS withholds the options from the page, before any signature is asked for.
    expect(outcome).toBe('network_error')
    expect((await context.cookies(worker.origin)).length).toBe(0)
    await context.close()
  })
})
