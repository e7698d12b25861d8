// English: the account page's own parts (sessions, password, deletion).
export const account = {
  title: 'Your account',
  signedInAs: 'Signed in as',
  sessionsTitle: 'Where you are signed in',
  thisDevice: 'this device',
  /** How a session's device and place are named (src/services/device.ts). */
  device: {
    unknownDevice: 'Unknown device',
    /** A browser on an operating system: "Chrome on macOS". */
    browserOn: (browser: string, os: string) => `${browser} on ${os}`,
    /** A browser the parser does not know, on a known system. */
    webBrowser: 'Web browser',
    inAppBrowser: 'In-app browser',
    /** "Lisbon, Portugal". */
    cityInCountry: (city: string, country: string) => `${city}, ${country}`,
    /** Cloudflare's country code for requests through Tor. */
    tor: 'Tor network',
  },
  lastUsed: (lastUsed: string, signedIn: string) => `last used ${lastUsed}, signed in ${signedIn}`,
  signOutHere: 'Sign out here',
  end: 'End',
  signOutEverywhere: 'Sign out everywhere',
  languageTitle: 'Language',
  languageIntro: 'These pages and the emails we send you use it.',
  languageLabel: 'Language',
  languageSave: 'Save',
  changePasswordTitle: 'Change password',
  setPasswordTitle: 'Set a password',
  alsoPassword: 'Then you can also sign in with your username and a password.',
  otherSessionsEnd: 'Every other session ends; this one stays signed in.',
  currentPassword: 'Current password',
  newPassword: 'New password',
  changePasswordButton: 'Change password',
  setPasswordButton: 'Set password',
  deleteTitle: 'Delete account',
  deleteWarning: 'The account and every session end; this cannot be undone.',
  deleteButton: 'Delete my account',
  confirmPassword: 'Password, to confirm',
  noPasswordNote: 'Your account has no password: this works within 10 minutes of signing in.',
}
