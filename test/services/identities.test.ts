// What a proven identity signs in to, as a table (every branch of decideLink), and the username a
// new federated account gets: folded from what the provider said, always a valid username.
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import type { ExternalProfile } from '../../src/federation/client'
import { Username } from '../../src/schemas'
import {
  decideLink,
  type LinkDecision,
  type LinkFacts,
  addressOf,
  linkableEmail,
  usernameBase,
  usernameCandidate,
} from '../../src/services/identities'
import type { IdentityRecord } from '../../src/store/identities'

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/

const profile = (overrides: Partial<ExternalProfile> = {}): ExternalProfile => ({
  provider: 'acme',
  subject: 'sub-1',
  email: 'jane@example.com',
  emailVerified: true,
  name: 'Jane Doe',
  handle: null,
  ...overrides,
})

const identityOf = (userId: string): IdentityRecord => ({
  provider: 'acme',
  subject: 'sub-1',
  userId,
  email: null,
  createdAt: 1,
  lastUsedAt: null,
})

const SIGN_IN = { kind: 'sign_in' } as const
const LINK_BY_ME = { kind: 'link', userId: 'me' } as const

const facts = (overrides: Partial<LinkFacts> = {}): LinkFacts => ({
  intent: SIGN_IN,
  profile: profile(),
  emailTrusted: true,
  existing: null,
  emailOwner: null,
  ...overrides,
})

describe('decideLink', () => {
  const table: [string, Partial<LinkFacts>, LinkDecision][] = [
    [
      'a known identity signs in to its account, whatever the address says',
      { existing: identityOf('owner'), emailOwner: 'someone-else' },
      { kind: 'sign_in', userId: 'owner' },
    ],
    [
      'connecting one’s own identity again is already_linked',
      { intent: LINK_BY_ME, existing: identityOf('me') },
      { kind: 'already_linked', userId: 'me' },
    ],
    [
      'connecting another account’s identity is identity_taken (no takeover)',
      { intent: LINK_BY_ME, existing: identityOf('victim') },
      { kind: 'identity_taken' },
    ],
    [
      'an unknown identity connected by its signed-in user links to them, not to the address owner',
      { intent: LINK_BY_ME, emailOwner: 'address-owner' },
      { kind: 'link', userId: 'me', auto: false },
    ],
    [
      'a trusted, verified address owned by an account links automatically',
      { emailOwner: 'owner' },
      { kind: 'link', userId: 'owner', auto: true },
    ],
    [
      'an untrusted provider (Microsoft) creates, without the address, even when it matches',
      { emailTrusted: false, emailOwner: 'owner' },
      { kind: 'create', verifiedEmail: null },
    ],
    [
      'an untrusted provider’s verified, unowned address is not given to the new account',
      { emailTrusted: false },
      { kind: 'create', verifiedEmail: null },
    ],
    [
      'an unverified address creates without it, even when it matches an account',
      { profile: profile({ emailVerified: false }), emailOwner: 'owner' },
      { kind: 'create', verifiedEmail: null },
    ],
    [
      'an unverified, unowned address creates without it',
      { profile: profile({ emailVerified: false }) },
      { kind: 'create', verifiedEmail: null },
    ],
    [
      'no address creates without one',
      { profile: profile({ email: null, emailVerified: false }) },
      { kind: 'create', verifiedEmail: null },
    ],
    [
      'a trusted, verified, unowned address creates with it',
      {},
      { kind: 'create', verifiedEmail: 'jane@example.com' },
    ],
  ]

  it.each(table)('%s', (_, overrides, decision) => {
    expect(decideLink(facts(overrides))).toEqual(decision)
  })

  it('links only an address both verified and from a trusted provider', () => {
    expect(linkableEmail(profile(), true)).toBe('jane@example.com')
    expect(linkableEmail(profile(), false)).toBeNull()
    expect(linkableEmail(profile({ emailVerified: false }), true)).toBeNull()
  })

  it('links nothing that is not an address, whatever the provider vouches for', () => {
    // A bare name could be someone's username here; a spelling with spaces or two @s is no address.
    for (const email of ['alice', 'alice@', '@example.com', 'a b@example.com', 'a@b@example.com']) {
      expect(linkableEmail(profile({ email }), true), email).toBeNull()
      expect(addressOf(profile({ email })), email).toBeNull()
    }
    expect(addressOf(profile({ email: 'Jane@Example.COM' }))).toBe('Jane@example.com')
  })
})

describe('usernameBase', () => {
  it.each([
    ['folds accents and turns spaces into dots', { handle: 'Jösé  Müller' }, 'Jose.Muller'],
    ['drops symbols', { handle: 'ja@ne!#doe' }, 'janedoe'],
    ['keeps _ . - inside, trims . and - at the ends', { handle: '-.jane_d.o-e.-' }, 'jane_d.o-e'],
    ['uses the handle first', { handle: 'octocat', email: 'x@example.com' }, 'octocat'],
    ['then the address’s local part', { email: 'jane.doe+tag@example.com' }, 'jane.doetag'],
    ['a handle too short falls through to the address', { handle: 'ab' }, 'jane'],
    ['then the name', { email: null, handle: '✓✓✓', name: 'Zoë Ünal' }, 'Zoe.Unal'],
    ['then the provider id', { email: 'é@example.com', name: '李小龙' }, 'acme'],
    ['cut to leave room for a suffix', { handle: 'a'.repeat(100) }, 'a'.repeat(27)],
  ] as [string, Partial<ExternalProfile>, string][])('%s', (_, overrides, expected) => {
    expect(usernameBase(profile(overrides))).toBe(expected)
  })

  it('falls back to "<provider>-user" when nothing else is long enough', () => {
    expect(usernameBase(profile({ provider: 'gh', email: null, name: null, handle: null }))).toBe(
      'gh-user',
    )
  })
})

describe('usernameCandidate', () => {
  it('is the base first, then the base with a 4-digit suffix, within 32 characters', () => {
    const base = 'a'.repeat(27)
    expect(usernameCandidate(base, 0)).toBe(base)
    for (let attempt = 1; attempt < 6; attempt++) {
      const candidate = usernameCandidate(base, attempt)
      expect(candidate).toMatch(/^a{27}-\d{4}$/)
      expect(candidate.length).toBe(32)
    }
  })

  const text = fc.option(fc.string({ unit: 'grapheme', maxLength: 80 }), { nil: null })
  const providerId = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/)

  test.prop({
    handle: text,
    email: fc.option(fc.oneof(fc.emailAddress(), fc.string({ unit: 'grapheme' })), { nil: null }),
    name: text,
    provider: providerId,
    attempt: fc.integer({ min: 0, max: 5 }),
  })('always satisfies the username rule, whatever the provider said', (input) => {
    const base = usernameBase(profile({ ...input, emailVerified: false }))
    const candidate = usernameCandidate(base, input.attempt)
    expect(candidate).toMatch(USERNAME)
    expect(Username.safeParse(candidate).success).toBe(true)
  })
})
