// How the sessions list names a session's device and place: a User-Agent read into "Chrome on
// macOS", Cloudflare's city and country into "Lisbon, Portugal". Pure: no Hono, no bindings,
// no dependencies but the message catalogs. Everything it reads is client-controlled text (the User-Agent), or
// Cloudflare's, so its answers are built from its own words, never from markup it was sent.
import { type Messages, messagesFor } from '../i18n/catalogs'
import { DEFAULT_LANGUAGE, type Language } from '../i18n/languages'

/** Every word the list shows, in the language asked for (English by default). */
export type DeviceWords = Messages['account']['device']

/** A product name from an unknown client is cut to this (RFC 9110 does not bound tokens). */
export const PRODUCT_MAX_LENGTH = 40
/** Cloudflare's city names are short; a longer one is cut to this before it is stored. */
export const CITY_MAX_LENGTH = 100

// Control and format characters (C0, C1, zero-width, bidi overrides and isolates), private-use
// and unassigned code points, and lone surrogates: none belongs in a name, and bidi controls
// would reorder the text around them.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}]/gu

/**
 * `text` without control or format characters, runs of space collapsed, trimmed and cut to
 * `max` code points (never between the halves of a surrogate pair); null when nothing is left.
 */
export function printable(text: string | null | undefined, max: number): string | null {
  if (typeof text !== 'string') return null
  // Bounded before the regular expressions run: a 10 KB header costs no more than a short one.
  const cleaned = text
    .slice(0, max * 4)
    .replace(UNPRINTABLE, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  const cut = [...cleaned].slice(0, max).join('').trim()
  return cut === '' ? null : cut
}

/** Browsers in the order they must be tested: later ones' tokens appear in earlier ones' UAs. */
const BROWSERS: [RegExp, string][] = [
  // In-app browsers name their app; the rest of their UA is the system WebView's.
  [/\bInstagram\b/, 'Instagram'],
  [/\bFBAN\/|\bFBAV\/|\bFB_IAB\//, 'Facebook'],
  // Edge, Opera, Samsung Internet, Vivaldi and Yandex all send "Chrome/" (and "Safari/") too.
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOPT\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bVivaldi\//, 'Vivaldi'],
  [/\bYaBrowser\//, 'Yandex Browser'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  // Chrome on iOS is CriOS; a headless Chrome (automation, tests) is still Chrome.
  [/\b(?:Headless)?Chrome\/|\bCriOS\//, 'Chrome'],
  [/\bChromium\//, 'Chromium'],
  // Safari's "Version/x" is what sets it apart from other WebKit UAs; Android's old stock
  // browser sent the same tokens.
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/\bMSIE |\bTrident\//, 'Internet Explorer'],
]

/** Systems in the order they must be tested: iOS says "like Mac OS X", Android and ChromeOS say Linux. */
const SYSTEMS: [RegExp, string][] = [
  [/\biPhone\b|\biPod\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  // iPadOS 13+ asks for desktop sites with a Macintosh UA: it reads as macOS (no way to tell).
  [/\bMacintosh\b|\bMac OS X\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
]

/** Clients that are not browsers, by the product token they send. */
const PROGRAMS: [RegExp, string][] = [
  [/^curl\//i, 'curl'],
  [/^Wget\//i, 'Wget'],
  [/^python-requests\//i, 'Python requests'],
  [/^python-httpx\//i, 'Python httpx'],
  [/^Python-urllib\//i, 'Python urllib'],
  [/\baiohttp\//i, 'Python aiohttp'],
  [/^okhttp\//i, 'okhttp'],
  [/^Go-http-client\//, 'Go'],
  [/^(?:node|undici|node-fetch)(?:\/|$)/i, 'Node.js'],
  [/^axios\//i, 'axios'],
  [/^Deno\//, 'Deno'],
  [/^Bun\//, 'Bun'],
  [/^Dart\//, 'Dart'],
  [/^Java\/|^Apache-HttpClient\//, 'Java'],
  [/^PostmanRuntime\//, 'Postman'],
  [/^insomnia\//, 'Insomnia'],
]

// A crawler names itself ("Googlebot/2.1", "bingbot/2.0"), often inside a browser-like UA. The
// name must end its token, so a phone model such as "Cubot X30" is not taken for one.
const BOT = /\b([A-Za-z][A-Za-z0-9-]{0,30}?(?:bot|crawler|spider))(?=[/;)-]|$)/i

// RFC 9110's token characters: what a product name is made of. Nothing else from the UA is shown.
const PRODUCT = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/

const firstMatch = (table: [RegExp, string][], ua: string) =>
  table.find(([pattern]) => pattern.test(ua))?.[1] ?? null

/**
 * A User-Agent as a person would name the device: "Chrome on macOS", "Safari on iPhone", "curl".
 * Browsers by name and system; other clients by product; anything else by its first product
 * token (RFC 9110 token characters only, at most 40); nothing usable is "Unknown device".
 */
export function describeDevice(
  userAgent: string | null,
  lang: Language = DEFAULT_LANGUAGE,
): string {
  const words: DeviceWords = messagesFor(lang).account.device
  const ua = printable(userAgent, 512)
  if (ua === null) return words.unknownDevice
  const bot = BOT.exec(ua)?.[1]
  if (bot) return bot
  const program = firstMatch(PROGRAMS, ua)
  if (program) return program
  const os = firstMatch(SYSTEMS, ua)
  let browser = firstMatch(BROWSERS, ua)
  if (browser === 'Safari' && os === 'Android') browser = 'Android Browser'
  // A WebKit view inside an iOS app that does not say which: its UA lacks "Safari/".
  if (browser === null && (os === 'iPhone' || os === 'iPad') && /\bAppleWebKit\//.test(ua)) {
    browser = words.inAppBrowser
  }
  if (browser === null && /^Mozilla\//.test(ua) && os !== null) browser = words.webBrowser
  if (browser !== null) return os === null ? browser : words.browserOn(browser, os)
  const product = PRODUCT.exec(ua)?.[0]
  return product ? product.slice(0, PRODUCT_MAX_LENGTH) : words.unknownDevice
}

/** Country names by language; null where the runtime has no such data (then codes are shown). */
const regionNames = new Map<Language, Intl.DisplayNames | null>()

function displayNames(lang: Language): Intl.DisplayNames | null {
  if (!regionNames.has(lang)) {
    try {
      regionNames.set(lang, new Intl.DisplayNames([lang], { type: 'region' }))
    } catch {
      regionNames.set(lang, null)
    }
  }
  return regionNames.get(lang)!
}

function countryName(code: string, lang: Language): string | null {
  if (code === 'T1') return messagesFor(lang).account.device.tor
  // XX: Cloudflare does not know; ZZ: the "unknown region" code.
  if (!/^[A-Z]{2}$/.test(code) || code === 'XX' || code === 'ZZ') return null
  try {
    return displayNames(lang)?.of(code) ?? code
  } catch {
    return code
  }
}

/**
 * Where a session signed in, from Cloudflare's city and ISO 3166 country code: "Lisbon, Portugal",
 * "Portugal", or null when neither is known.
 */
export function describeLocation(
  city: string | null,
  country: string | null,
  lang: Language = DEFAULT_LANGUAGE,
): string | null {
  const place = printable(city, CITY_MAX_LENGTH)
  const nation = country === null ? null : countryName(country, lang)
  if (place !== null && nation !== null) {
    return messagesFor(lang).account.device.cityInCountry(place, nation)
  }
  return place ?? nation
}
