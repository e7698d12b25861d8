// The sessions list's names for devices and places, read from real User-Agent strings (run in
// workerd, so Intl.DisplayNames is the runtime's own).
import { beforeAll, describe, expect, it } from 'vitest'
import {
  CITY_MAX_LENGTH,
  PRODUCT_MAX_LENGTH,
  describeDevice,
  describeLocation,
  printable,
} from '../../src/services/device'
import { installCatalogs } from '../helpers'

// Views and mails rendered here directly: their languages' words come from the assets.
beforeAll(installCatalogs)

const CHROME_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'

/** [User-Agent, what the list shows]: browsers, apps, programs, bots and garbage. */
const TABLE: [string | null, string][] = [
  // Desktop browsers.
  [CHROME_MAC, 'Chrome on macOS'],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'Chrome on Windows',
  ],
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36',
    'Chrome on Linux',
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51',
    'Edge on Windows',
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0',
    'Opera on macOS',
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
    'Safari on macOS',
  ],
  [
    'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
    'Firefox on Linux',
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0',
    'Firefox on Windows',
  ],
  [
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'Chrome on ChromeOS',
  ],
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/124.0.0.0 Safari/537.36',
    'Chromium on Linux',
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 YaBrowser/24.4.0.0 Safari/537.36',
    'Yandex Browser on Windows',
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko',
    'Internet Explorer on Windows',
  ],
  // Mobile browsers.
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1',
    'Safari on iPhone',
  ],
  [
    'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
    'Safari on iPad',
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1',
    'Chrome on iPhone',
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15',
    'Firefox on iPhone',
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/124.2478.50 Mobile/15E148 Safari/605.1.15',
    'Edge on iPhone',
  ],
  [
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
    'Chrome on Android',
  ],
  [
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
    'Samsung Internet on Android',
  ],
  ['Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0', 'Firefox on Android'],
  [
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64',
    'Edge on Android',
  ],
  [
    'Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30',
    'Android Browser on Android',
  ],
  // iPadOS 13+ asks for desktop sites with a Mac's UA: it reads as macOS (documented).
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
    'Safari on macOS',
  ],
  // In-app browsers.
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 326.0.3.29.91 (iPhone14,5; iOS 17_4; en_US; en; scale=3.00; 1170x2532; 589370838)',
    'Instagram on iPhone',
  ],
  [
    'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A.240405.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/460.0.0.48.109;]',
    'Facebook on Android',
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
    'In-app browser on iPhone',
  ],
  // Programs.
  ['curl/8.4.0', 'curl'],
  ['Wget/1.21.4', 'Wget'],
  ['node', 'Node.js'],
  ['undici', 'Node.js'],
  ['node-fetch/1.0 (+https://github.com/bitinn/node-fetch)', 'Node.js'],
  ['okhttp/4.12.0', 'okhttp'],
  ['python-requests/2.31.0', 'Python requests'],
  ['Python/3.12 aiohttp/3.9.5', 'Python aiohttp'],
  ['Go-http-client/2.0', 'Go'],
  ['PostmanRuntime/7.37.3', 'Postman'],
  ['Deno/1.43.1', 'Deno'],
  // An app of its own: its first product token.
  ['MyNotes/3.2 (iPhone; iOS 17.4) CFNetwork/1494.0.7 Darwin/23.4.0', 'MyNotes'],
  // Bots, even in a browser's clothes.
  ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Googlebot'],
  [
    'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    'Googlebot',
  ],
  ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'bingbot'],
  ['Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', 'Slackbot'],
  // A phone named like a bot is still a phone.
  [
    'Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
    'Chrome on Android',
  ],
  // Unknown browsers on known systems, and garbage.
  ['Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Whatever/1.0', 'Web browser on Linux'],
  ['Mozilla/5.0', 'Mozilla'],
  [null, 'Unknown device'],
  ['', 'Unknown device'],
  ['   \t ', 'Unknown device'],
  ['\u0000\u0007\u001b[31m', 'Unknown device'],
  ['<script>alert(1)</script>', 'Unknown device'],
  ['"><img src=x onerror=alert(1)>', 'Unknown device'],
  ['x'.repeat(300), 'x'.repeat(PRODUCT_MAX_LENGTH)],
  ['Evil<b>bold</b>/1.0', 'Evil'],
  // Control and bidi characters are dropped, not shown.
  ['\u202Ecurl/8.0', 'curl'],
  ['Chr\u0000ome', 'Chr'],
  ['\u2066Tool\u2069/1.0', 'Tool'],
  // The 256 characters the session index keeps: the browser's token was cut off.
  [
    (CHROME_MAC.replace('Chrome/124.0.0.0 Safari/537.36', '') + ' '.repeat(256)).slice(0, 256),
    'Web browser on macOS',
  ],
  [CHROME_MAC.padEnd(256, ' extra').slice(0, 256), 'Chrome on macOS'],
]

