// Choosing a language: ?lang=, then the cookie, then Accept-Language by quality, then English.
import { describe, expect, it } from 'vitest'
import { date, dateTime } from '../../src/i18n/dates'
import { chooseLanguage, fromAcceptLanguage } from '../../src/i18n/languages'

describe('fromAcceptLanguage', () => {
  it.each([
    ['fr-CH, fr;q=0.9, en;q=0.8', 'fr'],
    ['de-DE, es;q=0.5, en;q=0.4', 'es'],
    ['en;q=0.2, es;q=0.9', 'es'],
    ['ES-mx', 'es'],
    ['de, *;q=0.1', 'en'],
    ['fr;q=0, es;q=0.1', 'es'],
  ])('%s → %s', (header, lang) => {
    expect(fromAcceptLanguage(header)).toBe(lang)
  })

  it.each([undefined, '', 'de, ja', 'fr;q=0', 'fr;q=abc', 'fr;q=2', ',,,;;;', 'x'.repeat(100_000)])(
    'finds none of ours in %j',
    (header) => {
      expect(fromAcceptLanguage(header)).toBeNull()
    },
  )

  it('reads at most 32 entries of a long header', () => {
    const header = [...Array.from({ length: 40 }, () => 'de'), 'fr'].join(',')
    expect(fromAcceptLanguage(header)).toBeNull()
  })
})

describe('chooseLanguage', () => {
  it('takes ?lang= over the cookie over Accept-Language, each only when it is ours', () => {
    expect(chooseLanguage({ query: 'es', cookie: 'fr', acceptLanguage: 'en' })).toBe('es')
    expect(chooseLanguage({ query: 'xx', cookie: 'fr', acceptLanguage: 'es' })).toBe('fr')
    expect(chooseLanguage({ query: '../en', cookie: 'FR', acceptLanguage: 'es' })).toBe('es')
    expect(chooseLanguage({ acceptLanguage: 'ja' })).toBe('en')
    expect(chooseLanguage({})).toBe('en')
  })
})

describe('dates', () => {
  const at = '2026-12-06T17:06:00.000Z'
  it('writes each language its own way, in UTC, said so', () => {
    expect(dateTime('en', at)).toBe('6 Dec 2026, 17:06 UTC')
    expect(dateTime('fr', at)).toMatch(/déc\..*2026.*17:06 UTC$/)
    expect(dateTime('es', at)).toMatch(/dic.*2026.*17:06 UTC$/)
    expect(date('fr', at)).toMatch(/^6 déc\. 2026$/)
  })
})
