// English: signing in with another provider (its buttons, the pages its callback shows) and the
// account page's section that connects and disconnects providers.
export const identities = {
  /** The "Continue with …" links under a sign-in form. */
  buttons: {
    intro: 'Or continue with another account:',
    continueWith: (provider: string) => `Continue with ${provider}`,
  },
  /** The account page's section. */
  section: {
    title: 'Sign-in with other accounts',
    none: 'No other account signs in to this one.',
    connectedOn: (date: string) => `connected ${date}`,
    disconnect: 'Disconnect',
    connect: (provider: string) => `Connect ${provider}`,
  },
  /** The titles of the pages a provider's callback shows. */
  signInTitle: 'Sign in',
  mfaTitle: 'Two-factor sign-in',
  /**
   * Why a provider sign-in, connect or disconnect was refused: one text per reason the service
   * gives (the English equal to the service's `detail`).
   */
  refused: {
    /** provider_not_found */
    noSuchProvider: 'There is no such way to sign in.',
    /** federated_sign_in_failed: this browser's state is missing, expired, used or another's. */
    stateRefused:
      'This sign-in cannot be finished in this browser (it expired, was finished already, or was started elsewhere); start it again',
    /** federated_sign_in_failed: the person said no at the provider. */
    cancelled: (provider: string) => `Signing in with ${provider} was cancelled`,
    /** federated_sign_in_failed: the provider's answer did not verify. */
    notConfirmed: (provider: string) =>
      `${provider} did not confirm who you are; start the sign-in again`,
    /** federated_sign_in_failed: connecting, but signed in as someone else now. */
    notTheSameAccount:
      'You are no longer signed in as the account that asked to connect; sign in and try again',
    /** federated_sign_in_failed, for a reason this page does not know. */
    failed: 'The sign-in did not complete; start it again',
    /** provider_unavailable: the provider's settings are broken. */
    misconfigured: 'Signing in with this provider is not set up correctly',
    /** provider_unavailable: the provider did not answer. */
    unreachable: (provider: string) => `${provider} cannot be reached right now; try again later`,
    /** identity_taken */
    identityTaken: (provider: string) =>
      `That ${provider} account already signs in to another account here`,
    /** identity_not_found */
    identityNotFound: 'Your account has no identity at that provider',
    /** provider_already_linked */
    alreadyLinked: (provider: string) =>
      `Your account already has a ${provider} account connected; disconnect it first`,
    /** invalid_token: the session that asked ended meanwhile. */
    sessionEnded: 'This session has ended; sign in again',
  },
}
