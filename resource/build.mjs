// Builds edge-auth/resource for the package subpath: one ES module (resource/dist/index.js,
// readable, no dependencies) and its declarations. `npm run build:resource`; `npm pack` runs it.
// In this repo tsconfig's paths point edge-auth/resource at the source, so nothing needs building.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = fileURLToPath(new URL('.', import.meta.url))

/** The module as shipped: ESM, platform-neutral (Workers, Node 20+, browsers), no dependencies. */
export async function bundle(outfile = `${here}dist/index.js`) {
  await build({
    entryPoints: [`${here}index.ts`],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    outfile,
    logLevel: 'error',
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle()
  execFileSync(
    process.execPath,
    [
      `${here}../node_modules/typescript/bin/tsc`,
      `${here}index.ts`,
      ...['--declaration', '--emitDeclarationOnly', '--outDir', `${here}dist`],
      // DOM, not the Workers types: the declarations must read the same in Node and browsers.
      ...['--target', 'ES2022', '--lib', 'ES2022,DOM', '--module', 'ESNext'],
      ...['--moduleResolution', 'Bundler', '--strict', '--skipLibCheck'],
    ],
    { stdio: 'inherit' },
  )
  console.log('wrote resource/dist/index.js and its .d.ts files')
}
