// Builds the package in client/ (edge-auth: the SDK as `edge-auth` and `edge-auth/client`, the
// React bindings as `edge-auth/react`): two minified ES modules, client/dist/index.js and
// client/dist/react.js, and their declarations. `npm run build:client`; `npm pack` (here or in
// client/) runs it.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = fileURLToPath(new URL('.', import.meta.url))

/**
 * @simplewebauthn/browser rewraps the browser's WebAuthn errors with long explanations; the SDK
 * maps them by their DOMException name to its own codes (ceremony() in src/errors.ts), so the
 * explanations (about a third of the bundle) are left out and the browser's error passes through.
 */
const webauthnErrorsAsThrown = {
  name: 'webauthn-errors-as-thrown',
  setup(build) {
    build.onLoad(
      {
        filter:
          /@simplewebauthn[\\/]browser[\\/].*[\\/]identify(Registration|Authentication)Error\.js$/,
      },
      () => ({
        contents:
          'export const identifyRegistrationError = ({ error }) => error\n' +
          'export const identifyAuthenticationError = ({ error }) => error\n',
        loader: 'js',
      }),
    )
  },
}

/**
 * The React bindings import the SDK as the package's own ./index.js, never a copy of it, so an
 * app that imports both `edge-auth` and `edge-auth/react` has one SDK (one client per provider,
 * one channel between tabs).
 */
const sdkAsSibling = {
  name: 'sdk-as-sibling',
  setup(build) {
    build.onResolve({ filter: /^\.\/index(\.js)?$/ }, () => ({
      path: './index.js',
      external: true,
    }))
  },
}

/**
 * One entry point as shipped: ESM, minified. `index` (the SDK) imports nothing; `react` imports
 * only react (a peer dependency) and ./index.js.
 */
export async function bundle({ write = false, entry = 'index' } = {}) {
  const result = await build({
    entryPoints: [`${here}src/${entry}.ts`],
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    platform: 'neutral',
    write,
    external: entry === 'react' ? ['react'] : [],
    plugins: entry === 'react' ? [sdkAsSibling] : [webauthnErrorsAsThrown],
    outfile: `${here}dist/${entry}.js`,
  })
  return write ? undefined : result.outputFiles[0].text
}

/**
 * The declarations of both entry points (.d.ts), into `outDir`. Emitted under NodeNext, as the
 * strictest consumer resolves them: every relative import must name its file (./errors.js), or
 * an app with `moduleResolution: "nodenext"` could not follow it, so tsc fails here instead.
 */
export function declarations(outDir = `${here}dist`) {
  execFileSync(
    process.execPath,
    [
      `${here}../node_modules/typescript/bin/tsc`,
      `${here}src/index.ts`,
      `${here}src/react.ts`,
      ...['--declaration', '--emitDeclarationOnly', '--outDir', outDir],
      ...['--target', 'ES2022', '--lib', 'ES2022,DOM', '--module', 'NodeNext'],
      ...['--moduleResolution', 'NodeNext', '--strict', '--skipLibCheck'],
    ],
    { stdio: 'inherit' },
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle({ write: true })
  await bundle({ write: true, entry: 'react' })
  declarations()
  console.log('wrote client/dist/index.js, client/dist/react.js and their .d.ts files')
}
