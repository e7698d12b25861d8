import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { totpStore } from '../../src/store/totp'
import { registerUser } from '../helpers'

const totp = totpStore(env.DB)

async function enabledUser(codes = ['h1', 'h2']) {
  const { user } = await registerUser()
  expect(await totp.putPending(user.id, 'sealed-1', 1)).toBe('pending')
  expect(await totp.enable(user.id, 'sealed-1', 100, 2, codes)).toBe(true)
  return user.id
}

describe('totp store (D1)', () => {
  it('enables only the pending enrolment it was read as, once', async () => {
    const { user } = await registerUser()
    await totp.putPending(user.id, 'old', 1)
    await totp.putPending(user.id, 'new', 2)
    expect(await totp.enable(user.id, 'old', 5, 3, ['x'])).toBe(false)
    expect(await totp.recoveryCodesLeft(user.id)).toBe(0)
    expect(await totp.enable(user.id, 'new', 5, 3, ['a', 'b'])).toBe(true)
    expect(await totp.enable(user.id, 'new', 6, 4, ['c'])).toBe(false)
    expect(await totp.recoveryCodesLeft(user.id)).toBe(2)
    // An enabled one is never replaced by a new pending one.
    expect(await totp.putPending(user.id, 'newer', 5)).toBe('enabled')
    expect((await totp.get(user.id))?.secret).toBe('new')
  })

  it('accepts each step once and never an older one', async () => {
    const id = await enabledUser()
    expect(await totp.acceptStep(id, 100)).toBe(false) // the confirming code's step
    expect(await totp.acceptStep(id, 101)).toBe(true)
    expect(await totp.acceptStep(id, 101)).toBe(false)
    expect(await totp.acceptStep(id, 100)).toBe(false)
    const racing = await Promise.all([totp.acceptStep(id, 102), totp.acceptStep(id, 102)])
    expect(racing.sort()).toEqual([false, true])
  })

  it('spends each recovery code once, and only its own user’s', async () => {
    const id = await enabledUser(['h1', 'h2'])
    const other = await enabledUser(['h3'])
    expect(await totp.spendRecoveryCode(id, 'h3', 5)).toBe(false)
    expect(await totp.spendRecoveryCode(id, 'h1', 5)).toBe(true)
    expect(await totp.spendRecoveryCode(id, 'h1', 6)).toBe(false)
    expect(await totp.recoveryCodesLeft(id)).toBe(1)
    expect(await totp.recoveryCodesLeft(other)).toBe(1)
  })

  it('removes the authenticator with its codes', async () => {
    const id = await enabledUser()
    await totp.remove(id)
    expect(await totp.get(id)).toBeNull()
    expect(await totp.recoveryCodesLeft(id)).toBe(0)
    expect(await totp.acceptStep(id, 500)).toBe(false)
  })
})
