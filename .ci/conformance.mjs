// The MCP conformance suite's authorization-server scenarios against `npm run dev`:
// `conformance authorization` checks the metadata, then runs an authorization-code grant with
// PKCE for a public client registered here by DCR. The suite prints the authorization URL and
// waits for its callback; headless Chromium signs in on the hosted /signin and presses Allow,
// and the browser lands on the suite's callback server. Its summary counts SKIPPED and WARNING
// as passed and hides messages, so each scenario's checks.json is read instead: every check
// must be SUCCESS (only `authorization-server-metadata-cimd` may WARN: it asks for Client ID
// Metadata Documents, which the metadata advertises only once they are served). Prints one line
// per check; exits non-zero otherwise.
// By hand: `node .ci/conformance.mjs` (CONFORMANCE_BIN picks another install of the suite).
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { chromium } from 'playwright-core'
import { freePort, root, startDev, stopGroup, waitFor } from './dev-server.mjs'

const BIN = process.env.CONFORMANCE_BIN ?? join(root, 'node_modules/.bin/conformance')
const OUT = join(root, '.ci/out/conformance')
/** The suite waits 5 minutes for its callback; a run that stalls fails well before that. */
const SUITE_TIMEOUT_MS = 60_000
/** May WARN: CIMD support is optional for an authorization server. */
const MAY_WARN = new Set(['authorization-server-metadata-cimd'])
/** Both scenarios of `conformance list --authorization`, each with at least one check. */
const SCENARIOS = ['authorization-server-metadata-endpoint', 'authorization-code-grant']

const port = await freePort()
const callbackPort = await freePort()
// wrangler dev serves 127.0.0.1 and the worker sees that origin: with JWT_ISSUER unset it is the
// issuer, and the suite requires `--url` to equal the metadata's issuer exactly.
const issuer = `http://127.0.0.1:${port}`
const resource = `${issuer}/mcp-demo`
const redirectUri = `http://127.0.0.1:${callbackPort}/callback`
const resources = [{ resource, name: 'Conformance demo', scopes: ['demo:read', 'demo:write'] }]
const dev = startDev([
  ...['--port', String(port), '--ip', '127.0.0.1'],
  ...['--var', `PROTECTED_RESOURCES:${JSON.stringify(resources)}`],
])
let suite
let browser
const stop = async () => {
  await browser?.close().catch(() => {})
  stopGroup(suite)
  dev.stop()
}

const post = async (path, body) => {
  const res = await fetch(`${issuer}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${text}`)
  return JSON.parse(text)
}

/** Sign in on the hosted page and allow; resolves once the browser has reached the callback. */
async function authorizeInBrowser(url, credentials) {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium' })
  const page = await browser.newPage()
  await page.goto(url)
  if (!new URL(page.url()).pathname.startsWith('/signin')) {
    throw new Error(`/authorize did not send a new browser to /signin but to ${page.url()}`)
  }
  const signIn = page.locator('form[action="/signin"]')
  await signIn.locator('input[name="username"]').fill(credentials.username)
  await signIn.locator('input[name="password"]').fill(credentials.password)
  await signIn.locator('button[type="submit"]').click()
  const allow = page.locator('button[name="decision"][value="allow"]')
  await allow.waitFor({ timeout: 10_000 }).catch(() => {
    throw new Error(`no consent page after signing in, at ${page.url()}`)
  })
  await allow.click()
  await page.waitForURL((u) => u.href.startsWith(`${redirectUri}?`), { timeout: 10_000 })
}

/** Runs the suite; resolves with its exit code once it has written its results. */
function runSuite(clientId, credentials) {
  suite = spawn(
    BIN,
    [
      'authorization',
      ...['--url', issuer, '--client-id', clientId, '--resource', resource],
      ...['-p', String(callbackPort), '-o', OUT],
    ],
    { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  suite.stderr.on('data', (chunk) => (output += chunk))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the suite did not finish in ${SUITE_TIMEOUT_MS / 1000} s\n${output}`))
    }, SUITE_TIMEOUT_MS)
    let urlNext = false
    createInterface({ input: suite.stdout }).on('line', (line) => {
      output += `${line}\n`
      if (line.startsWith('Access the following URL')) urlNext = true
      else if (urlNext && /^https?:\/\//.test(line.trim())) {
        urlNext = false
        authorizeInBrowser(line.trim(), credentials).catch((err) => {
          clearTimeout(timer)
          reject(new Error(`browser: ${err.message}`))
        })
      }
    })
    suite.on('error', (err) => {
      clearTimeout(timer)
      reject(new Error(`cannot run ${BIN}: ${err.message}`))
    })
    suite.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

/** Each scenario's checks, from the newest results directory named for it. */
function readChecks() {
  const dirs = existsSync(OUT) ? readdirSync(OUT).sort() : []
  return SCENARIOS.map((scenario) => {
    const dir = dirs.filter((d) => d.startsWith(`authorization-server-${scenario}-`)).at(-1)
    const file = dir && join(OUT, dir, 'checks.json')
    return {
      scenario,
      checks: file && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [],
    }
  })
}

let failures = 0
try {
  rmSync(OUT, { recursive: true, force: true })
  mkdirSync(OUT, { recursive: true })
  await waitFor(`${issuer}/health`, 'npm run dev', dev.log)
  const metadata = await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()
  if (metadata.issuer !== issuer) {
    throw new Error(`the metadata's issuer is ${metadata.issuer}, not ${issuer}`)
  }
  const client = await post('/oauth/register', {
    client_name: 'MCP conformance suite',
    redirect_uris: [redirectUri],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  })
  const credentials = {
    username: `conformance-${Date.now()}`,
    password: randomBytes(18).toString('base64url'),
  }
  await post('/register', credentials)

  const { code, output } = await runSuite(client.client_id, credentials)
  for (const { scenario, checks } of readChecks()) {
    if (checks.length === 0) {
      failures++
      console.log(`conformance: FAIL ${scenario}: no checks recorded`)
    }
    for (const check of checks) {
      const ok =
        check.status === 'SUCCESS' || (check.status === 'WARNING' && MAY_WARN.has(check.id))
      if (!ok) failures++
      console.log(`conformance: ${ok ? 'ok  ' : 'FAIL'} ${scenario} ${check.id}: ${check.status}`)
      // The suite redacts tokens in `details`; on success they are not printed at all.
      if (!ok || check.status !== 'SUCCESS') {
        if (check.errorMessage) console.log(`    ${check.errorMessage}`)
        if (!ok && check.details) console.log(`    ${JSON.stringify(check.details)}`)
      }
    }
  }
  if (code !== 0) {
    failures++
    console.log(`conformance: FAIL the suite exited with ${code}\n${output}`)
  }
} catch (err) {
  failures++
  console.log(`conformance: FAIL ${err.message}`)
} finally {
  await stop()
}
process.exit(failures === 0 ? 0 : 1)
