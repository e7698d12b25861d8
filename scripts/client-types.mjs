// `npm run client:types`: the SDK's request and response types, from the API's own document.
// Starts the worker locally, saves its /openapi.json (without `servers`, which depend on the
// host) as client/openapi.json, and generates client/src/api.ts from it with openapi-typescript.
// Tests fail when either file is behind (test/http/openapi.snapshot.test.ts for the document,
// client/test/api-types.test.ts for the types), so the SDK cannot drift from the API.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { unstable_dev } from 'wrangler'
import { generateApiTypes } from '../client/generate.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const worker = await unstable_dev(`${root}src/index.ts`, {
  config: `${root}wrangler.toml`,
  logLevel: 'error',
  experimental: { disableExperimentalWarning: true },
})
let document
try {
  const res = await worker.fetch('/openapi.json')
  if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}`)
  const { servers: _, ...rest } = await res.json()
  document = rest
} finally {
  await worker.stop()
}
writeFileSync(`${root}client/openapi.json`, `${JSON.stringify(document, null, 2)}\n`)
writeFileSync(`${root}client/src/api.ts`, await generateApiTypes(document))
console.log('wrote client/openapi.json and client/src/api.ts')
