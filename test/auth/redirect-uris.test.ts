// Redirect URIs: what a client may register (checkRedirectUri), the one comparison a request's
// redirect_uri must pass (matchRedirectUri: exact, but a loopback port), and what the consent
// page shows of one (redirectTarget: punycode, never the look-alike).
import { describe, expect, it } from 'vitest'
import {
  REDIRECT_URI_MAX_LENGTH,
  checkRedirectUri,
  matchRedirectUri,
  redirectTarget,
} from '../../src/auth/redirect-uris'

describe('checkRedirectUri', () => {
  it.each([
    ['https://app.example/callback', 'web'],
    ['https://app.example/callback?tenant=1', 'web'],
    ['https://app.example:8443/cb', 'web'],
    ['http://127.0.0.1/cb', 'loopback'],
    ['http://127.0.0.1:5000/cb', 'loopback'],
    ['http://[::1]/cb', 'loopback'],
    ['http://localhost:3000/cb', 'loopback'],
    ['com.example.app:/oauth2redirect', 'native'],
    ['com.example.app://callback', 'native'],
  ])('accepts %s as %s', (uri, kind) => {
    expect(checkRedirectUri(uri)).toEqual({ kind })
  })

  it.each([
    ['javascript:', 'javascript:alert(1)'],
    ['JavaScript: in capitals', 'JavaScript:alert(1)'],
    ['javascript: with a leading space', ' javascript:alert(1)'],
    ['javascript: with a tab inside', 'java\tscript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['vbscript:', 'vbscript:msgbox(1)'],
    ['file:', 'file:///etc/passwd'],
    ['blob:', 'blob:https://app.example/uuid'],
    ['about:', 'about:blank'],
    ['a fragment', 'https://app.example/cb#x'],
    ['an empty fragment', 'https://app.example/cb#'],
    ['userinfo', 'https://app.example@evil.example/cb'],
    ['userinfo with a password', 'https://u:p@app.example/cb'],
    ['userinfo on a native scheme', 'com.example.app://user@host/cb'],
    ['http on a public host', 'http://app.example/cb'],
    ['http on a host that starts like localhost', 'http://localhost.evil.example/cb'],
    ['http on a host that starts like 127.0.0.1', 'http://127.0.0.1.nip.io/cb'],
    ['a relative reference', '/callback'],
    ['a protocol-relative reference', '//evil.example/cb'],
    ['a backslash', 'https://app.example\\@evil.example/cb'],
    ['a newline', 'https://app.example/cb\n'],
    ['a space', 'https://app.example/c b'],
    ['a NUL', 'https://app.example/cb\u0000'],
    ['an empty string', ''],
    ['too long', `https://app.example/${'a'.repeat(REDIRECT_URI_MAX_LENGTH)}`],
  ])('refuses %s', (_, uri) => {
    expect(checkRedirectUri(uri)).toHaveProperty('refused')
  })
})

describe('matchRedirectUri', () => {
  const web = ['https://app.example/callback']

  it('matches the registered string exactly', () => {
    expect(matchRedirectUri('https://app.example/callback', web)).toBe(true)
  })

  it.each([
    'https://app.example/callback/../evil',
    'https://app.example/callbackx',
    'https://app.example/callback/',
    'https://app.example/callback?x=1',
    'https://app.example/callback#x',
    'https://APP.example/callback',
    'HTTPS://app.example/callback',
    'https://app.example/Callback',
    'https://app.example/%63allback',
    'https://app.example:443/callback',
    'https://app.example.evil.com/callback',
    'https://app.example@evil.com/callback',
    'https://\u0430pp.example/callback',
    'https://xn--pp-6kc.example/callback',
    'http://app.example/callback',
    'https://app.example:8443/callback',
    '',
  ])('refuses %s: no prefix, case or normalisation match', (uri) => {
    expect(matchRedirectUri(uri, web)).toBe(false)
  })

  it('lets a loopback redirect use any port, and nothing else (RFC 8252 §7.3)', () => {
    const registered = ['http://127.0.0.1/cb']
    expect(matchRedirectUri('http://127.0.0.1:54321/cb', registered)).toBe(true)
    expect(matchRedirectUri('http://127.0.0.1:1/cb', registered)).toBe(true)
    for (const other of [
      'http://127.0.0.1:54321/other',
      'http://127.0.0.1:54321/cb/',
      'http://127.0.0.1:54321/cb?x=1',
      'http://127.0.0.1:54321/CB',
      'http://localhost:54321/cb',
      'http://[::1]:54321/cb',
      'https://127.0.0.1:54321/cb',
      'http://127.0.0.1:54321@evil.example/cb',
      'http://evil.example:54321/cb',
      'http://127.0.0.1:/cb',
    ]) {
      expect(matchRedirectUri(other, registered), other).toBe(false)
    }
  })

  it('lets a loopback registered with a port be asked on another, or on none', () => {
    const registered = ['http://localhost:3000/cb']
    expect(matchRedirectUri('http://localhost:4000/cb', registered)).toBe(true)
    expect(matchRedirectUri('http://localhost/cb', registered)).toBe(true)
    expect(matchRedirectUri('http://localhost:4000/cb2', registered)).toBe(false)
  })

  it('gives no port freedom to web or native redirects', () => {
    expect(matchRedirectUri('https://app.example:8443/callback', web)).toBe(false)
    expect(matchRedirectUri('com.example.app://callback', ['com.example.app:/callback'])).toBe(
      false,
    )
    expect(matchRedirectUri('com.example.app:/callback', ['com.example.app:/callback'])).toBe(true)
  })

  it('ignores a malformed registered URI rather than throwing', () => {
    expect(matchRedirectUri('http://127.0.0.1:5000/cb', ['not a url', 'http://127.0.0.1/cb'])).toBe(
      true,
    )
    expect(matchRedirectUri('http://127.0.0.1:5000/cb', ['not a url'])).toBe(false)
  })
})

describe('redirectTarget', () => {
  it('shows the host of a web redirect, and its origin for form-action', () => {
    expect(redirectTarget('https://app.example/callback?x=1')).toEqual({
      kind: 'web',
      shown: 'app.example',
      origin: 'https://app.example',
    })
  })

  it('shows an IDN look-alike as punycode, never as the name it imitates', () => {
    const target = redirectTarget('https://\u0430pp.example/callback')
    expect(target.shown).toBe('xn--pp-6kc.example')
    expect(target.origin).toBe('https://xn--pp-6kc.example')
  })

  it('marks loopback and native redirects', () => {
    expect(redirectTarget('http://127.0.0.1:5000/cb')).toMatchObject({
      kind: 'loopback',
      shown: '127.0.0.1:5000',
      origin: 'http://127.0.0.1:5000',
    })
    expect(redirectTarget('com.example.app:/cb')).toEqual({
      kind: 'native',
      shown: 'com.example.app:',
      origin: 'com.example.app:',
    })
  })
})
