// English: apps (the authorization endpoint's consent page and its refusals, the account page's
// list of allowed apps, and the pages of RP-initiated sign-out). An app's name, a resource's own
// name and its scopes are the app's and the resource's words: shown as given, never translated.
// Where a sentence holds markup (a name in <strong>, an id in <code>), it is split there: the
// view keeps the markup between the pieces.
export const apps = {
  unnamed: 'An unnamed app',
  consent: {
    title: 'Allow access?',
    /** "<app> wants to sign you in as <user>." */
    wantsSignIn: 'wants to sign you in as',
    /** "<app> wants to use <resource> as <user>." */
    wantsToUse: 'wants to use',
    as: 'as',
    /** "The app chose its own name; … Its id is <id>." */
    unchecked: 'The app chose its own name; this service has not checked it. Its id is',
    /** "This app is identified by a document at <host> (<id>): its name … Allow only if you trust <host>." */
    documentAt: 'This app is identified by a document at',
    documentSays: 'its name and where it sends you come from there.',
    trustHost: 'Allow only if you trust',
    asks: 'It asks to:',
    /** "On <resource>." */
    onResource: 'On',
    /** "It sends you back to a program on <this computer> (<address>)." */
    loopback: 'It sends you back to a program on',
    thisComputer: 'this computer',
    /** "It sends you back to an app on this device that opens <scheme> links." */
    nativeBefore: 'It sends you back to an app on this device that opens',
    /** Its own leading space where the language puts a word after the scheme. */
    nativeAfter: ' links.',
    trustStarted: 'Allow only if you just started this sign-in from an app you trust.',
    /** "Afterwards you go back to <host>." */
    afterwards: 'Afterwards you go back to',
    allow: 'Allow',
    deny: 'Deny',
    removeLater: "You can remove this app's access later from your account.",
  },
  /** What the OpenID scopes let an app learn or do (a resource's own scopes are shown as named). */
  scopes: {
    openid: 'Know that you are this account (its id, not your password)',
    profile: 'See your username',
    email: 'See your email address, if you have verified one',
    offline_access: 'Stay connected while you are away, until you remove it',
  },
  refused: {
    title: 'This sign-in cannot continue',
    /** "Go back to the app and try again, or <go to your account>." */
    goBack: 'Go back to the app and try again, or',
    accountLink: 'go to your account',
    unavailable: 'This service is not set up to let other apps sign you in yet.',
    unreadable: 'The request could not be read.',
    tooLong: 'The app sent a request too long to carry through sign-in.',
    gone: 'The app or what it asks for is no longer available here.',
    expiredSignIn: 'This sign-in took too long or was started in another browser.',
    notYours: 'This request has expired or was shown to someone else. Start again from the app.',
    unregistered: 'The app is no longer registered with this service.',
    choose: 'Choose Allow or Deny.',
    answered: 'This request was already answered. Start again from the app.',
  },
  /** Why the authorization request is refused (services/oauth-server/authorize.ts). */
  refusedBecause: {
    repeated: (name: string) => `The request names ${name} twice.`,
    noClient: 'The request does not name its app (client_id).',
    unknownClient: 'The app that sent you here is not registered with this service, or has lapsed.',
    unregisteredRedirect: 'The app asked to send you to an address it has not registered.',
    noRedirect: 'The request does not say where to send you back (redirect_uri).',
  },
  /** Why the sign-out request is refused (services/oauth-server/end-session.ts). */
  signOutRefusedBecause: {
    repeated: (name: string) => `The sign-out request names ${name} twice.`,
    badHint: 'The app sent a sign-out request that could not be checked.',
    twoApps: 'The sign-out request names two different apps.',
    tooLong: 'The sign-out request is too long.',
    unknownClient: 'The app that sent you here is not registered with this service.',
    unregisteredRedirect: 'The app asked to send you to an address it has not registered.',
  },
  invalid: {
    title: 'This request cannot be completed',
    /** "The app sent a request this service cannot complete: <why> (<error>)." */
    cannotComplete: 'The app sent a request this service cannot complete:',
    returnTo: (host: string) => `Return to ${host}`,
  },
  returning: {
    title: 'Signed in',
    /** "Returning you to <host>…" */
    returningTo: 'Returning you to',
    continueTo: (host: string) => `Continue to ${host}`,
  },
  connected: {
    title: 'Apps you allowed',
    /** "<app> on <resource>" */
    on: 'on',
    /** The scopes (the resource's own names, comma-separated) and when the app last used them. */
    lastUsed: (scopes: string, when: string) => `${scopes}; last used ${when}`,
    remove: 'Remove',
  },
  signOut: {
    title: 'Sign out?',
    refusedTitle: 'Sign-out cannot continue',
    anApp: 'An app asks to sign you out of this service.',
    /** "The app <name> (its own name, unchecked) asks to sign you out of this service." */
    namedApp: 'The app',
    namedAsks: '(its own name, unchecked) asks to sign you out of this service.',
    /** "You are signed in as <user>." */
    signedInAs: 'You are signed in as',
    signOut: 'Sign out',
    stay: 'Stay signed in',
    /** "Either way you go back to <host>." */
    eitherWay: 'Either way you go back to',
    unreadable: 'The sign-out request could not be read.',
    choose: 'Choose Sign out or Stay signed in.',
  },
  signedOut: {
    title: 'Signed out',
    done: 'You are signed out of this service.',
    signInAgain: 'Sign in again',
    returnTo: (host: string) => `Return to ${host}`,
  },
}
