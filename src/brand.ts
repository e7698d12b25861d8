// The product's look, from configuration: its name, a logo and a stylesheet served from the
// worker's own assets, and an accent colour for light and dark. Only paths on this origin are
// taken for files, so the pages' CSP keeps `img-src 'self'` and `style-src 'self'` and no
// third-party host ever sees a visitor.

/** A setting that cannot be used: names the variable, as ConfigError does (env.ts rethrows). */
export class BrandSettingError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`${variable} ${reason}`)
    this.name = 'BrandSettingError'
  }
}

export type Brand = {
  /** SERVICE_NAME, or null: the service's public host names it. */
  name: string | null
  /** BRAND_LOGO: a path on this origin (an asset), or null for the name alone. */
  logo: string | null
  /** BRAND_COLOR and BRAND_COLOR_DARK, each with the text colour that reads on it; or null. */
  accent: { light: Accent; dark: Accent } | null
  /** BRAND_STYLESHEET: a path on this origin, linked after the pages' own, or null. */
  stylesheet: string | null
}

export type Accent = { color: string; text: string }

const MAX_NAME = 64
const MAX_PATH = 256
const COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i
// Control and format characters (bidi overrides too) and line or paragraph separators: a name
// goes into email subjects and page titles, on one line, read in the order it is written.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u

type Source = Record<string, unknown>

const setting = (env: Source, name: string): string | null => {
  const value = env[name]
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null
}

function serviceName(env: Source): string | null {
  const name = setting(env, 'SERVICE_NAME')
  if (name !== null && (name.length > MAX_NAME || UNPRINTABLE.test(name))) {
    throw new BrandSettingError(
      'SERVICE_NAME',
      `must be at most ${MAX_NAME} characters on one line`,
    )
  }
  return name
}

/**
 * A path on this origin, such as `/brand/logo.svg`: not `//host/...` (another origin), no
 * backslash (which URL parsers read as `/`), nothing the URL parser would rewrite.
 */
function ownPath(env: Source, name: string): string | null {
  const path = setting(env, name)
  if (path === null) return null
  const base = 'https://origin.invalid'
  const fail = () =>
    new BrandSettingError(
      name,
      `must be a path on this service, such as /brand/logo.svg (at most ${MAX_PATH} characters), served from its assets`,
    )
  if (
    path.length > MAX_PATH ||
    !path.startsWith('/') ||
    path.startsWith('//') ||
    path.includes('\\') ||
    !URL.canParse(path, base)
  ) {
    throw fail()
  }
  const url = new URL(path, base)
  if (url.origin !== base || `${url.pathname}${url.search}` !== path) throw fail()
  return path
}

/** #rgb → #rrggbb, lower case. */
const sixDigits = (color: string) =>
  (color.length === 4 ? `#${[...color.slice(1)].map((d) => d + d).join('')}` : color).toLowerCase()

/** WCAG 2 relative luminance of #rrggbb. */
function luminance(color: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(color.slice(i, i + 2), 16) / 255
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}

/** The accent, with white or near-black text, whichever contrasts more with it. */
export function accent(color: string): Accent {
  const hex = sixDigits(color)
  const l = luminance(hex)
  const onWhite = 1.05 / (l + 0.05)
  const onDark = (l + 0.05) / (luminance('#111111') + 0.05)
  return { color: hex, text: onWhite >= onDark ? '#ffffff' : '#111111' }
}

function colorOf(env: Source, name: string): string | null {
  const color = setting(env, name)
  if (color !== null && !COLOR.test(color)) {
    throw new BrandSettingError(name, 'must be a colour such as #0b57d0 (#rgb or #rrggbb)')
  }
  return color
}

/** The brand settings; throws BrandSettingError naming the first unusable one. */
export function readBrand(env: Source): Brand {
  const light = colorOf(env, 'BRAND_COLOR')
  const dark = colorOf(env, 'BRAND_COLOR_DARK')
  if (dark !== null && light === null) {
    throw new BrandSettingError('BRAND_COLOR_DARK', 'needs BRAND_COLOR, the light one, set too')
  }
  return {
    name: serviceName(env),
    logo: ownPath(env, 'BRAND_LOGO'),
    accent: light === null ? null : { light: accent(light), dark: accent(dark ?? light) },
    stylesheet: ownPath(env, 'BRAND_STYLESHEET'),
  }
}

/**
 * The stylesheet the brand adds (served at /brand.css): the accent as custom properties that
 * pages.css reads, light and dark. Built from validated colours only, so nothing from
 * configuration can close the rule or add one.
 */
export function brandCss(brand: Brand): string {
  if (brand.accent === null) return '/* No BRAND_COLOR: the pages keep their own colours. */\n'
  const { light, dark } = brand.accent
  return [
    `:root{--accent:${light.color};--on-accent:${light.text}}`,
    `@media (prefers-color-scheme:dark){:root{--accent:${dark.color};--on-accent:${dark.text}}}`,
    '',
  ].join('\n')
}
