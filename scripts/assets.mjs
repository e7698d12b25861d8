// The worker's static files (Workers static assets, `[assets]` in wrangler.toml) that are built
// rather than committed: Swagger UI for /docs, copied from node_modules (pinned by the lockfile,
// served from the worker itself, so /docs needs no third-party host), and the hosted pages'
// script, bundled from client/pages/passkeys.ts with the SDK. Written into public/docs/vendor/
// and public/pages/ (not committed) by predev, the test config, the build and the deploy;
// `node scripts/assets.mjs` does it by hand.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildSync } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const FILES = ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE']

/** Copies the vendored files; returns the Swagger UI version copied. */
export function copyAssets() {
  const from = `${root}node_modules/swagger-ui-dist/`
  const to = `${root}public/docs/vendor/`
  mkdirSync(to, { recursive: true })
  for (const file of FILES) copyFileSync(from + file, to + file)
  buildSync({
    entryPoints: [`${root}client/pages/passkeys.ts`],
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    outfile: `${root}public/pages/passkeys.js`,
    logLevel: 'error',
  })
  return JSON.parse(readFileSync(`${from}package.json`, 'utf8')).version
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`assets: Swagger UI ${copyAssets()} in public/docs/vendor/, public/pages/passkeys.js`)
}
