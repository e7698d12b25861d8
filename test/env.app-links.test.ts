// APP_LINKS: the app's own pages the mailed links open. Each template is an https URL on an
// ALLOWED_ORIGINS origin with exactly one {token} in its query or fragment; anything else is a
// ConfigError naming APP_LINKS, so an operator cannot point the tokens at a host the worker does
// not trust.
import { describe, expect, it } from 'vitest'
import { type Bindings, ConfigError, settings } from '../src/env'

const APP = 'https://app.example.com'

const links = (value: unknown, allowed = `${APP},http://localhost:5173`) =>
  settings({
    APP_LINKS: typeof value === 'string' ? value : JSON.stringify(value),
    ALLOWED_ORIGINS: allowed,
  } as unknown as Bindings).appLinks

/** The ConfigError reading APP_LINKS throws. */
function refused(value: unknown, allowed?: string): ConfigError {
  try {
    links(value, allowed)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('APP_LINKS', () => {
  it('is null (the hosted pages) when unset or blank', () => {
    expect(settings({} as Bindings).appLinks).toBeNull()
    expect(links('  ')).toBeNull()
  })

  it('reads templates in the query or the fragment, either kind alone', () => {
    expect(
      links({
        verifyEmail: `${APP}/verify?token={token}`,
        resetPassword: `${APP}/#/reset/{token}`,
      }),
    ).toEqual({
      verifyEmail: `${APP}/verify?token={token}`,
      resetPassword: `${APP}/#/reset/{token}`,
    })
    expect(links({ resetPassword: `${APP}/reset?t={token}&lang=de` })).toEqual({
      resetPassword: `${APP}/reset?t={token}&lang=de`,
    })
  })

  it('takes http on a loopback origin, for local development', () => {
    expect(links({ verifyEmail: 'http://localhost:5173/verify?token={token}' })).toEqual({
      verifyEmail: 'http://localhost:5173/verify?token={token}',
    })
  })

  it('matches ALLOWED_ORIGINS by origin, so a default port or capitals do not matter', () => {
    expect(
      links(
        { verifyEmail: 'https://APP.example.com:443/v?token={token}' },
        'https://app.example.com',
      ),
    ).toEqual({ verifyEmail: `${APP}/v?token={token}` })
  })

  it.each([
    ['invalid JSON', '{"verifyEmail": '],
    ['an array', []],
    ['a string', '"https://app.example.com/?t={token}"'],
    ['an unknown kind', { loginLink: `${APP}/?t={token}` }],
    ['a template that is not text', { verifyEmail: 42 }],
    ['no placeholder', { verifyEmail: `${APP}/verify` }],
    ['two placeholders', { verifyEmail: `${APP}/verify?token={token}#{token}` }],
    ['the placeholder in the path', { verifyEmail: `${APP}/verify/{token}` }],
    ['the placeholder in the host', { verifyEmail: 'https://{token}.app.example.com/?x=1' }],
    ['http on a public host', { verifyEmail: 'http://app.example.com/verify?token={token}' }],
    ['another scheme', { verifyEmail: 'javascript:alert(1)//?{token}' }],
    ['userinfo', { verifyEmail: `https://user:pw@app.example.com/?t={token}` }],
    ['an origin not in ALLOWED_ORIGINS', { verifyEmail: 'https://evil.example/?t={token}' }],
    ['a look-alike origin', { verifyEmail: 'https://app.example.com.evil.example/?t={token}' }],
    ['another port of an allowed host', { verifyEmail: 'https://app.example.com:8443/?t={token}' }],
    ['a relative URL', { verifyEmail: '/verify?token={token}' }],
    ['an over-long template', { verifyEmail: `${APP}/?t={token}&pad=${'x'.repeat(2100)}` }],
  ])('refuses %s, naming APP_LINKS', (_what, value) => {
    const err = refused(value)
    expect(err.variable).toBe('APP_LINKS')
  })

  it('names the variable and the rule, never the value', () => {
    for (const value of [
      { 'verifyEmail-secretish': `${APP}/?t={token}` },
      { verifyEmail: 'https://secretish.example/?t={token}' },
      '{"secretish": ',
    ]) {
      const err = refused(value)
      expect(err.message).toMatch(/^APP_LINKS /)
      expect(err.message).not.toContain('secretish')
    }
  })

  it('refuses any template while ALLOWED_ORIGINS is empty: no origin is trusted yet', () => {
    expect(refused({ verifyEmail: `${APP}/?t={token}` }, '').variable).toBe('APP_LINKS')
  })

  it('checks the host the URL parser sees, not the text: a backslash is a slash', () => {
    // https://app.example.com\@evil.example/ is app.example.com's path "/@evil.example/" to the
    // parser; kept as the parser spells it, so mail clients see that host too.
    expect(links({ verifyEmail: `https://app.example.com\\@evil.example/?t={token}` })).toEqual({
      verifyEmail: `${APP}/@evil.example/?t={token}`,
    })
    // And the other way round: an allowed host in the userinfo is no allowed host.
    expect(
      refused({ verifyEmail: `https://app.example.com@evil.example/?t={token}` }).variable,
    ).toBe('APP_LINKS')
  })

  it('fails only its own part: the token settings and CORS still load', () => {
    const env = {
      APP_LINKS: '{nope',
      ALLOWED_ORIGINS: APP,
      ACCESS_TOKEN_SECRET: 'a'.repeat(40),
      REFRESH_TOKEN_SECRET: 'b'.repeat(40),
    } as unknown as Bindings
    expect(() => settings(env).appLinks).toThrow(ConfigError)
    expect(settings(env).allowedOrigins).toEqual([APP])
    expect(settings(env).tokens(APP).accessTokenTtl).toBeGreaterThan(0)
  })
})
