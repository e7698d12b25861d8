import { describe, expect, it, vi } from 'vitest'
import {
  DUMMY_PASSWORD_HASH,
  PBKDF2_ITERATIONS,
  PBKDF2_MAX_ITERATIONS,
  hashPassword,
  needsRehash,
  verifyPassword,
} from '../../src/auth/passwords'

describe('passwords', () => {
  it('never asks for more PBKDF2 iterations than production Workers allow', () => {
    // Local workerd accepts more; production throws "iteration counts above 100000 are not supported".
    expect(PBKDF2_MAX_ITERATIONS).toBe(100_000)
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(100_000)
  })

  it('derives with exactly the configured iterations, salt and hash sizes', async () => {
    const deriveBits = vi.spyOn(crypto.subtle, 'deriveBits')
    try {
      await hashPassword('hunter2hunter2')
      const [params, , length] = deriveBits.mock.calls[0]!
      expect(params).toMatchObject({
        name: 'PBKDF2',
        hash: 'SHA-256',
        iterations: PBKDF2_ITERATIONS,
      })
      expect((params as { salt?: unknown }).salt).toHaveProperty('byteLength', 16)
      expect(length).toBe(256)
    } finally {
      deriveBits.mockRestore()
    }
  })

  it('stores a self-describing string with a fresh salt each time', async () => {
    const a = await hashPassword('same password')
    const b = await hashPassword('same password')
    expect(a).toMatch(/^pbkdf2-sha256\$100000\$[\w-]{22}\$[\w-]{43}$/)
    expect(a).not.toBe(b)
    expect(a).not.toContain('same password')
  })

  it('verifies the right password and rejects a wrong one', async () => {
    const stored = await hashPassword('correct horse')
    expect(await verifyPassword('correct horse', stored)).toBe(true)
    expect(await verifyPassword('correct horsE', stored)).toBe(false)
    expect(await verifyPassword('', stored)).toBe(false)
  })

  it('treats NFKC-equivalent spellings as one password', async () => {
    const stored = await hashPassword('ｐａｓｓｗｏｒｄ１２') // full-width
    expect(await verifyPassword('password12', stored)).toBe(true)
  })

  it('fails closed on a corrupt or foreign stored hash', async () => {
    const stored = await hashPassword('correct horse')
    for (const broken of [
      '',
      'plain',
      stored.replace('pbkdf2-sha256', 'md5'),
      stored.replace('$100000$', '$1000000$'), // above the platform cap
      stored.slice(0, -3),
      `${stored}$extra`,
    ]) {
      expect(await verifyPassword('correct horse', broken)).toBe(false)
    }
  })

  it('refuses to hash or verify an over-long password instead of truncating it', async () => {
    await expect(hashPassword('x'.repeat(129))).rejects.toThrow(RangeError)
    await expect(verifyPassword('x'.repeat(10_240), DUMMY_PASSWORD_HASH)).rejects.toThrow(
      RangeError,
    )
  })

  it('keeps the dummy hash on current parameters, so unknown users cost a full derivation', async () => {
    expect(needsRehash(DUMMY_PASSWORD_HASH)).toBe(false)
    const deriveBits = vi.spyOn(crypto.subtle, 'deriveBits')
    try {
      expect(await verifyPassword('anything at all', DUMMY_PASSWORD_HASH)).toBe(false)
      expect(deriveBits.mock.calls[0]![0]).toMatchObject({ iterations: PBKDF2_ITERATIONS })
    } finally {
      deriveBits.mockRestore()
    }
  })

  it('flags hashes made with other parameters for re-hashing', async () => {
    expect(needsRehash(await hashPassword('correct horse'))).toBe(false)
    expect(needsRehash(DUMMY_PASSWORD_HASH.replace('$100000$', '$50000$'))).toBe(true)
    expect(needsRehash('garbage')).toBe(true)
  })
})
