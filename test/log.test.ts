import { afterEach, describe, expect, it, vi } from 'vitest'
import { log, scrub } from '../src/log'
import { captureLogs } from './helpers'

describe('log lines', () => {
  afterEach(() => vi.restoreAllMocks())

  it('redacts secret-looking fields even when a caller passes them by mistake', () => {
    const lines = captureLogs()
    log.info('oops', {
      password: 'p',
      refreshToken: 't',
      authorization: 'a',
      passwordHash: 'h',
      ok: 1,
    })
    expect(JSON.parse(lines[0]!)).toMatchObject({
      password: '[redacted]',
      refreshToken: '[redacted]',
      authorization: '[redacted]',
      passwordHash: '[redacted]',
      ok: 1,
    })
  })

  it('scrubs tokens out of free text', () => {
    const text = scrub(
      'token(eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc_def) and sPAvK_JLFQNPotApBu2xEY7UdlXWxdAdV0WDVw1zF68',
    )
    expect(text).toBe('token([redacted]) and [redacted]')
  })
})
