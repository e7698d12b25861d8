// End-to-end smoke test: `npm run dev` on a free port behind Prism, a validating proxy that holds
// every request and response to the app's own /openapi.json; requests.http through httpyac goes
// through Prism, and any violation it reports fails the run. /docs renders in headless Chromium
// straight from the server (its static files are not API operations), other hosts blocked.
// Each request in requests.http must answer the status listed here, in order. The admin requests
// use an API key made for the run in the dev server's local D1 (scripts/admin.mjs).
import { spawn, execFileSync } from 'node:child_process'
import {
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, root, startDev, stopGroup, waitFor } from './dev-server.mjs'
import { checkDocsPage } from './docs-page.mjs'

const EXPECTED = [
  ['Health check', 200],
  ['Register', 201],
  ['Log in', 200],
  ['Who am I', 200],
  ['Refresh', 200],
  ['Refresh again with the same token', 200],
  ['Who am I, with the new access token', 200],
  ['Log out', 204],
  ['Refresh after logout', 401],
  ['Discovery', 200],
  ['Public keys', 200],
  ['Log in again', 200],
  ['OAuth refresh_token grant', 200],
  ['OAuth revocation', 200],
  ['OAuth refresh after revocation', 400],
  ['Cookie mode (browsers)', 200],
  ['Am I signed in?', 200],
  ['Cookie mode from a page on another origin', 403],
  ['Log in on a "laptop"', 200],
  ['Log in on a "phone"', 200],
  ['Who am I (the record itself', 200],
  ['Where am I signed in', 200],
  ["End the phone's session", 204],
  ['Passkeys: options to add one', 200],
  ["The account's passkeys", 200],
  ['Passkey sign-in, first step', 200],
  ['Sign up with a passkey and no password', 200],
  ['Other providers', 200],
  ["A native app's sign-in with the ID token", 404],
  ["The account's identities at other providers", 200],
  ['A third-party app or MCP client registers itself', 201],
  ['The apps the account has allowed', 200],
  ['OpenID Connect discovery', 200],
  ['UserInfo takes the access token of an OpenID grant', 401],
  ['Two-factor: a secret', 200],
  ['Email: ask to use an address', 202],
  ["The language of the account's email", 200],
  ['Forgotten password', 202],
  ['Sign in with a code by email instead', 202],
  ['Sign in with the mailed code', 401],
  ["What a reset link's token would leave in place", 400],
  ['Reset with the token', 400],
  ['Change the password', 204],
  ["Delete the account from the laptop's session", 204],
  ['Log out everywhere', 204],
  ['Operate it: a fresh account to look at', 201],
  ['Log in as that account', 200],
  ["The account's own security events", 200],
  ['Admin: find users', 200],
  ['Admin: one user', 200],
  ['Admin: the audit log', 200],
  ['Admin: register a webhook endpoint', 201],
  ['Admin: send the endpoint a signed webhook.test ping', 202],
  ["Admin: the endpoint's delivery log", 200],
]

const port = await freePort()
// Prism's port is chosen first: requests.http sends `Origin: {{baseUrl}}` (Prism's, here) for
// its cookie sign-in, which the server must therefore allow.
const prismPort = await freePort()
const direct = `http://127.0.0.1:${port}`
const devArgs = ['--port', String(port), '--ip', '127.0.0.1']
devArgs.push('--var', `ALLOWED_ORIGINS:http://127.0.0.1:${prismPort}`)
const dev = startDev(devArgs)
let prism
let prismLog = ''
const stop = () => {
  dev.stop()
  stopGroup(prism)
}

/**
 * Prism in front of the dev server, validating against the document the server publishes.
 * With --errors it refuses a request outside the document (422) and answers 500 for a response
 * whose body breaks it; an undeclared status it only logs, so its log is checked too.
 */
