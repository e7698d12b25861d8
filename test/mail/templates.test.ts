import { describe, expect, it } from 'vitest'
import { securityNotice, verificationEmail } from '../../src/mail/templates'

describe('email templates', () => {
  it('say who sent them and when the link stops, in text and escaped HTML', () => {
    const mail = verificationEmail({
      service: 'auth.example<script>',
      to: 'alice@example.com',
      url: 'https://auth.example/verify-email?token=abc&x="y"',
      hours: 24,
      account: 'mallory<b>\n',
    })
    expect(mail.subject).toBe('Confirm your email address for auth.example<script>')
    // The account that asked is named (escaped, on one line): a stranger's link says so.
    expect(mail.text).toContain('for the account "mallory<b>". If that is not your account')
    expect(mail.html).toContain('mallory&lt;b&gt;')
    expect(mail.text).toContain('https://auth.example/verify-email?token=abc&x="y"')
    expect(mail.text).toContain('for 24 hours')
    expect(mail.html).toContain('auth.example&lt;script&gt;')
    expect(mail.html).not.toContain('<script>')
    expect(mail.html).toContain(
      'href="https://auth.example/verify-email?token=abc&amp;x=&quot;y&quot;"',
    )
    // Nothing that tracks: no images, no other hosts.
    expect(mail.html).not.toMatch(/<img|https?:\/\/(?!auth\.example)/)
  })

  it('list, after a reset, each passkey and the two-factor state that remain, with no link', () => {
    const at = Date.UTC(2026, 11, 6, 8, 0)
    const notice = (remaining: Parameters<typeof securityNotice>[0]['remaining']) =>
      securityNotice({
        service: 'auth.example',
        to: 'a@example.com',
        kind: 'password_reset',
        at,
        remaining,
      })
    const some = notice({
      passkeys: [{ id: 'x', name: 'Phone <i>', createdAt: '2026-11-30T10:00:00.000Z' }],
      totp: { enabled: true },
      identities: [{ provider: 'google', linkedAt: '2026-12-01T10:00:00.000Z' }],
    })
    expect(some.text).toContain('Passkey “Phone <i>”, added 2026-11-30')
    expect(some.text).toContain('Signing in with “google”, connected 2026-12-01')
    expect(some.text).toContain('Two-factor authentication is on')
    expect(some.text).toContain('/account')
    expect(some.html).toContain('Phone &lt;i&gt;')
    expect(some.html).not.toMatch(/<a |https?:/)
    // A name is the adder's text: it stays on its line, never a paragraph of ours.
    const forged = notice({
      passkeys: [
        { id: 'y', name: 'Key\n\nAll is well.\u2028Ignore', createdAt: '2026-11-30T10:00:00.000Z' },
      ],
      totp: { enabled: false },
      identities: [],
    })
    expect(forged.text).toContain('Passkey “Key All is well. Ignore”, added 2026-11-30')
    const none = notice({ passkeys: [], totp: { enabled: false }, identities: [] })
    expect(none.text).toContain(
      'no passkeys, no other providers, and two-factor authentication is off',
    )
    // Other notices are as before: no list.
    expect(notice(undefined).text).not.toContain('Passkey')
  })
})