describe('describeDevice', () => {
  it('has a table of 25 and more real and hostile User-Agents', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(25)
  })

  it.each(TABLE)('%j reads as %j', (ua, expected) => {
    expect(describeDevice(ua)).toBe(expected)
  })

  it('never answers with markup, control characters, or more than its cap', () => {
    const hostile = [
      `<svg onload=alert(1)>${'A'.repeat(10_000)}`,
      `Mozilla/5.0 (<script>) ${'\u202E'.repeat(5_000)}`,
      `${'a<'.repeat(5_000)}`,
      '\uD800curl/1',
    ]
    for (const ua of hostile) {
      const name = describeDevice(ua)
      expect(name).not.toMatch(/[<>"\p{Cc}\p{Cf}\p{Cs}]/u)
      expect(name.length).toBeLessThanOrEqual(PRODUCT_MAX_LENGTH)
    }
  })

  it('reads a 10 KB header in bounded time', () => {
    const ua = `Mozilla/5.0 ${'(a; '.repeat(2_500)}`
    const started = performance.now()
    describeDevice(ua)
    // Generous: the point is "not quadratic", which 10 KB of backtracking would show as seconds.
    expect(performance.now() - started).toBeLessThan(200)
  })
})

describe('describeLocation', () => {
  it('names the city and the country, in English', () => {
    expect(describeLocation('Lisbon', 'PT')).toBe('Lisbon, Portugal')
    expect(describeLocation(null, 'US')).toBe('United States')
    expect(describeLocation(null, 'GB')).toBe('United Kingdom')
    expect(describeLocation('São Paulo', 'BR')).toBe('São Paulo, Brazil')
  })

  it('is null when Cloudflare knows neither, and never shows its "unknown" codes', () => {
    expect(describeLocation(null, null)).toBeNull()
    expect(describeLocation(null, 'XX')).toBeNull()
    expect(describeLocation('', 'ZZ')).toBeNull()
    expect(describeLocation('Lisbon', null)).toBe('Lisbon')
    expect(describeLocation('Lisbon', 'XX')).toBe('Lisbon')
  })

  it('names Tor, and shows a code it has no name for as the code', () => {
    expect(describeLocation(null, 'T1')).toBe('Tor network')
    expect(describeLocation(null, 'QQ')).toBe('QQ')
    // Not a country code at all: nothing.
    expect(describeLocation(null, '<b>')).toBeNull()
    expect(describeLocation(null, 'usa')).toBeNull()
  })

  it('drops control and bidi characters from the city and caps it', () => {
    expect(describeLocation('\u202ELis\u0000bon\u2069', 'PT')).toBe('Lis bon, Portugal')
    expect(describeLocation('x'.repeat(500), null)).toBe('x'.repeat(CITY_MAX_LENGTH))
    expect(describeLocation('\u200B\u200E', 'PT')).toBe('Portugal')
  })
})

describe('in another language', () => {
  const mac =
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15'
  it('names the device and the place in French and Spanish', () => {
    expect(describeDevice(mac, 'fr')).toBe('Safari sur macOS')
    expect(describeDevice(mac, 'es')).toBe('Safari en macOS')
    expect(describeDevice(null, 'fr')).toBe('Appareil inconnu')
    expect(describeLocation('Lisbon', 'PT', 'fr')).toBe('Lisbon, Portugal')
    expect(describeLocation(null, 'DE', 'fr')).toBe('Allemagne')
    expect(describeLocation(null, 'DE', 'es')).toBe('Alemania')
    expect(describeLocation(null, 'T1', 'es')).toBe('Red Tor')
  })
})

describe('printable', () => {
  it('drops control, format and lone surrogate characters, collapses space and caps by code point', () => {
    expect(printable('  a\u0000\u0085b\u202Ec\u2028d  ', 10)).toBe('a b c d')
    expect(printable('\uD83D\uDE00\uD83D\uDE00', 1)).toBe('\uD83D\uDE00')
    expect(printable('\uDE00x\uD83D', 10)).toBe('x')
    expect(printable('', 10)).toBeNull()
    expect(printable(undefined, 10)).toBeNull()
  })
})
