// The worker's static files (Workers static assets, `[assets]` in wrangler.toml) that are built
// rather than committed: Swagger UI for /docs, copied from node_modules (pinned by the lockfile,
// served from the worker itself, so /docs needs no third-party host); the hosted pages' scripts,
// bundled from client/pages/ (passkeys.ts with the SDK, on every page; totp-qr.ts with its QR
// encoder, on the two-factor enrolment step only); and the OpenAPI document, generated from
// the routes' declarations (src/http/openapi-document.ts) so the worker does not carry the
// generator; and the French and Spanish catalogs as data (src/i18n/catalog-data.ts), so the
// worker does not carry their text. Written into public/docs/vendor/, public/pages/,
// public/openapi.json and public/_catalogs/ (not committed) by predev, the test config, the build and the deploy, and by `wrangler dev` again
// whenever src/ changes (wrangler.toml's [build]); `node scripts/assets.mjs` does it by hand.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildSync } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const FILES = ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE']
/** The hosted pages' scripts: client/pages/<name>.ts becomes public/pages/<name>.js. */
const PAGE_SCRIPTS = ['passkeys', 'totp-qr']

/**
 * Writes `contents` to `path` unless it already holds them, through a file of its own renamed
 * into place: a server reading public/ (wrangler dev, the browser tests' workers, which may run
 * this at the same time) never sees a file half written.
 */
function writeIfChanged(path, contents) {
  const bytes = Buffer.from(contents)
  try {
    if (readFileSync(path).equals(bytes)) return
  } catch {
    // Not there yet.
  }
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, bytes)
  renameSync(temporary, path)
}

/**
 * The OpenAPI document's text, as public/openapi.json holds it: src/app.ts (which declares every
 * route) and the generator bundled for Node, run in a child process. Synchronous, as the test
 * config calls copyAssets() before its pool starts.
 */
export function openApiDocumentText() {
  return runTypeScript('openapi-document-entry.ts', [
    "import { app } from './src/app'",
    "import { openApiDocumentText } from './src/http/openapi-document'",
    'process.stdout.write(openApiDocumentText(app))',
  ])
}

/**
 * Each catalog shipped as data, by language: the TypeScript catalogs compiled by
 * src/i18n/catalog-data.ts, which fails the build on a message that is not a template.
 */
export function catalogDataTexts() {
  return JSON.parse(
    runTypeScript('catalog-data-entry.ts', [
      "import { CATALOG_CODE } from './src/i18n/catalogs'",
      "import { toData } from './src/i18n/catalog-data'",
      "import { CATALOGS } from './src/i18n/sources'",
      'const out = {}',
      'for (const [lang, code] of Object.entries(CATALOG_CODE))',
      '  out[lang] = JSON.stringify(toData(CATALOGS[lang], code))',
      'process.stdout.write(JSON.stringify(out))',
    ]),
  )
}

/** Runs TypeScript `lines` (importing from src/) in Node; returns what it writes. */
function runTypeScript(sourcefile, lines) {
  const { outputFiles } = buildSync({
    stdin: { contents: lines.join('\n'), resolveDir: root, sourcefile, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    // The packages the worker gets (wrangler's conditions), so the document describes its schemas.
    conditions: ['workerd', 'worker'],
    write: false,
    logLevel: 'error',
  })
  return execFileSync(process.execPath, ['--input-type=module'], {
    input: outputFiles[0].contents,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
}

/** Copies the vendored files and builds the others; returns the Swagger UI version copied. */
export function copyAssets() {
  const from = `${root}node_modules/swagger-ui-dist/`
  const to = `${root}public/docs/vendor/`
  mkdirSync(to, { recursive: true })
  for (const file of FILES) writeIfChanged(to + file, readFileSync(from + file))
  const { outputFiles } = buildSync({
    entryPoints: PAGE_SCRIPTS.map((name) => `${root}client/pages/${name}.ts`),
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    outdir: `${root}public/pages/`,
    write: false,
    logLevel: 'error',
  })
  mkdirSync(`${root}public/pages/`, { recursive: true })
  for (const { path, contents } of outputFiles) writeIfChanged(path, contents)
  writeIfChanged(`${root}public/openapi.json`, openApiDocumentText())
  mkdirSync(`${root}public/_catalogs/`, { recursive: true })
  for (const [lang, text] of Object.entries(catalogDataTexts())) {
    writeIfChanged(`${root}public/_catalogs/${lang}.json`, text)
  }
  return JSON.parse(readFileSync(`${from}package.json`, 'utf8')).version
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const version = copyAssets()
  console.log(
    `assets: Swagger UI ${version} in public/docs/vendor/, ${PAGE_SCRIPTS.map((name) => `public/pages/${name}.js`).join(', ')}, public/openapi.json, public/_catalogs/`,
  )
}
