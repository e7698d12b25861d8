// edge-auth/react in real Chromium against the real worker, under <StrictMode> (React's
// development build, which mounts, unmounts and mounts every effect): one client per provider,
// one resume on load, sign-in and sign-out reaching the other tab, and the sessions hook.
import { build } from 'esbuild'
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countClients, reactApp, reactPage } from './react-app'
import { CHROMIUM, chromiumAvailable, startSite, startWorker } from './servers'

const available = chromiumAvailable()

const PASSWORD = 'correct horse battery staple'

let worker: Awaited<ReturnType<typeof startWorker>>
let app: Awaited<ReturnType<typeof startSite>>
let browser: Browser

beforeAll(async () => {
  if (!available) return
  // React, react-dom and the bindings from source in one bundle, as an app's bundler would.
  const bundled = await build({
    stdin: {
      contents: reactApp('../src/react'),
      resolveDir: new URL('.', import.meta.url).pathname,
      loader: 'js',
    },
    bundle: true,
    format: 'esm',
    write: false,
    define: { 'process.env.NODE_ENV': '"development"' },
  })
  app = await startSite('localhost', { '/app.js': bundled.outputFiles[0]!.text })
  worker = await startWorker({ ALLOWED_ORIGINS: app.origin })
  app.pages['/'] = reactPage(worker.origin, '/app.js')
  browser = await chromium.launch({ executablePath: CHROMIUM })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await Promise.all([worker?.stop(), app?.stop()])
})

const unique = () => `r_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`

/** An account made directly on the API (no session in the browser). */
async function register(): Promise<string> {
  const username = unique()
  const res = await fetch(`${worker.origin}/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  expect(res.status).toBe(201)
  return username
}

/** Counts the requests the context sends to `path` on the worker. */
function countRequests(context: BrowserContext, path: string, method = 'POST') {
  let count = 0
  context.on('request', (req) => {
    const url = new URL(req.url())
    if (url.origin === worker.origin && req.method() === method && url.pathname === path) count++
  })
  return () => count
}

async function newContext() {
  const context = await browser.newContext()
  await context.addInitScript(countClients)
  return context
}

/** Opens the app and waits until the provider knows the status. */
async function openApp(context: BrowserContext): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (err) => {
    throw err
  })
  await page.goto(`${app.origin}/`)
  await page.waitForFunction(() => document.getElementById('status')?.textContent !== 'loading')
  return page
}

const status = (page: Page) => page.locator('#status').innerText()
const clients = (page: Page) =>
  page.evaluate(() => (window as unknown as { clients: number }).clients)

async function signIn(page: Page, username: string) {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.locator('#hello').waitFor()
}

describe.runIf(available)('edge-auth/react in Chromium', { timeout: 30_000 }, () => {
  it('a signed-out load under StrictMode: one client, one resume, no refresh, <SignedOut> only', async () => {
    const context = await newContext()
    const resumes = countRequests(context, '/session/resume')
    const refreshes = countRequests(context, '/token')
    const page = await openApp(context)
    expect(await status(page)).toBe('signed-out')
    expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(1)
    expect(await page.locator('#hello').count()).toBe(0)
    expect(await clients(page)).toBe(1)
    expect(resumes()).toBe(1)
    expect(refreshes()).toBe(0)
    await context.close()
  })

  it('signs in in one tab, the other follows; signs out in the other, the first follows', async () => {
    const context = await newContext()
    const username = await register()
    const [tab1, tab2] = [await openApp(context), await openApp(context)]
    const lists = countRequests(context, '/sessions', 'GET')
    const refreshes = countRequests(context, '/token')

    await signIn(tab1, username)
    expect(await tab1.locator('#hello').innerText()).toBe(`Hello ${username}`)
    // Tab 2 hears of it by broadcast: no request of its own for the token.
    await tab2.locator('#hello').waitFor()
    expect(await tab2.locator('#hello').innerText()).toBe(`Hello ${username}`)
    expect(refreshes()).toBe(0)
    // Each tab lists the sessions once, StrictMode's second effect notwithstanding.
    await expect.poll(lists).toBe(2)
    await tab1.locator('#sessions li').first().waitFor()
    expect(await tab1.locator('#sessions li').allInnerTexts()).toEqual([
      expect.stringContaining('this device'),
    ])

    await tab2.getByRole('button', { name: 'Sign out' }).click()
    await tab2.getByRole('button', { name: 'Sign in' }).waitFor()
    await tab1.getByRole('button', { name: 'Sign in' }).waitFor()
    expect(await status(tab1)).toBe('signed-out')
    expect(await tab1.locator('#hello').count()).toBe(0)
    expect(await tab1.locator('#sessions').count()).toBe(0)
    expect(await Promise.all([clients(tab1), clients(tab2)])).toEqual([1, 1])
    await context.close()
  })

  it('a signed-in reload under StrictMode: exactly one refresh (the resume), <SignedIn> with the user', async () => {
    const context = await newContext()
    const username = await register()
    const page = await openApp(context)
    await signIn(page, username)
    const resumes = countRequests(context, '/session/resume')
    const refreshes = countRequests(context, '/token')
    const lists = countRequests(context, '/sessions', 'GET')
    await page.reload()
    await page.locator('#hello').waitFor()
    expect(await page.locator('#hello').innerText()).toBe(`Hello ${username}`)
    await page.locator('#sessions li').first().waitFor()
    expect(resumes()).toBe(1)
    expect(refreshes()).toBe(0)
    expect(lists()).toBe(1)
    expect(await clients(page)).toBe(1)
    await context.close()
  })

  it('useSessions ends another device, and the list follows; this device stays signed in', async () => {
    const context = await newContext()
    const username = await register()
    const page = await openApp(context)
    await signIn(page, username)
    // A second device signs in, with its own refresh token.
    const phone = await fetch(`${worker.origin}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    })
    const { refreshToken } = (await phone.json()) as { refreshToken: string }
    await page.reload()
    await expect.poll(() => page.locator('#sessions li').count()).toBe(2)

    await page.getByRole('button', { name: 'End other' }).click()
    await expect.poll(() => page.locator('#sessions li').count()).toBe(1)
    expect(await page.locator('#sessions li').innerText()).toContain('this device')
    expect(await status(page)).toBe('signed-in')
    // The phone's session is over: its refresh token is refused.
    const refused = await fetch(`${worker.origin}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: refreshToken }),
    })
    expect(refused.status).toBe(401)
    await context.close()
  })

  it('useSessions on this device signs out (every tab), not only ends the session', async () => {
    const context = await newContext()
    const username = await register()
    const [tab1, tab2] = [await openApp(context), await openApp(context)]
    await signIn(tab1, username)
    await tab2.locator('#hello').waitFor()
    await tab1.locator('#sessions li').first().waitFor()
    await tab1.getByRole('button', { name: 'End this' }).click()
    await tab1.getByRole('button', { name: 'Sign in' }).waitFor()
    await tab2.getByRole('button', { name: 'Sign in' }).waitFor()
    expect((await context.cookies(worker.origin)).map((c) => c.name)).not.toContain(
      '__Host-refresh_token',
    )
    await context.close()
  })
})
