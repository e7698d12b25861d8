// client/src/api.ts is exactly what openapi-typescript makes of client/openapi.json, which
// test/http/openapi.snapshot.test.ts holds to the worker's live document.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { generateApiTypes } from '../generate.mjs'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')

describe('client/src/api.ts', () => {
  it('is generated from client/openapi.json (else run npm run client:types)', async () => {
    const document = JSON.parse(read('../openapi.json'))
    expect(read('../src/api.ts')).toBe(await generateApiTypes(document))
  })
})
