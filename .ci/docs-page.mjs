// Renders /docs in headless Chromium with every request to another host refused, and checks that
// Swagger UI (served by the worker itself) shows every documented operation, with no script
// error and no Content-Security-Policy violation.
import { chromium } from 'playwright-core'

/** Throws unless /docs renders one operation block per operation in /openapi.json. */
export async function checkDocsPage(base, screenshotPath) {
  const spec = await (await fetch(`${base}/openapi.json`)).json()
  const operations = Object.values(spec.paths).reduce((n, path) => n + Object.keys(path).length, 0)
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' })
  try {
    const page = await browser.newPage()
    const errors = []
    const thirdParty = []
    page.on('pageerror', (err) => errors.push(err.message))
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text())
    })
    const own = new URL(base).host
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url())
      if (url.host === own) return route.continue()
      thirdParty.push(url.href)
      return route.abort('blockedbyclient')
    })
    await page.goto(`${base}/docs`)
    await page.waitForSelector('.opblock', { timeout: 20_000 })
    const shown = await page.locator('.opblock').count()
    const title = await page.locator('.info .title').innerText()
    if (screenshotPath) await page.screenshot({ path: screenshotPath, fullPage: true })
    if (thirdParty.length) throw new Error(`requests to other hosts: ${thirdParty.join(', ')}`)
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`)
    if (shown !== operations) throw new Error(`docs show ${shown} of ${operations} operations`)
    if (!title.includes('edge-auth')) throw new Error(`unexpected title: ${title}`)
    return { operations, title }
  } finally {
    await browser.close()
  }
}
