// The package as an app gets it: `npm pack` of client/ (its prepack builds it), unpacked into a
// fresh Vite + React app's node_modules as npm would install the tarball, type-checked against
// the shipped .d.ts, built by Vite, and signed in and out in Chromium against the real worker.
import { execFileSync } from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reactApp, reactPage } from './react-app'
import { CHROMIUM, chromiumAvailable, startSite, startWorker } from './servers'

const available = chromiumAvailable()

const root = fileURLToPath(new URL('../..', import.meta.url))
const PASSWORD = 'correct horse battery staple'

let dir: string
let tarball: { name: string; version: string; filename: string; files: { path: string }[] }
let worker: Awaited<ReturnType<typeof startWorker>>
let site: Awaited<ReturnType<typeof startSite>>
let browser: Browser

/** What a developer's app would hold: the entry, a page, and a file that uses the types. */
function writeApp(app: string, workerOrigin: string) {
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module' }),
  )
  writeFileSync(
    join(app, 'main.js'),
    `${reactApp('edge-auth/react')}
import * as sdk from 'edge-auth'
import * as subpath from 'edge-auth/client'
// One SDK module however it is imported, so one client per provider and one channel.
window.oneSdk = sdk.createAuthClient === subpath.createAuthClient
`,
  )
  writeFileSync(join(app, 'index.html'), reactPage(workerOrigin, '/main.js'))
  writeFileSync(
    join(app, 'typed.ts'),
    `import { AuthError, type AuthClient, createAuthClient } from 'edge-auth'
import { AuthProvider, SignedIn, type UseAuth, type UseSessions, useAuth, useSessions } from 'edge-auth/react'
import { createElement } from 'react'
const client: AuthClient = createAuthClient({ baseUrl: 'https://auth.example.com' })
export const tree = createElement(AuthProvider, { client }, createElement(SignedIn, null, 'hi'))
export function useBoth(): [UseAuth, UseSessions] {
  return [useAuth(), useSessions()]
}
export const code = (err: unknown) => (err instanceof AuthError ? err.code : null)
`,
  )
}

beforeAll(async () => {
  if (!available) return
  dir = mkdtempSync(join(tmpdir(), 'edge-auth-pack-'))
  const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: join(root, 'client'),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  // The prepack build prints first; npm's JSON follows.
  tarball = JSON.parse(packed.slice(packed.search(/^\[/m)))[0]
  const app = join(dir, 'app')
  const modules = join(app, 'node_modules')
  mkdirSync(join(modules, 'edge-auth'), { recursive: true })
  mkdirSync(join(modules, '@types'), { recursive: true })
  // As npm installs a tarball: its package/ folder becomes node_modules/edge-auth.
  execFileSync('tar', ['-xzf', join(dir, tarball.filename), '-C', join(modules, 'edge-auth')])
  execFileSync('sh', ['-c', 'mv package/* package/.[!.]* . 2>/dev/null; rmdir package'], {
    cwd: join(modules, 'edge-auth'),
  })
  // The app's own dependencies, the versions this repository tests with.
  for (const name of ['react', 'react-dom', '@types/react', '@types/react-dom']) {
    symlinkSync(join(root, 'node_modules', name), join(modules, name), 'dir')
  }

  site = await startSite('localhost')
  worker = await startWorker({ ALLOWED_ORIGINS: site.origin })
  writeApp(app, worker.origin)
  await build({ root: app, logLevel: 'silent', build: { outDir: join(app, 'dist') } })
  const out = join(app, 'dist')
  for (const file of readdirSync(out, { recursive: true, withFileTypes: true })) {
    if (!file.isFile()) continue
    const path = join(file.parentPath, file.name)
    site.pages[`/${relative(out, path)}`] = readFileSync(path, 'utf8')
  }
  site.pages['/'] = site.pages['/index.html']!
  browser = await chromium.launch({ executablePath: CHROMIUM })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await Promise.all([worker?.stop(), site?.stop()])
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe.runIf(available)('the packed package in a Vite + React app', { timeout: 60_000 }, () => {
  it('ships the built modules, their types, the README and the changelog, nothing else', () => {
    expect(tarball).toMatchObject({ name: 'edge-auth', version: '0.1.0' })
    const files = tarball.files.map((f) => f.path).sort()
    expect(files).toEqual(
      expect.arrayContaining([
        'CHANGELOG.md',
        'README.md',
        'dist/index.d.ts',
        'dist/index.js',
        'dist/react.d.ts',
        'dist/react.js',
        'package.json',
      ]),
    )
    expect(
      files.filter(
        (f) => !/^(dist\/[\w-]+\.(js|d\.ts)|README\.md|CHANGELOG\.md|package\.json)$/.test(f),
      ),
    ).toEqual([])
    const manifest = JSON.parse(
      readFileSync(join(dir, 'app/node_modules/edge-auth/package.json'), 'utf8'),
    )
    expect(manifest.dependencies).toBeUndefined()
  })

  it("type-checks an app's use of edge-auth and edge-auth/react against the shipped types", () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc')
    const args = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'ES2022']
    args.push('--module', 'ESNext', '--moduleResolution', 'Bundler', '--lib', 'ES2022,DOM')
    // Throws, with tsc's output, on any error.
    execFileSync(process.execPath, [tsc, ...args, 'typed.ts'], {
      cwd: join(dir, 'app'),
      stdio: 'pipe',
    })
  })

  it('signs in and out through the hooks, built by Vite from the tarball', async () => {
    const username = `v_${Date.now().toString(36)}`
    const registered = await fetch(`${worker.origin}/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    })
    expect(registered.status).toBe(201)
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await page.goto(`${site.origin}/`)
    await page.getByRole('button', { name: 'Sign in' }).waitFor()
    expect(await page.evaluate(() => (window as unknown as { oneSdk: boolean }).oneSdk)).toBe(true)
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.locator('#hello').waitFor()
    expect(await page.locator('#hello').innerText()).toBe(`Hello ${username}`)
    await page.reload()
    await page.locator('#hello').waitFor()
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('button', { name: 'Sign in' }).waitFor()
    expect(errors).toEqual([])
    await context.close()
  })
})
