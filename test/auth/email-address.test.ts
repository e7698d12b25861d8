import { describe, expect, it } from 'vitest'
import { maskedAddress, parseEmailAddress } from '../../src/auth/email-address'

describe('email addresses (RFC 5321 paths, dot-atom local parts)', () => {
  it('accepts deliverable addresses, lower-casing only the domain', () => {
    expect(parseEmailAddress('Alice.Smith+tag@Example.COM')).toBe('Alice.Smith+tag@example.com')
    expect(parseEmailAddress("o'hara!#$%&*/=?^_`{|}~-@mail.example.co.uk")).toBe(
      "o'hara!#$%&*/=?^_`{|}~-@mail.example.co.uk",
    )
    expect(parseEmailAddress(`${'a'.repeat(64)}@example.com`)).not.toBeNull()
    const longest = `${'a'.repeat(64)}@${['b'.repeat(63), 'c'.repeat(63), 'd'.repeat(58)].join('.')}.io`
    expect(longest).toHaveLength(254)
    expect(parseEmailAddress(longest)).not.toBeNull()
  })

  it.each([
    ['no at sign', 'alice.example.com'],
    ['empty local part', '@example.com'],
    ['no dot in the domain', 'alice@localhost'],
    ['a leading dot', '.alice@example.com'],
    ['two dots', 'al..ice@example.com'],
    ['a trailing dot', 'alice.@example.com'],
    ['a quoted local part', '"alice smith"@example.com'],
    ['a space', 'alice smith@example.com'],
    ['a comment', 'alice(comment)@example.com'],
    ['a label starting with a hyphen', 'alice@-example.com'],
    ['a label ending with a hyphen', 'alice@example-.com'],
    ['an empty label', 'alice@example..com'],
    ['a numeric top level', 'alice@example.123'],
    ['an IP literal', 'alice@[192.0.2.1]'],
    ['non-ASCII', 'alïce@example.com'],
    ['a 65-octet local part', `${'a'.repeat(65)}@example.com`],
    ['a 64-octet label', `alice@${'b'.repeat(64)}.com`],
    [
      '255 octets',
      `${'a'.repeat(64)}@${['b'.repeat(63), 'c'.repeat(63), 'd'.repeat(59)].join('.')}.io`,
    ],
    ['two at signs', 'alice@bob@example.com'],
  ])('refuses %s', (_, raw) => {
    expect(parseEmailAddress(raw)).toBeNull()
  })

  it('masks an address for the log: its first character and its domain', () => {
    expect(maskedAddress('alice@example.com')).toBe('a…@example.com')
  })
})
