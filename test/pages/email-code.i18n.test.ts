// Sign-in with a mailed code in French and Spanish: the address form, the code form and every
// refusal in the asked language, the same page for any address; English stays as it was.
import { describe, expect, it } from 'vitest'
import { EMAIL_CODE_ANSWER } from '../../src/services/email-codes'
import { en } from '../../src/i18n/en'
import { es } from '../../src/i18n/es'
import { fr } from '../../src/i18n/fr'
import { mailbox, withVerifiedEmail } from '../doubles/mailbox'
import { ORIGIN } from '../helpers'
import { englishLeft } from './untranslated'

const box = mailbox()
const post = (path: string, fields: Record<string, string>, headers = {}) =>
  box.call(path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, ...headers },
    body: new URLSearchParams(fields).toString(),
  })
const codeIn = (to: string) =>
  /([0-9]{6})/.exec(box.sent.filter((m) => m.to === to).at(-1)!.text)![1]!
const emailCode = (m: typeof en) => m.recovery.emailCode
const apostrophes = (text: string) => text.replaceAll("'", '&#39;')

describe('/email-code in another language', () => {
  it('asks for the address in French', async () => {
    const res = await box.call('/email-code?lang=fr&return_to=/account')
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain(`<title>${fr.recovery.emailCode.title}`)
    expect(html).toContain(apostrophes(fr.recovery.emailCode.emailHint))
    expect(html).toContain(`>${fr.recovery.emailCode.request}</button>`)
    expect(englishLeft(html, 'fr', emailCode)).toEqual([])
  })

  it('refuses a malformed address in Spanish, sending nothing', async () => {
    const before = box.sent.length
    const res = await post('/email-code', { email: 'not an address' }, { Cookie: '__Host-lang=es' })
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain('<html lang="es">')
    expect(html).toContain(`id="email-error">${es.recovery.emailCode.emailInvalid}`)
    expect(englishLeft(html, 'es', emailCode)).toEqual([])
    expect(box.sent.length).toBe(before)
  })

  it('answers the same Spanish page for an address with an account and one without', async () => {
    const owner = await withVerifiedEmail(box, 'i18ncode')
    const ghost = `ghost-${crypto.randomUUID().slice(0, 8)}@example.org`
    const pages: string[] = []
    for (const email of [owner.email, ghost]) {
      const res = await post('/email-code', { email }, { 'Accept-Language': 'es' })
      expect(res.status).toBe(200)
      pages.push((await res.text()).replaceAll(email, 'ADDRESS'))
    }
    expect(pages[0]).toContain(es.recovery.emailCode.sent)
    expect(pages[0]).toContain(es.recovery.emailCode.codeLabel('ADDRESS'))
    expect(englishLeft(pages[0]!, 'es', emailCode)).toEqual([])
    expect(pages[1]).toBe(pages[0])
    expect(box.sent.filter((m) => m.to === ghost)).toEqual([])
  })

  it('says a wrong code beside its field in French, and sets no cookie', async () => {
    const owner = await withVerifiedEmail(box, 'i18ncode')
    await post('/email-code', { email: owner.email })
    const code = codeIn(owner.email)
    const res = await post(
      '/email-code/verify',
      { email: owner.email, code: code === '000000' ? '000001' : '000000' },
      { 'Accept-Language': 'fr-CA, en;q=0.8' },
    )
    expect(res.status).toBe(401)
    const html = await res.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain(`id="code-error">${fr.recovery.emailCode.codeRefused}`)
    expect(englishLeft(html, 'fr', emailCode)).toEqual([])
    expect(res.headers.getSetCookie().filter((c) => !c.startsWith('__Host-lang='))).toEqual([])
  })

  it('asks for six digits in Spanish before spending a try', async () => {
    const res = await post('/email-code/verify?lang=es', {
      email: 'someone@example.org',
      code: '12',
    })
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain(`id="code-error">${es.recovery.emailCode.codeMissing}`)
    expect(englishLeft(html, 'es', emailCode)).toEqual([])
  })

  it("keeps the English answer the API's own, and the refusal the service's detail", () => {
    expect(en.recovery.emailCode.sent).toBe(EMAIL_CODE_ANSWER.message)
    expect(en.recovery.emailCode.codeRefused).toBe(
      'The code is wrong, expired, used, or out of tries; ask for a new one',
    )
  })
})
