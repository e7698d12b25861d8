// Renders /docs in headless Chromium and checks that Swagger UI shows every documented operation.
// The page loads Swagger UI from jsDelivr; this machine has no internet, so those requests are
// answered from the same pinned version in node_modules/swagger-ui-dist.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

const root = new URL('..', import.meta.url).pathname
const assets = join(root, 'node_modules/swagger-ui-dist')
const { version } = JSON.parse(readFileSync(join(assets, 'package.json'), 'utf8'))
const TYPES = { css: 'text/css', js: 'text/javascript' }

/** Throws unless /docs renders one operation block per operation in /openapi.json. */
export async function checkDocsPage(base, screenshotPath) {
  const spec = await (await fetch(`${base}/openapi.json`)).json()
  const operations = Object.values(spec.paths).reduce((n, path) => n + Object.keys(path).length, 0)
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' })
  try {
    const page = await browser.newPage()
    const errors = []
    page.on('pageerror', (err) => errors.push(err.message))
    await page.route('https://cdn.jsdelivr.net/npm/**', (route) => {
      const url = new URL(route.request().url())
      const prefix = `/npm/swagger-ui-dist@${version}/`
      if (!url.pathname.startsWith(prefix)) {
        return route.fulfill({ status: 404, body: `not pinned to ${version}: ${url.pathname}` })
      }
      const file = url.pathname.slice(prefix.length)
      const type = TYPES[file.split('.').pop()] ?? 'application/octet-stream'
      return route.fulfill({ body: readFileSync(join(assets, file)), contentType: type })
    })
    await page.goto(`${base}/docs`)
    await page.waitForSelector('.opblock', { timeout: 20_000 })
    const shown = await page.locator('.opblock').count()
    const title = await page.locator('.info .title').innerText()
    if (screenshotPath) await page.screenshot({ path: screenshotPath, fullPage: true })
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`)
    if (shown !== operations) throw new Error(`docs show ${shown} of ${operations} operations`)
    if (!title.includes('edge-auth')) throw new Error(`unexpected title: ${title}`)
    return { operations, title }
  } finally {
    await browser.close()
  }
}
