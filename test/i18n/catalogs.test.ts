// Every language's catalog has the English one's keys, no more, each of the same kind, and every
// message says something in every language: a missing or stray key fails here (and in tsc).
import { describe, expect, it } from 'vitest'
import { CATALOGS } from '../../src/i18n/sources'
import { LANGUAGES } from '../../src/i18n/languages'

type Tree = { [key: string]: unknown }

/** Each leaf's path and kind: "signin.title: string", "common.refusals.rateLimited: function". */
function leaves(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key
    if (typeof value === 'function') return [`${path}: function`]
    if (typeof value === 'object' && value !== null) return leaves(value as Tree, path)
    return [`${path}: ${typeof value}`]
  })
}

/** A value no message would say by itself: shows where each argument lands. */
const sample = (i: number) => `⟦${i}⟧`

/** Each leaf's text: a string itself, a function called with a sample for each argument. */
function texts(tree: Tree, prefix = ''): [string, unknown][] {
  return Object.entries(tree).flatMap(([key, value]): [string, unknown][] => {
    const path = prefix ? `${prefix}.${key}` : key
    if (typeof value === 'function') {
      const samples = Array.from({ length: 4 }, (_, i) => sample(i))
      return [[path, (value as (...a: unknown[]) => unknown)(...samples)]]
    }
    if (typeof value === 'object' && value !== null) return texts(value as Tree, path)
    return [[path, value]]
  })
}

/**
 * Messages whose English passes on the service's own English sentence (an error's detail, a
 * validator's rule), which names the case exactly; other languages say it in general terms.
 */
const ENGLISH_DETAIL = new Set([
  'common.fieldError',
  'common.refusals.invalidCredentials',
  'common.refusals.reauthenticationRequired',
  'common.refusals.totpEnabled',
  'common.refusals.totpNotEnrolled',
  'common.refusals.lastSignInMethod',
])

describe('message catalogs', () => {
  const english = leaves(CATALOGS.en)

  it('has English, French and Spanish, each with messages', () => {
    expect(LANGUAGES).toEqual(['en', 'fr', 'es'])
    expect(english.length).toBeGreaterThan(100)
  })

  for (const lang of LANGUAGES) {
    it(`${lang}: has exactly the English keys, each of the same kind`, () => {
      const found = leaves(CATALOGS[lang])
      expect(
        found.filter((k) => !english.includes(k)),
        'keys English lacks',
      ).toEqual([])
      expect(
        english.filter((k) => !found.includes(k)),
        'keys missing',
      ).toEqual([])
    })

    it(`${lang}: says something for every message, with no markup`, () => {
      for (const [path, text] of texts(CATALOGS[lang])) {
        expect(typeof text, path).toBe('string')
        expect((text as string).trim(), path).not.toBe('')
        expect(text, path).not.toMatch(/<[a-z/]/i)
      }
    })
  }

  it('says every value the English message says (a count, a name, a date)', () => {
    const english = new Map(texts(CATALOGS.en))
    for (const lang of ['fr', 'es'] as const) {
      for (const [path, text] of texts(CATALOGS[lang])) {
        if (ENGLISH_DETAIL.has(path)) continue
        const said = [0, 1, 2, 3].filter((i) => String(english.get(path)).includes(sample(i)))
        for (const i of said) expect(text, `${lang} ${path}`).toContain(sample(i))
      }
    }
  })

  it('fails for a catalog that misses a key (the check itself)', () => {
    const { signin, ...rest } = CATALOGS.fr
    const { signInTitle: _, ...partial } = signin
    const missing = english.filter((k) => !leaves({ ...rest, signin: partial }).includes(k))
    expect(missing).toEqual(['signin.signInTitle: string'])
  })

  it('translates: French and Spanish differ from English where a sentence is long', () => {
    for (const lang of ['fr', 'es'] as const) {
      const same = texts(CATALOGS[lang]).filter(([path, text]) => {
        const en = texts(CATALOGS.en).find(([p]) => p === path)?.[1]
        return typeof text === 'string' && text.length > 24 && text === en
      })
      expect(same.map(([p]) => p)).toEqual([])
    }
  })
})
