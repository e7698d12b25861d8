// The browser tests' guard: without Chromium they say why they skip, and in CI they fail.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { chromiumAvailable } from './servers'

afterEach(() => vi.restoreAllMocks())

describe('chromiumAvailable', () => {
  const missing = '/nonexistent/chromium'

  it('warns, naming the binary and how to install it, and skips outside CI', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    for (const ci of ['', 'false', '0']) expect(chromiumAvailable(missing, ci)).toBe(false)
    expect(warn).toHaveBeenCalledTimes(3)
    expect(String(warn.mock.calls[0]![0])).toMatch(
      /\/nonexistent\/chromium.*apt-get install chromium/,
    )
  })

  it('fails in CI instead of skipping', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    for (const ci of ['true', '1']) {
      expect(() => chromiumAvailable(missing, ci)).toThrow(/apt-get install chromium.*CI=true/)
    }
    expect(warn).not.toHaveBeenCalled()
  })

  it('runs where the binary is', () => {
    expect(chromiumAvailable(process.execPath, 'true')).toBe(true)
  })
})
