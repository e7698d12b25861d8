import { describe, expect, it } from 'vitest'
import { call } from '../helpers'

describe('GET /health', () => {
  it('answers ok with security headers and a request id', async () => {
    const res = await call('/health')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-request-id')).toMatch(/^[\w-]+$/)
  })
})
