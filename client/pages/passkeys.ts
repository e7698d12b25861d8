// The hosted pages' one script: passkey sign-in on /signin and adding a passkey on /account,
// through the SDK in cookie mode. Each control stays hidden (or explains itself) where the
// browser has no WebAuthn, and every other form on the pages works without this file.
import { AuthError, createAuthClient } from '../src/index'

const auth = createAuthClient({ baseUrl: location.origin })
const supported = typeof window.PublicKeyCredential === 'function'

/** What a person is told when a ceremony fails (the SDK throws only AuthError). */
function explain(err: unknown): string {
  const code = err instanceof AuthError ? err.code : undefined
  if (code === 'invalid_credentials') return 'The password is incorrect.'
  if (code === 'rate_limited')
    return `Too many attempts; try again in ${(err as AuthError).retryAfter ?? 60} seconds.`
  if (code === 'passkey_exists' || code === 'passkey_exists_on_device')
    return 'That passkey is added already.'
  // The browser's own refusals (cancelled, timed out, no passkey) all read as NotAllowedError.
  if (code === 'passkey_cancelled') return 'The passkey request was cancelled or timed out.'
  if (code === 'passkey_unsupported') return 'This browser cannot use passkeys here.'
  if (code === 'network_error') return 'The service could not be reached; please try again.'
  return 'That did not work; please try again.'
}

/** Writes into the control's live region (aria-live="polite"), marked as an error or not. */
function say(region: Element | null, text: string, error = false) {
  if (!region) return
  region.textContent = text
  region.classList.toggle('error', error)
}

const signIn = document.querySelector<HTMLElement>('[data-passkey-signin]')
if (signIn && supported) {
  signIn.hidden = false
  const status = signIn.querySelector('[data-passkey-status]')
  signIn.querySelector('button')?.addEventListener('click', async () => {
    say(status, 'Waiting for your passkey…')
    try {
      await auth.signInWithPasskey()
      location.assign(signIn.dataset.returnTo ?? '/account')
    } catch (err) {
      say(status, explain(err), true)
    }
  })
}

const register = document.querySelector<HTMLFormElement>('[data-passkey-register]')
if (register) {
  const status = register.querySelector('[data-passkey-status]')
  if (!supported) say(status, 'This browser cannot create passkeys.')
  else {
    say(status, '')
    register.addEventListener('submit', async (event) => {
      event.preventDefault()
      const data = new FormData(register)
      const name = String(data.get('passkeyName') ?? '').trim()
      say(status, 'Follow your browser’s prompt…')
      try {
        await auth.passkeys.register({
          password: String(data.get('passkeyPassword') ?? ''),
          name: name || undefined,
        })
        location.assign('/account?done=passkey')
      } catch (err) {
        say(status, explain(err), true)
      }
    })
  }
}
