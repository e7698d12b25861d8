// GET /brand.css: the accent colours of BRAND_COLOR and BRAND_COLOR_DARK as a stylesheet of this
// origin, so the pages' CSP keeps `style-src 'self'` (no inline style). Its URL carries a hash of
// its content: a changed colour is a new URL, so it may be cached for long.
import { Hono } from '../http/router'
import { type Brand, brandCss } from '../brand'
import { type AppEnv, settings } from '../env'

export const brandCssRoutes = new Hono<AppEnv>()

/** FNV-1a, 32 bits, as hex: a cache key, not a security measure. */
function hash(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}

/** Where the page links the brand's stylesheet: versioned by its content. */
export const brandCssPath = (brand: Brand) => `/brand.css?v=${hash(brandCss(brand))}`

brandCssRoutes.get('/brand.css', (c) => {
  const css = brandCss(settings(c.env).brand)
  const versioned = c.req.query('v') === hash(css)
  return c.body(css, 200, {
    'Content-Type': 'text/css; charset=utf-8',
    // A versioned URL never changes; the bare one may, on the next deploy.
    'Cache-Control': versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
  })
})
