// The brand settings: a name on one line, files only from this origin, colours only as #hex,
// and text on the accent that can be read.
import { describe, expect, it } from 'vitest'
import { BrandSettingError, accent, brandCss, readBrand } from '../src/brand'

const refused = (env: Record<string, unknown>, variable: string) => {
  try {
    readBrand(env)
  } catch (err) {
    expect(err).toBeInstanceOf(BrandSettingError)
    expect((err as BrandSettingError).variable).toBe(variable)
    return
  }
  throw new Error(`${variable} was accepted`)
}

describe('readBrand', () => {
  it('is all null when nothing is set (blank counts as unset)', () => {
    expect(readBrand({})).toEqual({ name: null, logo: null, accent: null, stylesheet: null })
    expect(readBrand({ SERVICE_NAME: '  ', BRAND_LOGO: '' }).name).toBeNull()
  })

  it('takes a name, a logo and a stylesheet on this origin, and colours', () => {
    const brand = readBrand({
      SERVICE_NAME: 'Acme Notes',
      BRAND_LOGO: '/brand/logo.svg',
      BRAND_STYLESHEET: '/brand/site.css?v=2',
      BRAND_COLOR: '#6D28D9',
      BRAND_COLOR_DARK: '#a8f',
    })
    expect(brand).toEqual({
      name: 'Acme Notes',
      logo: '/brand/logo.svg',
      stylesheet: '/brand/site.css?v=2',
      accent: {
        light: { color: '#6d28d9', text: '#ffffff' },
        dark: { color: '#aa88ff', text: '#111111' },
      },
    })
  })

  it.each([
    'https://cdn.example.com/logo.svg',
    '//cdn.example.com/logo.svg',
    '/\\cdn.example.com/logo.svg',
    'logo.svg',
    'javascript:alert(1)',
    'data:image/svg+xml,<svg/>',
    '/brand/../../logo.svg',
    '/brand/logo.svg#x" onerror="alert(1)',
    '/' + 'a'.repeat(300),
  ])('refuses the logo %j (not a plain path on this origin)', (logo) => {
    refused({ BRAND_LOGO: logo }, 'BRAND_LOGO')
    refused({ BRAND_STYLESHEET: logo }, 'BRAND_STYLESHEET')
  })

  it.each(['red', '#12345', '#1234567', 'rgb(0,0,0)', '#fff;}body{display:none', 'url(x)'])(
    'refuses the colour %j',
    (color) => {
      refused({ BRAND_COLOR: color }, 'BRAND_COLOR')
      refused({ BRAND_COLOR: '#fff', BRAND_COLOR_DARK: color }, 'BRAND_COLOR_DARK')
    },
  )

  it('refuses a dark colour without a light one, and a name that is not one short line', () => {
    refused({ BRAND_COLOR_DARK: '#000' }, 'BRAND_COLOR_DARK')
    refused({ SERVICE_NAME: 'Acme\r\nBcc: x@example.com' }, 'SERVICE_NAME')
    refused({ SERVICE_NAME: 'A'.repeat(65) }, 'SERVICE_NAME')
    refused({ SERVICE_NAME: 'Acme \u202Eetoн' }, 'SERVICE_NAME')
  })
})

describe('accent', () => {
  it('puts white on dark colours and near-black on light ones (the higher contrast)', () => {
    expect(accent('#000').text).toBe('#ffffff')
    expect(accent('#1a56db').text).toBe('#ffffff')
    expect(accent('#ffeb3b').text).toBe('#111111')
    expect(accent('#FFF').color).toBe('#ffffff')
  })
})

describe('brandCss', () => {
  it('is the accent as custom properties, light and dark, and nothing else', () => {
    const css = brandCss(readBrand({ BRAND_COLOR: '#6d28d9', BRAND_COLOR_DARK: '#a78bfa' }))
    expect(css).toBe(
      ':root{--accent:#6d28d9;--on-accent:#ffffff}\n' +
        '@media (prefers-color-scheme:dark){:root{--accent:#a78bfa;--on-accent:#111111}}\n',
    )
    expect(brandCss(readBrand({}))).toMatch(/^\/\*.*\*\/\n$/)
  })
})
