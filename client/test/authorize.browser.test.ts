// A third-party app's authorization in Chromium: the real worker (wrangler's local server) as
// the authorization server, an app on another site (127.0.0.1, the worker is on localhost). The
// browser goes to /authorize, through the hosted /signin and back, sees the consent page, and
// its Allow (or Deny) form's 303 takes it to the app's redirect: Chromium enforces the page's
// CSP form-action on that redirect, which the worker-project tests cannot see.
import { type Browser, type Page, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM, chromiumAvailable, startSite, startWorker } from './servers'
import { type Problems, problemsOf, uniqueName } from './page-problems'

const available = chromiumAvailable()
const PASSWORD = 'correct horse battery staple'
const RESOURCE = 'https://notes.example/mcp'

let worker: Awaited<ReturnType<typeof startWorker>>
let app: Awaited<ReturnType<typeof startSite>>
let browser: Browser
let clientId: string

beforeAll(async () => {
  if (!available) return
  app = await startSite('127.0.0.1', {
    '/callback': '<!doctype html><title>Back in the app</title>',
  })
  worker = await startWorker({
    PROTECTED_RESOURCES: JSON.stringify([
      { resource: RESOURCE, name: 'Notes', scopes: ['notes:read', 'notes:write'] },
    ]),
  })
  const registered = await fetch(`${worker.origin}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Notes for desktop',
      redirect_uris: [`${app.origin}/callback`],
      token_endpoint_auth_method: 'none',
    }),
  })
  expect(registered.status).toBe(201)
  clientId = ((await registered.json()) as { client_id: string }).client_id
  browser = await chromium.launch({ executablePath: CHROMIUM })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await Promise.all([worker?.stop(), app?.stop()])
})

async function newUser(): Promise<string> {
  const username = uniqueName('az')
  const res = await fetch(`${worker.origin}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  expect(res.status).toBe(201)
  return username
}

async function authorizationUrl(state: string): Promise<string> {
  const verifier = 'v'.repeat(43)
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))
  const challenge = Buffer.from(digest).toString('base64url')
  const url = new URL('/authorize', worker.origin)
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: `${app.origin}/callback`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource: RESOURCE,
    scope: 'notes:read',
    state,
  }).toString()
  return url.href
}

/** /authorize, then the hosted sign-in form as `username`. */
async function signInFromAuthorize(page: Page, state: string, username: string) {
  await page.goto(await authorizationUrl(state))
  await page.waitForURL((url) => url.pathname === '/signin')
  await page.getByLabel('Username or email address').fill(username)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
}

/** To the consent page: /authorize, then the hosted sign-in, then back. */
async function toConsent(page: Page, problems: Problems, state: string, username?: string) {
  await signInFromAuthorize(page, state, username ?? (await newUser()))
  await page.waitForURL((url) => url.pathname === '/authorize/resume', { timeout: 10_000 })
  await page.getByRole('heading', { name: 'Allow access?' }).waitFor()
  expect(await page.textContent('main')).toContain('Notes for desktop')
  expect(problems).toEqual([])
}

describe.skipIf(!available)('authorizing a third-party app in Chromium', () => {
  it('signs in, shows the consent page, and Allow lands on the app with code, state and iss', async () => {
    const page = await browser.newPage()
    const problems = problemsOf(page)
    await toConsent(page, problems, 'st-allow')
    await page.getByRole('button', { name: 'Allow' }).click()
    await page
      .waitForURL((url) => url.origin === app.origin, { timeout: 10_000 })
      .catch((err: Error) => {
        throw new Error(`${err.message}; at ${page.url()}; ${problems.join('\n')}`)
      })
    const back = new URL(page.url())
    expect(back.pathname).toBe('/callback')
    expect(back.searchParams.get('code')).toMatch(/^[\w-]{43}$/)
    expect(back.searchParams.get('state')).toBe('st-allow')
    expect(back.searchParams.get('iss')).toBe(worker.origin)
    expect(problems).toEqual([])
    await page.close()
  }, 30_000)

  it('takes a returning user (consent remembered) from the sign-in form straight back to the app', async () => {
    const username = await newUser()
    const first = await browser.newContext()
    const once = await first.newPage()
    await toConsent(once, problemsOf(once), 'st-once', username)
    await once.getByRole('button', { name: 'Allow' }).click()
    await once.waitForURL((url) => url.origin === app.origin, { timeout: 10_000 })
    await first.close()
    // Another browser, so no session: sign in, and no consent page this time.
    const second = await browser.newContext()
    const page = await second.newPage()
    const problems = problemsOf(page)
    await signInFromAuthorize(page, 'st-again', username)
    await page
      .waitForURL((url) => url.origin === app.origin, { timeout: 10_000 })
      .catch((err: Error) => {
        throw new Error(`${err.message}; at ${page.url()}; ${problems.join('\n')}`)
      })
    const back = new URL(page.url())
    expect(back.searchParams.get('code')).toBeTruthy()
    expect(back.searchParams.get('state')).toBe('st-again')
    expect(problems).toEqual([])
    await second.close()
  }, 30_000)

  it('Deny lands on the app with access_denied and no code', async () => {
    const page = await browser.newPage()
    const problems = problemsOf(page)
    await toConsent(page, problems, 'st-deny')
    await page.getByRole('button', { name: 'Deny' }).click()
    await page.waitForURL((url) => url.origin === app.origin, { timeout: 10_000 })
    const back = new URL(page.url())
    expect(back.searchParams.get('error')).toBe('access_denied')
    expect(back.searchParams.get('code')).toBeNull()
    expect(back.searchParams.get('state')).toBe('st-deny')
    await page.close()
  }, 30_000)

  it('refuses to be framed by the app', async () => {
    const page = await browser.newPage()
    const problems = problemsOf(page)
    await toConsent(page, problems, 'st-frame')
    const consent = page.url()
    app.pages['/frame'] = `<!doctype html><iframe src="${consent}"></iframe>`
    const framing = await browser.newPage()
    // Chromium reports the refusal on the framing page's console.
    const refused = framing.waitForEvent('console', {
      predicate: (msg) => /frame-ancestors|Refused to (display|frame)/.test(msg.text()),
      timeout: 10_000,
    })
    await framing.goto(`${app.origin}/frame`)
    await refused
    const frame = framing.frames().find((f) => f !== framing.mainFrame())
    // Blocked by frame-ancestors 'none': the frame never shows the form.
    expect(await frame?.$('button[value=allow]').catch(() => null)).toBeFalsy()
    await Promise.all([page.close(), framing.close()])
  }, 30_000)
})
