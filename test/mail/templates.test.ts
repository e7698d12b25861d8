import { describe, expect, it } from 'vitest'
import { verificationEmail } from '../../src/mail/templates'

describe('email templates', () => {
  it('say who sent them and when the link stops, in text and escaped HTML', () => {
    const mail = verificationEmail({
      service: 'auth.example<script>',
      to: 'alice@example.com',
      url: 'https://auth.example/verify-email?token=abc&x="y"',
      hours: 24,
    })
    expect(mail.subject).toBe('Confirm your email address for auth.example<script>')
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
})
