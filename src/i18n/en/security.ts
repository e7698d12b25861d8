// English: security (the account page's passkeys and two-factor, the two-factor set-up and its
// recovery codes, and the words the pages' script says while it runs a passkey ceremony).
export const security = {
  passkeys: {
    title: 'Passkeys',
    intro: 'Sign in with your fingerprint, face or screen lock instead of a password.',
    none: 'You have no passkeys yet.',
    /** A passkey's line under its name; the dates are already written in this language. */
    detail: (synced: boolean, added: string, lastUsed: string | null) =>
      `${synced ? 'synced' : 'this device only'}, added ${added}${lastUsed ? `, last used ${lastUsed}` : ''}`,
    newName: 'New name',
    rename: 'Rename',
    remove: 'Remove',
    nameLabel: 'Name for this passkey',
    nameHint: 'Optional, such as "Work laptop"',
    add: 'Add a passkey',
    needsScript: 'Adding a passkey needs JavaScript and a browser that supports passkeys.',
    /** The add form posted without the script (it cannot run a ceremony). */
    postedWithoutScript: 'Adding a passkey needs JavaScript; turn it on and retry.',
  },
  totp: {
    title: 'Two-factor authentication',
    off: 'Off. Turn it on to ask for a code from an authenticator app after your password.',
    turnOn: 'Turn on two-factor',
    on: (left: number, total: number) => `On. ${left} of ${total} recovery codes left.`,
    turnOffHow: 'To turn it off, give your password or a current code.',
    passwordLabel: 'Password',
    codeLabel: 'Or a code from your app',
    turnOff: 'Turn off two-factor',
  },
  setup: {
    /** The set-up page's title (the same words as the button that leads to it). */
    title: 'Turn on two-factor',
    scan: 'Scan this code with your authenticator app, then enter the code it shows.',
    qrLabel: 'QR code of your two-factor secret',
    typeKey: 'Or type this key:',
    codeLabel: 'Code from the app',
    codeHint: 'Six digits',
    confirm: 'Turn on',
    cancel: 'Cancel',
  },
  recoveryCodes: {
    title: 'Recovery codes',
    on: 'Two-factor authentication is on.',
    keep: 'Keep these recovery codes somewhere safe. Each works once, instead of a code, if you lose your app. They are not shown again.',
    back: 'Back to your account',
  },
  /**
   * The pages' script (public/pages/passkeys.js) cannot import this catalog: the page hands it
   * these words as JSON in a data-passkey-messages attribute (passkeyMessages in
   * src/pages/security-views.ts). Plain strings only, as JSON carries no function; `{seconds}` is
   * put in by the script.
   */
  script: {
    waiting: 'Waiting for your passkey…',
    followPrompt: 'Follow your browser’s prompt…',
    cannotCreate: 'This browser cannot create passkeys.',
    usernameFirst:
      'Type a username above first: it must be 3 to 32 characters: letters, digits, _ . -.',
    wrongPassword: 'The password is incorrect.',
    usernameTaken: 'That username is taken; choose another.',
    usernameInvalid: 'The username must be 3 to 32 characters: letters, digits, _ . -.',
    checkFailed: 'The passkey could not be checked, or the request expired; please try again.',
    tooMany: 'Too many attempts; try again in {seconds} seconds.',
    exists: 'That passkey is added already.',
    cancelled: 'The passkey request was cancelled or timed out.',
    unsupported: 'This browser cannot use passkeys here.',
    unreachable: 'The service could not be reached; please try again.',
    failed: 'That did not work; please try again.',
  },
}
