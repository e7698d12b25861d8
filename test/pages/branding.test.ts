// The brand on every hosted page: the configured name and logo, the accent through /brand.css,
// an operator's stylesheet; all from this origin, so the CSP stays as strict as without them.
import { describe, expect, it } from 'vitest'
import { call, callWithEnv, captureLogs, expectProblem } from '../helpers'
import type { Bindings } from '../../src/env'

const BRAND = {
  SERVICE_NAME: 'Acme <Notes>',
  BRAND_LOGO: '/brand/logo.svg',
  BRAND_COLOR: '#6d28d9',
  BRAND_COLOR_DARK: '#a78bfa',
  BRAND_STYLESHEET: '/brand/site.css',
} as unknown as Partial<Bindings>

const PAGES = ['/signin', '/signup', '/forgot-password', '/email-code', '/reset-password?token=x']

describe('branded pages', () => {
  it('show the name (escaped) and logo, and link the brand stylesheets, on every page', async () => {
    for (const path of PAGES) {
      const res = await callWithEnv(BRAND, path)
      const html = await res.text()
      expect(html, path).toContain('· Acme &lt;Notes&gt;</title>')
      expect(html, path).toContain('<span class="brand-name">Acme &lt;Notes&gt;</span>')
      expect(html, path).toContain('<img src="/brand/logo.svg" alt="" height="40" />')
      expect(html, path).toMatch(/<link rel="stylesheet" href="\/brand\.css\?v=[0-9a-f]{8}" \/>/)
      expect(html, path).toContain('<link rel="stylesheet" href="/brand/site.css" />')
      // The pages' own stylesheet first, the brand's after it (later rules win).
      expect(html.indexOf('/pages.css')).toBeLessThan(html.indexOf('/brand.css'))
      expect(html.indexOf('/brand.css')).toBeLessThan(html.indexOf('/brand/site.css'))
      // The same policy as an unbranded page's: styles and images from this origin only.
      const csp = res.headers.get('content-security-policy')!
      expect(csp).toBe((await call(path)).headers.get('content-security-policy'))
      expect(csp).toContain("style-src 'self';")
      expect(csp).toContain("img-src 'self';")
    }
  })

  it('without settings: the host names the service, and no logo or brand stylesheet', async () => {
    const html = await (await call('/signin')).text()
    expect(html).toMatch(/<title>Sign in · [^<]+<\/title>/)
    expect(html).toContain('<span class="brand-name">')
    expect(html).not.toContain('<img')
    expect(html).not.toContain('/brand.css')
  })

  it('serve /brand.css: the colours only, cached for good under its versioned URL', async () => {
    const page = await (await callWithEnv(BRAND, '/signin')).text()
    const href = /href="(\/brand\.css\?v=[0-9a-f]{8})"/.exec(page)![1]!
    const res = await callWithEnv(BRAND, href)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(await res.text()).toBe(
      ':root{--accent:#6d28d9;--on-accent:#ffffff}\n' +
        '@media (prefers-color-scheme:dark){:root{--accent:#a78bfa;--on-accent:#111111}}\n',
    )
    // Another version (an old page after the colour changed) is not cached for long.
    const stale = await callWithEnv(BRAND, '/brand.css?v=00000000')
    expect(stale.headers.get('cache-control')).toBe('public, max-age=300')
  })

  it('fail closed on a logo from another origin: 500 naming the setting, not a page with it', async () => {
    const logs = captureLogs()
    const res = await callWithEnv(
      { BRAND_LOGO: 'https://tracker.example.net/pixel.gif' } as unknown as Partial<Bindings>,
      '/signin',
    )
    await expectProblem(res, 500, 'server_misconfigured')
    expect(logs.some((l) => JSON.stringify(l).includes('BRAND_LOGO'))).toBe(true)
  })
})
