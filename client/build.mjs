// Builds the SDK for the package subpath edge-auth/client: one minified ES module
// (client/dist/index.js) and its declarations. `npm run build:client`; `npm pack` runs it.
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

/** The bundle as shipped: ESM, minified, no dependencies. */
export async function bundle({ write = false } = {}) {
  const result = await build({
    entryPoints: [`${here}src/index.ts`],
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    platform: 'neutral',
    write,
    plugins: [webauthnErrorsAsThrown],
    outfile: `${here}dist/index.js`,
  })
  return write ? undefined : result.outputFiles[0].text
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle({ write: true })
  execFileSync(
    process.execPath,
    [
      `${here}../node_modules/typescript/bin/tsc`,
      `${here}src/index.ts`,
      ...['--declaration', '--emitDeclarationOnly', '--outDir', `${here}dist`],
      ...['--target', 'ES2022', '--lib', 'ES2022,DOM', '--module', 'ESNext'],
      ...['--moduleResolution', 'Bundler', '--strict', '--skipLibCheck'],
    ],
    { stdio: 'inherit' },
  )
  console.log('wrote client/dist/index.js and its .d.ts files')
}
