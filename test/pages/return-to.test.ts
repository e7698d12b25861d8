import { describe, expect, it } from 'vitest'
import { safeReturnTo } from '../../src/pages/return-to'

const OWN = 'https://auth.example.com'
const APP = 'https://app.example.com'
const to = (raw: string | undefined) => safeReturnTo(raw, OWN, [APP], '/account')

describe('safeReturnTo', () => {
  it('keeps paths on this service, as paths', () => {
    expect(to('/account')).toBe('/account')
    expect(to('/account?tab=sessions#x')).toBe('/account?tab=sessions#x')
    expect(to(`${OWN}/account`)).toBe('/account')
  })

  it('keeps URLs on an allowed origin', () => {
    expect(to(`${APP}/after-login?x=1`)).toBe(`${APP}/after-login?x=1`)
  })

  it.each([
    ['a protocol-relative URL', '//evil.example/x'],
    ['a path that normalises to one (dot segment)', '/.//evil.example'],
    ['a path that normalises to one (dot-dot)', '/..//evil.example'],
    ['a path that normalises to one (deeper)', '/a/..//evil.example'],
    ['a path that normalises to one (encoded dot)', '/%2e//evil.example'],
    ['a scheme-relative one with a backslash', '/\\evil.example'],
    ['backslashes', '\\\\evil.example'],
    ['a tab inside the slashes', '/\t/evil.example'],
    ['a newline', '/\n/evil.example'],
    ['userinfo on this origin', 'https://user:pass@auth.example.com/account'],
    ['userinfo dressed as this origin', 'https://auth.example.com@evil.example/'],
    ['another origin', 'https://evil.example/'],
    ['a look-alike of an allowed origin', 'https://app.example.com.evil.example/'],
    ['the allowed host on another scheme', 'http://app.example.com/'],
    ['the allowed host on another port', 'https://app.example.com:8443/'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['nothing', undefined],
    ['an empty string', ''],
    ['something very long', `/${'a'.repeat(3000)}`],
  ])('sends %s to the fallback', (_, raw) => {
    expect(to(raw)).toBe('/account')
  })

  it('never returns a target a browser could read as another host', () => {
    // `https:evil.example` parses as a path on this origin; what comes back is that path.
    const target = to('https:evil.example')
    expect(target.startsWith('/')).toBe(true)
    expect(target.startsWith('//')).toBe(false)
    expect(new URL(target, OWN).origin).toBe(OWN)
  })
})