async function startPrism() {
  const document = join(mkdtempSync(join(tmpdir(), 'openapi-')), 'openapi.json')
  writeFileSync(document, await (await fetch(`${direct}/openapi.json`)).text())
  prism = spawn(
    join(root, 'node_modules/.bin/prism'),
    ['proxy', document, direct, '--errors', '--host', '127.0.0.1', '--port', String(prismPort)],
    { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  prism.stdout.on('data', (chunk) => (prismLog += chunk))
  prism.stderr.on('data', (chunk) => (prismLog += chunk))
  const base = `http://127.0.0.1:${prismPort}`
  await waitFor(`${base}/health`, 'prism', () => prismLog)
  return base
}

/** Prism's log lines that report a request or response outside the document. */
const violations = () =>
  prismLog.split('\n').filter((line) => /Violation|Request terminated/.test(line))

/**
 * The email paths end to end, through Prism: `wrangler dev` simulates Email Service (it prints
 * each message, with the path of its text body), and each link is read from that file as a person
 * would read it from their inbox. An address is confirmed, then a forgotten password is reset
 * with the link mailed to it, and the new password signs in.
 */
async function checkEmailLink(base) {
  const json = (method, body, token) => ({
    method,
    headers: {
      'Content-Type': 'application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  /** The token of the next link to `page` that wrangler dev prints after log offset `from`. */
  const linkAfter = async (from, page) => {
    const deadline = Date.now() + 10_000
    let textFile
    while (!(textFile = /^Text: (.+\.txt)$/m.exec(dev.log().slice(from))?.[1])) {
      if (Date.now() > deadline)
        throw new Error(`wrangler dev printed no simulated email for ${page}`)
      await new Promise((r) => setTimeout(r, 200))
    }
    const body = readFileSync(textFile.trim(), 'utf8')
    const token = new RegExp(`${page}\\?token=([A-Za-z0-9_-]{43})`).exec(body)?.[1]
    if (!token) throw new Error(`no ${page} link in ${textFile}`)
    return token
  }
  const credentials = { username: `mail-${Date.now()}`, password: 'correct horse battery staple' }
  await fetch(`${base}/register`, json('POST', credentials))
  const { accessToken } = await (await fetch(`${base}/login`, json('POST', credentials))).json()

  // Confirm an address with the link from the simulated email.
  let from = dev.log().length
  const email = `smoke.${Date.now()}@example.org`
  const set = await fetch(
    `${base}/users/me/email`,
    json('PUT', { email, password: credentials.password }, accessToken),
  )
  if (set.status !== 202) throw new Error(`PUT /users/me/email answered ${set.status}`)
  const verified = await fetch(
    `${base}/email/verify`,
    json('POST', { token: await linkAfter(from, 'verify-email') }),
  )
  if (verified.status !== 200) throw new Error(`POST /email/verify answered ${verified.status}`)

  // Forget the password, and reset it with the link mailed to that address.
  from = dev.log().length
  const forgot = await fetch(
    `${base}/password/forgot`,
    json('POST', { login: credentials.username }),
  )
  if (forgot.status !== 202) throw new Error(`POST /password/forgot answered ${forgot.status}`)
  const newPassword = 'a fresh passphrase from the smoke test'
  const reset = await fetch(
    `${base}/password/reset`,
    json('POST', { token: await linkAfter(from, 'reset-password'), newPassword }),
  )
  if (reset.status !== 204) throw new Error(`POST /password/reset answered ${reset.status}`)
  const login = await fetch(
    `${base}/login`,
    json('POST', { ...credentials, password: newPassword }),
  )
  if (login.status !== 200) throw new Error(`the new password did not sign in (${login.status})`)
}

let failures = 0
try {
  await waitFor(`${direct}/health`, 'npm run dev', dev.log)
  const base = await startPrism()

  // An API key with every scope, in the local database the dev server uses (wrangler's default
  // state directory, as npm run dev's): the admin script prints it last.
  const created = execFileSync(
    process.execPath,
    [
      join(root, 'scripts/admin.mjs'),
      'create-key',
      '--name',
      'smoke',
      '--scopes',
      'users:read,users:write,audit:read,webhooks:manage',
    ],
    { cwd: root, encoding: 'utf8' },
  )
  const adminKey = /^eak_\S+$/m.exec(created)?.[0]
  if (!adminKey) throw new Error(`npm run admin -- create-key printed no key:\n${created}`)

  // httpyac wants the file under its cwd, and a variable in the file wins over --var.
  const dir = mkdtempSync(join(tmpdir(), 'smoke-'))
  const source = readFileSync(join(root, 'requests.http'), 'utf8')
  writeFileSync(
    join(dir, 'requests.http'),
    source
      .replace(/^@baseUrl = .*$/m, `@baseUrl = ${base}`)
      .replace(/^@adminKey = .*$/m, `@adminKey = ${adminKey}`),
  )
  copyFileSync(join(root, '.httpyac.cjs'), join(dir, '.httpyac.cjs'))
  // Its JSON goes to a file, not a pipe: httpyac exits before a pipe has taken a long report
  // (over about 140 KB), which would cut it short.
  const report = join(dir, 'report.json')
  const reportFd = openSync(report, 'w')
  try {
    execFileSync(
      join(root, 'node_modules/.bin/httpyac'),
      ['send', 'requests.http', '--all', '--json'],
      { cwd: dir, stdio: ['ignore', reportFd, 'inherit'] },
    )
  } finally {
    closeSync(reportFd)
  }
  const { requests } = JSON.parse(readFileSync(report, 'utf8'))
  if (requests.length !== EXPECTED.length) {
    failures++
    console.log(`smoke: expected ${EXPECTED.length} requests, httpyac ran ${requests.length}`)
  }
  EXPECTED.forEach(([title, status], i) => {
    const got = requests[i]
    const ok = got?.title?.startsWith(title) && got?.response?.statusCode === status
    if (!ok) failures++
    console.log(
      `smoke: ${ok ? 'ok  ' : 'FAIL'} ${title}: expected ${status}, got ${got?.response?.statusCode}`,
    )
  })

  const docs = await checkDocsPage(direct, join(root, '.ci/out/docs.png')).catch((err) => err)
  if (docs instanceof Error) failures++
  console.log(
    docs instanceof Error
      ? `smoke: FAIL /docs: ${docs.message}`
      : `smoke: ok   /docs renders all ${docs.operations} operations, with other hosts blocked`,
  )

  const mail = await checkEmailLink(base).catch((err) => err)
  if (mail instanceof Error) failures++
  console.log(
    mail instanceof Error
      ? `smoke: FAIL email link: ${mail.message}`
      : 'smoke: ok   an address confirmed and a password reset with links from simulated emails',
  )

  const outside = violations()
  if (outside.length > 0) failures++
  console.log(
    outside.length > 0
      ? `smoke: FAIL Prism found traffic outside /openapi.json:\n${outside.join('\n')}`
      : 'smoke: ok   Prism found every request and response inside /openapi.json',
  )
} catch (err) {
  failures++
  console.log(`smoke: ${err.message}`)
} finally {
  stop()
}
process.exit(failures === 0 ? 0 : 1)
