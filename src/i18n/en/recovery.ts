// English: the pages behind the emails (confirming an address, a forgotten password, the reset
// link), sign-in with a mailed code, and the account page's email section.
export const recovery = {
  /** /verify-email: the button that spends a confirmation link. */
  verify: {
    title: 'Confirm your email address',
    intro: 'Press the button to use this address for your account.',
    submit: 'Confirm this address',
    confirmed: (email: string) => `${email} is confirmed for your account.`,
    toAccount: 'Go to your account',
    taken: 'That address is already confirmed for another account.',
    deadLink:
      'This link is used, expired, or replaced by a newer one. Ask for a new one from your account.',
  },
  /** /forgot-password: asks for a reset link. */
  forgot: {
    title: 'Forgot your password?',
    intro:
      'Enter your username or your verified email address. If the account has one, we send it a link.',
    loginLabel: 'Username or email address',
    loginMissing: 'Enter your username or email address',
    submit: 'Send me a link',
    backToSignIn: 'Back to sign in',
    sentTitle: 'Check your email',
    /** The same answer whether or not the account exists (the API's FORGOT_ANSWER). */
    sent: 'If that account has a verified email address, a link to reset its password is on its way.',
  },
  /** /reset-password: the new password, and the ways in to remove with it. */
  reset: {
    title: 'Choose a new password',
    newPasswordLabel: 'New password',
    newPasswordHint: '8 to 128 characters',
    noWaysIn:
      'Your account has no passkeys, no other providers, and two-factor authentication is off.',
    waysInLegend: 'These also sign in to your account. Remove any you do not recognise.',
    removePasskey: (name: string, added: string) => `Remove the passkey “${name}”, added ${added}`,
    disableTotp: "Turn two-factor authentication off (your authenticator app's codes stop working)",
    codeLabel: 'To turn it off: a code from your app, or a recovery code',
    codeHint: 'The email alone cannot turn two-factor off',
    totpOff: 'Two-factor authentication is off.',
    /** Before the providers' names, each in <strong>. */
    identitiesBefore: 'Signing in with',
    /** Between two of the providers' names. */
    identitiesSeparator: ', ',
    /** After the providers' names. */
    identitiesAfter:
      'also works: if one is not yours, disconnect it on your account page once you are signed in.',
    submit: 'Set the new password',
    signsOutEverywhere: 'Every device signed in to the account will be signed out.',
    deadLink: 'This link is used, expired, or replaced by a newer one.',
    askNewLink: 'Ask for a new link',
    wrongCode: 'That code is wrong or was used already; try the next one',
    changedConcurrently:
      'The password was changed by someone else while you reset it, so nothing was changed and this link is spent. If that was not you, ask for a new link.',
  },
  /** /email-code: sign-in with a code mailed to the account's address. */
  emailCode: {
    title: 'Sign in with an email code',
    emailLabel: 'Email address',
    emailHint: "Your account's verified address; we email it a 6-digit code",
    emailInvalid: 'Enter an email address such as alice@example.com',
    request: 'Email me a code',
    backToSignIn: 'Back to sign in',
    /** The same answer whether or not an account has the address (the API's EMAIL_CODE_ANSWER). */
    sent: 'If an account uses that address, a sign-in code is on its way. It works for 10 minutes.',
    codeLabel: (email: string) => `Code sent to ${email}`,
    codeHint: 'Six digits, for 10 minutes',
    codeMissing: 'Enter the 6 digits from the email',
    /** invalid_email_code. */
    codeRefused: 'The code is wrong, expired, used, or out of tries; ask for a new one',
    signIn: 'Sign in',
    sendAnother: 'Send another code',
    mfaTitle: 'Two-factor sign-in',
  },
  /** The account page's email section. */
  account: {
    title: 'Email address',
    noMail: 'This service does not send email yet, so an address cannot be confirmed.',
    /** Before the address, in <strong>. */
    currentBefore: 'Your address is',
    /** After the address. */
    currentAfter: '. Password reset links go to it.',
    none: 'You have no verified address. With one, you can reset a forgotten password.',
    emailLabel: 'Email address',
    newEmailLabel: 'New email address',
    emailHint: 'We send a link to it; it becomes your address once the link is opened',
    submit: 'Send the link',
    sent: (email: string) =>
      `We sent a link to ${email}. Open it to use this address; until then nothing changes. Wrong address? Send another: the new link replaces this one.`,
  },
}
