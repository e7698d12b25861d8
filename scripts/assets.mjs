// The worker's static files (Workers static assets, `[assets]` in wrangler.toml) that come from
// node_modules: Swagger UI for /docs, pinned by the lockfile and served from the worker itself,
// so /docs needs no third-party host. Copied into public/docs/vendor/ (not committed) by predev,
// the test config, the build and the deploy; `node scripts/assets.mjs` does it by hand.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const FILES = ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE']

/** Copies the vendored files; returns the Swagger UI version copied. */
export function copyAssets() {
  const from = `${root}node_modules/swagger-ui-dist/`
  const to = `${root}public/docs/vendor/`
  mkdirSync(to, { recursive: true })
  for (const file of FILES) copyFileSync(from + file, to + file)
  return JSON.parse(readFileSync(`${from}package.json`, 'utf8')).version
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`assets: Swagger UI ${copyAssets()} in public/docs/vendor/`)
}
