// English: what every page shares (the frame, the notices a redirect names, refusals, field errors).
export const common = {
  languages: 'Languages',
  /** A field the form refused: `message` is the validator's own English rule ("must be ..."). */
  fieldError: (_field: string, message: string) => `This ${message}`,
  notices: {
    password: 'Your password is changed; your other sessions have ended.',
    signedout: 'You are signed out.',
    deleted: 'Your account is deleted.',
    passkey: 'Your passkey is added.',
    passkeyremoved: 'The passkey is removed.',
    passkeyrenamed: 'The passkey is renamed.',
    totpoff: 'Two-factor authentication is off.',
    reset: 'Your password is changed, and every session ended. Sign in.',
    connected: 'The account is connected: it now signs you in here.',
    disconnected: 'The account is disconnected.',
    language: 'Your language is saved: these pages and your emails use it.',
    appremoved:
      'The app is removed: it can no longer refresh its access, which ends within minutes.',
  },
  /**
   * What a refused form post says. A function of `detail` takes the service's own English
   * sentence, which names the case exactly; another language says it in general terms.
   */
  refusals: {
    mailUnavailable: 'This service cannot send email yet; try again later.',
    invalidCredentials: (detail: string) => detail,
    reauthenticationRequired: (detail: string) => detail,
    usernameTaken: 'That username is taken; choose another.',
    passwordChangedConcurrently: 'Your password was changed by another session; sign in again.',
    rateLimited: (seconds: number) =>
      `Too many attempts; try again in ${seconds} second${seconds === 1 ? '' : 's'}.`,
    invalidMfaCode: 'That code is wrong or was used already; try the next one.',
    invalidMfaToken: 'That sign-in took too long or had too many wrong codes; start again.',
    totpEnabled: (detail: string) => detail,
    totpNotEnrolled: (detail: string) => detail,
    lastSignInMethod: (detail: string) => detail,
    passkeyNotFound: 'You have no such passkey.',
  },
  unreadableForm: {
    title: 'The form could not be read',
    wrongType:
      'This page takes only the form it shows. Go back, reload the page and send it again.',
    damaged: 'The form arrived damaged. Go back, reload the page and send it again.',
    goToAccount: 'Go to your account',
    or: 'or',
    signIn: 'sign in',
  },
}
