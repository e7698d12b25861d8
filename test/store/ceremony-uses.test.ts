// Single use decided by D1: each check is one conditional write, so two requests that both got
// past every earlier check (the worst interleaving) still cannot both succeed.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { ceremonyUses } from '../../src/store/ceremony-uses'

const uses = ceremonyUses(env.DB)
const nonce = () => crypto.randomUUID()
const LATER = Date.now() + 60_000

describe('ceremony uses (D1)', () => {
  it('lets a one-shot token be used once, even by two requests at once', async () => {
    const id = nonce()
    expect(await uses.useOnce(id, LATER, Date.now())).toBe(true)
    expect(await uses.useOnce(id, LATER, Date.now())).toBe(false)
    const racing = nonce()
    const both = await Promise.all([
      uses.useOnce(racing, LATER, Date.now()),
      uses.useOnce(racing, LATER, Date.now()),
    ])
    expect(both.sort()).toEqual([false, true])
  })

  it('counts attempts up to the limit, and none after the token is finished', async () => {
    const id = nonce()
    for (let i = 0; i < 5; i++) expect(await uses.attempt(id, LATER, 5, Date.now())).toBe(true)
    expect(await uses.attempt(id, LATER, 5, Date.now())).toBe(false)
    const done = nonce()
    expect(await uses.attempt(done, LATER, 5, Date.now())).toBe(true)
    // Two right answers both counted an attempt; only one finishes.
    expect(await uses.attempt(done, LATER, 5, Date.now())).toBe(true)
    expect(await uses.finish(done)).toBe(true)
    expect(await uses.finish(done)).toBe(false)
    expect(await uses.attempt(done, LATER, 5, Date.now())).toBe(false)
  })

  it('sweeps rows expired for more than five minutes as new ones arrive, and no sooner', async () => {
    const at = Date.now()
    const [old, recent] = [nonce(), nonce()]
    await uses.useOnce(old, at - 6 * 60_000, at - 10 * 60_000)
    await uses.useOnce(recent, at - 60_000, at - 10 * 60_000)
    await uses.useOnce(nonce(), LATER, at)
    const has = async (id: string) =>
      (await env.DB.prepare('SELECT 1 FROM ceremony_uses WHERE id = ?').bind(id).first()) !== null
    expect(await has(old)).toBe(false)
    // Expired a minute ago here, maybe not yet on a machine whose clock is behind: kept.
    expect(await has(recent)).toBe(true)
    expect(await uses.useOnce(recent, at - 60_000, at)).toBe(false)
  })
})
