// English: the emails (mail/templates.ts). Plain text only: the templates add the markup and
// escape every value; a function's values are the service's name, the account's name, a
// passkey's name, a provider's, a code or a time, each already on one line.

/** How long a link works: whole hours, else minutes. */
const duration = (minutes: number) => {
  if (minutes >= 60) {
    const hours = Math.round(minutes / 60)
    return `${hours} hour${hours === 1 ? '' : 's'}`
  }
  return `${minutes} minute${minutes === 1 ? '' : 's'}`
}

export const mail = {
  verification: {
    subject: (service: string) => `Confirm your email address for ${service}`,
    why: (service: string, account: string) =>
      `Someone (we hope you) asked ${service} to use this address for the account "${account}". If that is not your account, do not open the link.`,
    how: (minutes: number) =>
      `To confirm it, open the link below. It works once, for ${duration(minutes)}.`,
    ifNot: 'If this was not you, ignore this message: nothing changes without the link.',
    button: 'Confirm this address',
  },
  reset: {
    subject: (service: string) => `Reset your ${service} password`,
    why: (service: string) =>
      `Someone (we hope you) asked to reset the password of your ${service} account.`,
    how: (minutes: number) =>
      `To choose a new one, open the link below. It works once, for ${duration(minutes)}, until a newer link is mailed or the password changes. We mail at most one link every five minutes: if you asked again within five minutes of this message, use this one. Resetting signs you out everywhere.`,
    ifNot: 'If this was not you, ignore this message: your password stays as it is.',
    button: 'Choose a new password',
  },
  notice: {
    subject: (service: string) => `Security notice from ${service}`,
    /** What happened, then when: "… (6 Dec 2026, 17:06 UTC)". */
    happened: (what: string, when: string) => `${what} (${when})`,
    kinds: {
      password_changed: 'The password of your account was changed, and your other sessions ended.',
      password_reset: 'The password of your account was reset by email, and every session ended.',
      passkey_added: 'A passkey was added to your account.',
      passkey_removed: 'A passkey was removed from your account.',
      totp_enabled: 'Two-factor authentication was turned on for your account.',
      totp_disabled: 'Two-factor authentication was turned off for your account.',
      email_changed:
        'Your account now uses another email address; this one no longer receives its mail.',
      session_ended_for_reuse:
        'A sign-in of your account was ended because its refresh token was used twice: one copy may be in other hands. Sign in again, and if you did not expect this, change your password.',
      identity_linked:
        'Signing in with another provider was connected to your account: it now signs in to this account.',
      identity_removed:
        'Signing in with another provider was disconnected from your account: it no longer signs in to this account.',
    },
    provider: (name: string) => `Provider: ${name}`,
    remaining: {
      none: 'Nothing else signs in to your account: no passkeys, no other providers, and two-factor authentication is off.',
      some: 'These still sign in to your account. If one is not yours, sign in and remove it on your account page (/account):',
      passkey: (name: string, date: string) => `Passkey “${name}”, added ${date}`,
      identity: (provider: string, date: string) =>
        `Signing in with “${provider}”, connected ${date}`,
      totpOn: (service: string) =>
        `Two-factor authentication is on: an authenticator app holding ${service}’s code still works with your password.`,
      totpOff: 'Two-factor authentication is off.',
    },
    closing:
      'If this was you, there is nothing to do. If it was not, sign in and secure your account: change your password and review your sessions, passkeys and two-factor.',
  },
  signInCode: {
    subject: (service: string) => `Your sign-in code for ${service}`,
    asked: (service: string) =>
      `Someone asked to sign in to your ${service} account with a code sent to this address.`,
    code: (code: string, minutes: number) =>
      `Your code is ${code}. It works once, for ${duration(minutes)}.`,
    ifNot:
      'If you did not ask for it, ignore this email: without the code nobody can use it. Never give it to anyone.',
  },
}
