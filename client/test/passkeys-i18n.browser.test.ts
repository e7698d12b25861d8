// The pages' script speaks the page's language, in Chromium against the real worker: the account
// page in French hands the script its French words (data-passkey-messages), and a page without
// them (an older page, a cached one) leaves the script's English. A wrong password is refused
// before any ceremony, so no authenticator is needed.
import { type Browser, type Page, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM, chromiumAvailable, startWorker } from './servers'
import { problemsOf, uniqueName } from './page-problems'

const available = chromiumAvailable()
const PASSWORD = 'correct horse battery staple'

let worker: Awaited<ReturnType<typeof startWorker>>
let browser: Browser

beforeAll(async () => {
  if (!available) return
  worker = await startWorker({})
  browser = await chromium.launch({ executablePath: CHROMIUM })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await worker?.stop()
})

/** A new account, signed in by the /signin form in a fresh context's page. */
async function signedInPage(): Promise<Page> {
  const username = uniqueName('l_')
  const res = await fetch(`${worker.origin}/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  expect(res.status).toBe(201)
  const page = await (await browser.newContext()).newPage()
  await page.goto(`${worker.origin}/signin`)
  await page.locator('#username').fill(username)
  await page.locator('#password').fill(PASSWORD)
  await page.locator('form[action="/signin"] button[type="submit"]').click()
  await page.waitForURL(`${worker.origin}/account`)
  return page
}

const statusOf = (page: Page) => page.locator('[data-passkey-register] [data-passkey-status]')

describe.runIf(available)('the passkey script in the page’s language', { timeout: 30_000 }, () => {
  it('/account?lang=fr: the refusal of a wrong password is said in French; nothing is added', async () => {
    const page = await signedInPage()
    const problems = problemsOf(page)
    const added: string[] = []
    page.on('request', (req) => {
      if (req.method() === 'POST') added.push(new URL(req.url()).pathname)
    })
    await page.goto(`${worker.origin}/account?lang=fr`)
    // With WebAuthn, the script clears the "needs JavaScript" hint.
    await expect.poll(() => statusOf(page).innerText(), { timeout: 10_000 }).toBe('')
    await page.locator('#passkeyPassword').fill('not the password!')
    await page.getByRole('button', { name: 'Ajouter une clé d’accès' }).click()
    await expect
      .poll(() => statusOf(page).innerText(), { timeout: 10_000 })
      .toBe('Le mot de passe est incorrect.')
    expect(await statusOf(page).getAttribute('class')).toContain('error')
    // Refused at the options step: no ceremony, nothing posted to add a passkey.
    expect(added).toContain('/users/me/passkeys/options')
    expect(added).not.toContain('/users/me/passkeys')
    // The browser logs the 401 itself; the script throws nothing.
    expect(problems.filter((p) => !p.includes('401'))).toEqual([])
    await page.context().close()
  })

  it('a page without the words (or with broken ones) leaves the script’s English', async () => {
    const page = await signedInPage()
    await page.route(`${worker.origin}/account?lang=fr`, async (route) => {
      const response = await route.fetch()
      const body = (await response.text()).replace(
        /data-passkey-messages="[^"]*"/,
        'data-passkey-messages="{broken"',
      )
      await route.fulfill({ response, body })
    })
    await page.goto(`${worker.origin}/account?lang=fr`)
    await page.locator('#passkeyPassword').fill('not the password!')
    await page.getByRole('button', { name: 'Ajouter une clé d’accès' }).click()
    await expect
      .poll(() => statusOf(page).innerText(), { timeout: 10_000 })
      .toBe('The password is incorrect.')
    await page.context().close()
  })
})
