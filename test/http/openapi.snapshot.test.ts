// The SDK's copy of the document (client/openapi.json, from which its types are generated) is
// the document the worker serves, so the SDK cannot drift from the API.
import { describe, expect, it } from 'vitest'
import snapshot from '../../client/openapi.json'
import { call } from '../helpers'

describe('client/openapi.json', () => {
  it('is the live /openapi.json without servers (else run npm run client:types)', async () => {
    const { servers: _, ...live } = (await (await call('/openapi.json')).json()) as Record<
      string,
      unknown
    >
    expect(snapshot).toEqual(live)
  })
})
