// English: the API's problem details an end user may be shown (http/errors.ts). Each `details`
// entry is, word for word, the detail a service throws today: the renderer finds a detail's
// translation by its English text (test/http/errors.i18n.test.ts checks each is still thrown
// somewhere), so a reworded detail simply stays English until its entry follows. Codes never
// change; only `detail` and the fields' `message` are translated.
export const problems = {
  details: {
    invalidCredentials: 'The username or password is incorrect',
    passwordIncorrect: 'The password is incorrect',
    confirmWithPassword: 'Confirm with your password',
    noPasswordLeaveOut: 'Your account has no password: leave it out',
    usernameTaken: 'That username is already registered',
    tooManyLogins: 'Too many failed logins; retry later',
    tooManySignIns: 'Too many failed sign-ins; retry later',
    tooManyPasswordChecks: 'Too many failed password checks; retry later',
    tooManyCodes: 'Too many wrong codes; retry later',
    tooManyRequests: 'Too many requests; retry later',
    enoughEmail: 'This address has been sent enough email for now',
    invalidMfaCode: 'The code is wrong, expired or already used',
    invalidMfaToken:
      'The sign-in has expired, was completed, or had too many wrong codes; sign in again',
    invalidEmailCode: 'The code is wrong, expired, used, or out of tries; ask for a new one',
    invalidEmailToken: 'The link is invalid, used, replaced by a newer one or expired',
    emailTaken: 'That address is verified for another account',
    passwordChangedConcurrently:
      'The password was changed by another request meanwhile; this one changed nothing (a reset link it used is spent)',
    reauthenticate:
      'Your account has no password: sign in again to confirm it is you, then retry within 10 minutes',
    sessionEnded: 'This session has ended; sign in again',
    emailUnavailable: 'Email is not set up on this service yet',
    storageUnavailable: 'Storage is temporarily unavailable; retry shortly',
    bodyInvalid: 'The request body is invalid',
    queryInvalid: 'The request query is invalid',
    paramInvalid: 'The request param is invalid',
    bodyNotJson: 'The body must be application/json',
    jsonInvalid: 'The body is not valid JSON',
  },
  /** A field's `message` in a validation_failed problem's `errors`, likewise by its English text. */
  fields: {
    string: 'must be a string',
    notEmpty: 'must not be empty',
    username: 'must be 3 to 32 characters: letters, digits, _ . -',
    unicode: 'must be valid Unicode text',
    email: 'must be an email address such as alice@example.com',
    login: 'must be a username or an email address',
    sixDigits: 'must be 6 digits',
    emailCode: 'must be the 6 digits from the email',
    boolean: 'must be a boolean',
    tooLong: 'is too long',
    language: 'must be one of en, fr, es',
    /** The password rule, with its limits (auth/passwords.ts). */
    passwordLength: (min: number, max: number) => `must be ${min} to ${max} characters`,
  },
}
