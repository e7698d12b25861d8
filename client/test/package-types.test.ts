// The package's declarations as the strictest TypeScript app resolves them: an ES module app with
// `module` and `moduleResolution` "nodenext", which follows a relative import in a .d.ts only
// when it names its file (./errors.js). The declarations are emitted as client/build.mjs emits
// them for the package, into a copy of the package in the app's node_modules (never
// client/dist, which the packing test writes at the same time).
import { execFileSync } from 'node:child_process'
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { declarations } from '../build.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))
const tsc = join(root, 'node_modules/typescript/bin/tsc')

let app: string

/** What the app type-checks: every entry point, and uses that only real types allow. */
const APP = `import { AuthError, type AuthClient, type ErrorCode, createAuthClient } from 'edge-auth'
import { createAuthClient as fromSubpath } from 'edge-auth/client'
import { AuthProvider, type UseAuth, useAuth } from 'edge-auth/react'
import { createElement } from 'react'

const client: AuthClient = createAuthClient({ baseUrl: 'https://auth.example.com' })
export const same: typeof createAuthClient = fromSubpath
export const tree = createElement(AuthProvider, { client }, null)
export const hook: () => UseAuth = useAuth
export const code = (err: unknown) => (err instanceof AuthError ? err.code : null)
// Had an import in the .d.ts gone unresolved, these would be \`any\` and the lines would pass.
// @ts-expect-error: not one of the API's codes
export const wrong: ErrorCode = 'no_such_code'
// @ts-expect-error: not an option
createAuthClient({ baseUrl: 'https://auth.example.com', noSuchOption: true })
`

/** tsc in the app; its output (the errors) when it fails, else ''. */
function typeCheck(): string {
  try {
    execFileSync(process.execPath, [tsc, '-p', app], { cwd: app, stdio: 'pipe' })
    return ''
  } catch (err) {
    const { stdout, stderr } = err as { stdout: Buffer; stderr: Buffer }
    return `${stdout}${stderr}` || String(err)
  }
}

beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), 'edge-auth-nodenext-'))
  const pkg = join(app, 'node_modules/edge-auth')
  mkdirSync(join(pkg, 'dist'), { recursive: true })
  mkdirSync(join(app, 'node_modules/@types'), { recursive: true })
  // The package's manifest (its "exports" and their "types") and the declarations it ships.
  copyFileSync(join(root, 'client/package.json'), join(pkg, 'package.json'))
  declarations(join(pkg, 'dist'))
  for (const name of ['react', '@types/react']) {
    symlinkSync(join(root, 'node_modules', name), join(app, 'node_modules', name), 'dir')
  }
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module' }),
  )
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        lib: ['es2022', 'dom'],
        types: [],
        strict: true,
        noEmit: true,
        // The package's own .d.ts files are checked too: an import they cannot follow fails.
        skipLibCheck: false,
      },
      files: ['app.ts'],
    }),
  )
  writeFileSync(join(app, 'app.ts'), APP)
}, 60_000)

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true })
})

describe('the declarations in a nodenext app', { timeout: 60_000 }, () => {
  it('name every relative import by its file, so nodenext follows them', () => {
    const dist = join(app, 'node_modules/edge-auth/dist')
    for (const file of ['index.d.ts', 'errors.d.ts', 'react.d.ts']) {
      const relative = [...readFileSync(join(dist, file), 'utf8').matchAll(/from '(\.[^']*)'/g)]
      expect(relative.length, file).toBeGreaterThan(0)
      for (const [, path] of relative) expect(path, file).toMatch(/\.js$/)
    }
  })

  it('type-check an app using edge-auth, edge-auth/client and edge-auth/react', () => {
    expect(typeCheck()).toBe('')
  })

  it('fail that app when a relative import in them names no file (as 0.1.0 shipped them)', () => {
    const index = join(app, 'node_modules/edge-auth/dist/index.d.ts')
    const shipped = readFileSync(index, 'utf8')
    try {
      writeFileSync(index, shipped.replaceAll("'./errors.js'", "'./errors'"))
      const errors = typeCheck()
      // The import itself, and the types behind it gone to `any` (an unused @ts-expect-error).
      expect(errors).toMatch(/index\.d\.ts\(\d+,\d+\): error TS2834/)
      expect(errors).toMatch(/app\.ts\(\d+,\d+\): error TS2578/)
    } finally {
      writeFileSync(index, shipped)
    }
  })
})
