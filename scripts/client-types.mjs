// `npm run client:types`: the SDK's request and response types, from the API's own document.
// Generates the document the worker serves (scripts/assets.mjs, from the routes' declarations;
// without `servers`, which the worker adds per request) as client/openapi.json, and
// client/src/api.ts from it with openapi-typescript. Tests fail when either file is behind
// (test/http/openapi.snapshot.test.ts for the document, client/test/api-types.test.ts for the
// types), so the SDK cannot drift from the API.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generateApiTypes } from '../client/generate.mjs'
import { openApiDocumentText } from './assets.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const document = JSON.parse(openApiDocumentText())
writeFileSync(`${root}client/openapi.json`, `${JSON.stringify(document, null, 2)}\n`)
writeFileSync(`${root}client/src/api.ts`, await generateApiTypes(document))
console.log('wrote client/openapi.json and client/src/api.ts')
