// The two-factor enrolment's QR code, drawn by the pages' script (public/pages/totp-qr.js, from
// client/pages/totp-qr.ts) in real Chromium (Debian's, through playwright-core) against the real
// worker, under the pages' own CSP: the code it draws is the one uqr makes of the otpauth URI,
// and without script the page offers the typed key alone.
import { readFileSync } from 'node:fs'
import { type Browser, type Page, chromium } from 'playwright-core'
import { renderSVG } from 'uqr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM, chromiumAvailable, startSite, startWorker } from './servers'
import { problemsOf, uniqueName } from './page-problems'

const available = chromiumAvailable()
const PASSWORD = 'correct horse battery staple'
const SCRIPT = new URL('../../public/pages/totp-qr.js', import.meta.url)

let worker: Awaited<ReturnType<typeof startWorker>>
let site: Awaited<ReturnType<typeof startSite>>
let browser: Browser

beforeAll(async () => {
  if (!available) return
  worker = await startWorker({})
  site = await startSite('localhost', { '/totp-qr.js': readFileSync(SCRIPT, 'utf8') })
  browser = await chromium.launch({ executablePath: CHROMIUM })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await Promise.all([worker?.stop(), site?.stop()])
})

/** Signs up on the hosted pages and opens the two-factor set-up step; returns the page's URI. */
async function openSetup(page: Page): Promise<string> {
  await page.goto(`${worker.origin}/signup`)
  await page.getByLabel('Username').fill(uniqueName('q_'))
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.waitForURL(`${worker.origin}/account`)
  await page.locator('#totpPassword').fill(PASSWORD)
  await page.getByRole('button', { name: 'Turn on two-factor' }).click()
  await page.locator('form[action="/account/totp/verify"]').waitFor()
  return (await page.locator('[data-totp-qr]').getAttribute('data-totp-qr'))!
}

/** The drawn code's viewBox and modules, and the same of what uqr draws for `uri`. */
async function drawnAndExpected(page: Page, uri: string) {
  const svg = page.locator('[data-totp-qr] svg')
  await svg.waitFor()
  const drawn = {
    viewBox: await svg.getAttribute('viewBox'),
    d: await svg.locator('path').getAttribute('d'),
  }
  const made = renderSVG(uri, { border: 2 })
  const expected = {
    viewBox: /viewBox="([^"]+)"/.exec(made)![1],
    d: /<path[^>]* d="([^"]+)"/.exec(made)![1],
  }
  return { drawn, expected }
}

// A sign-up (PBKDF2) and a browser: seconds each, more on a loaded machine.
describe.runIf(available)('the two-factor QR code in Chromium', { timeout: 30_000 }, () => {
  it('is drawn on /account from the otpauth URI, as uqr draws it, under the pages CSP', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const problems = problemsOf(page)
    const uri = await openSetup(page)
    expect(uri).toMatch(/^otpauth:\/\/totp\//)
    const { drawn, expected } = await drawnAndExpected(page, uri)
    expect(drawn).toEqual(expected)
    expect(drawn.d!.length).toBeGreaterThan(1000)
    const box = page.getByRole('img', { name: 'QR code of your two-factor secret' })
    expect(await box.isVisible()).toBe(true)
    // Drawn as nodes: nothing of the URI is in the markup the script added.
    expect(await box.innerHTML()).not.toContain('otpauth')
    // No CSP violation, no error.
    expect(problems).toEqual([])
    await context.close()
  })

  it('without script, hides the empty box and shows the key to type', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await openSetup(page)
    expect(await page.locator('[data-totp-qr]').isVisible()).toBe(false)
    expect(await page.locator('[data-totp-qr] svg').count()).toBe(0)
    expect(await page.locator('code.secret').innerText()).toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{4})+$/)
    await context.close()
  })

  it('draws nothing but an otpauth TOTP URI', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const problems = problemsOf(page)
    const boxes = ['https://evil.example/?secret=AAAA', 'javascript:alert(1)', '']
    site.pages['/'] = `<!doctype html><meta charset="utf-8"><title>qr</title>
${boxes.map((uri) => `<div role="img" data-totp-qr="${uri}" hidden></div>`).join('\n')}
<div id="good" role="img" data-totp-qr="otpauth://totp/x:y?secret=JBSWY3DPEHPK3PXP" hidden></div>
<script type="module" src="/totp-qr.js"></script>`
    await page.goto(`${site.origin}/`)
    await page.locator('#good svg').waitFor()
    expect(await page.locator('svg').count()).toBe(1)
    expect(await page.locator('[data-totp-qr][hidden]').count()).toBe(boxes.length)
    expect(problems).toEqual([])
    await context.close()
  })
})
