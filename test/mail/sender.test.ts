// MAIL_FROM_NAME and MAIL_REPLY_TO: what the binding is given, and every value that could smuggle
// a header (CR/LF), end the quoted name, add an address, or disguise the sender, refused by name.
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/env'
import { MailSetupError, bindingMailer } from '../../src/mail/mailer'
import { MAX_SENDER_NAME, mailSender } from '../../src/mail/sender'

const FROM = 'accounts@auth.example'

/** The ConfigError `run` throws, or a failure if it does not throw one. */
function configError(run: () => unknown): ConfigError {
  try {
    run()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('mailSender', () => {
  it('is the bare address when neither is set, or both are blank', () => {
    expect(mailSender({}, FROM)).toEqual({ from: FROM })
    expect(mailSender({ MAIL_FROM_NAME: '  ', MAIL_REPLY_TO: '' }, FROM)).toEqual({ from: FROM })
  })

  it('names the sender and sets the reply-to in the binding form', () => {
    expect(
      mailSender({ MAIL_FROM_NAME: ' Acme Accounts ', MAIL_REPLY_TO: 'Help@Acme.EXAMPLE' }, FROM),
    ).toEqual({ from: { name: 'Acme Accounts', email: FROM }, replyTo: 'Help@acme.example' })
    expect(mailSender({ MAIL_FROM_NAME: 'Café Zürich — Konto' }, FROM).from).toEqual({
      name: 'Café Zürich — Konto',
      email: FROM,
    })
  })

  it.each([
    ['a CR/LF header injection', 'Acme\r\nBcc: victim@example.com'],
    ['a bare LF', 'Acme\nX-Evil: 1'],
    ['a quote ending the name', 'Acme" <evil@example.com>'],
    ['angle brackets adding an address', 'Acme <evil@example.com>'],
    ['a backslash escape', 'Acme\\'],
    ['a NUL', 'Acme\u0000'],
    ['a right-to-left override disguising the name', 'Acme \u202egnp.exe'],
    ['a line separator', 'Acme\u2028Bcc: x'],
  ])('refuses %s in MAIL_FROM_NAME', (_what, name) => {
    const err = configError(() => mailSender({ MAIL_FROM_NAME: name }, FROM))
    expect(err.variable).toBe('MAIL_FROM_NAME')
    // The reason never repeats the value.
    expect(err.message).not.toContain('evil')
  })

  it(`refuses a MAIL_FROM_NAME over ${MAX_SENDER_NAME} characters, and takes one of exactly that`, () => {
    expect(mailSender({ MAIL_FROM_NAME: 'é'.repeat(MAX_SENDER_NAME) }, FROM).from).toEqual({
      name: 'é'.repeat(MAX_SENDER_NAME),
      email: FROM,
    })
    const err = configError(() =>
      mailSender({ MAIL_FROM_NAME: 'x'.repeat(MAX_SENDER_NAME + 1) }, FROM),
    )
    expect(err.variable).toBe('MAIL_FROM_NAME')
  })

  it.each([
    ['two addresses', 'a@reply.example, b@reply.example'],
    ['a header injection', 'help@reply.example\r\nBcc: victim@reply.example'],
    ['a display form', 'Help <help@reply.example>'],
    ['no domain', 'help@'],
    ['a one-label domain', 'help@localhost'],
    ['a space', 'he lp@reply.example'],
  ])('refuses %s as MAIL_REPLY_TO', (_what, address) => {
    const err = configError(() => mailSender({ MAIL_REPLY_TO: address }, FROM))
    expect(err.variable).toBe('MAIL_REPLY_TO')
    expect(err.message).not.toContain('reply.example')
  })
})

describe('bindingMailer', () => {
  const capture = () => {
    const sent: unknown[] = []
    return { sent, binding: { send: async (m: unknown) => void sent.push(m) } }
  }

  it('gives the binding the name and reply-to, which no message can override', async () => {
    const { sent, binding } = capture()
    const mailer = bindingMailer(binding, {
      MAIL_FROM: FROM,
      MAIL_FROM_NAME: 'Acme',
      MAIL_REPLY_TO: 'help@acme.example',
    })
    const mail = { to: 'bob@example.org', subject: 's', text: 't', html: 'h' }
    await mailer.send({ ...mail, from: 'evil@example.com' } as typeof mail)
    expect(sent).toEqual([
      { from: { name: 'Acme', email: FROM }, replyTo: 'help@acme.example', ...mail },
    ])
  })

  it('fails as MailSetupError naming the invalid setting (the email routes answer 503)', () => {
    const { binding } = capture()
    const setting = (env: Record<string, string>) => {
      try {
        bindingMailer(binding, { MAIL_FROM: FROM, ...env })
      } catch (err) {
        expect(err).toBeInstanceOf(MailSetupError)
        return (err as MailSetupError).setting
      }
      return null
    }
    expect(setting({ MAIL_FROM_NAME: 'a\r\nb' })).toBe('MAIL_FROM_NAME')
    expect(setting({ MAIL_REPLY_TO: 'a@b.example, c@d.example' })).toBe('MAIL_REPLY_TO')
    expect(setting({ MAIL_FROM: '' })).toBe('MAIL_FROM')
    expect(setting({})).toBeNull()
  })
})
