// Passkeys (WebAuthn): registering one on a signed-in account, signing in with one (no username:
// discoverable credentials), listing, renaming and removing them. auth/webauthn/ does the
// ceremony checks (challenge, origin, RP ID hash, user presence and verification, attestation,
// signature); this service owns what those leave to the relying party: challenges that are
// single use and bound to their ceremony and user, the sign counter, the credential's owner, and
// the records. Knows nothing of Hono or bindings.
import type { AuthMethod, AuthUser, RelyingParty } from '../env'
import { now } from '../clock'
import { ApiError } from '../errors'
import { log } from '../log'
import {
  type Ceremony,
  type CeremonyKind,
  challengeBytes,
  issueCeremony,
  openCeremony,
} from '../auth/ceremony-tokens'
import { fromBase64Url, toBase64Url, utf8 } from '../auth/encoding'
import {
  type AuthenticationResponseJSON,
  verifyAuthentication,
} from '../auth/webauthn/authentication'
import type { Expected } from '../auth/webauthn/ceremony'
import { WebAuthnError } from '../auth/webauthn/errors'
import {
  type CreationOptionsJSON,
  type RequestOptionsJSON,
  creationOptions,
  requestOptions,
} from '../auth/webauthn/options'
import { type RegistrationResponseJSON, verifyRegistration } from '../auth/webauthn/registration'
import type { MfaKeys } from '../auth/mfa-keys'
import type { CeremonyUses } from '../store/ceremony-uses'
import type { PasskeyRecord, PasskeyStore } from '../store/passkeys'
import type { UserStore } from '../store/users'
import type { PasskeyView } from '../schemas'
import { type NoticeDeps, Notices } from './notices'
import { type SessionDeps, SessionService } from './sessions'

export type PasskeyDeps = NoticeDeps &
  SessionDeps & {
    passkeys: PasskeyStore
    ceremonies: CeremonyUses
    users: UserStore
    mfaKeys: () => Promise<MfaKeys>
    requestId?: string
  }

/** How long a ceremony may take: WebAuthn's own timeout, and the challenge's life. */
const CEREMONY_TTL_MS = 5 * 60 * 1000

const registrationFailed = () =>
  new ApiError(
    'passkey_registration_failed',
    "The authenticator's response did not verify; start again",
  )
const signInFailed = () =>
  new ApiError('passkey_sign_in_failed', 'The passkey sign-in did not verify; try again')

/** The WebAuthn user handle of a user: their id's bytes (registration options send it). */
const userHandleOf = (userId: string) => utf8(userId)

/** The transports WebAuthn defines; anything else a client reports is dropped, not stored. */
const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])

export class PasskeyService {
  constructor(private readonly deps: PasskeyDeps) {}

  /** Options for navigator.credentials.create(): a challenge bound to this user, for 5 minutes. */
  async registrationOptions(caller: AuthUser, rp: RelyingParty): Promise<CreationOptionsJSON> {
    const [token, existing] = await Promise.all([
      this.challenge('passkey_register', caller.id),
      this.deps.passkeys.list(caller.id),
    ])
    return creationOptions({
      rp: { name: rp.name, id: rp.id },
      user: { id: userHandleOf(caller.id), name: caller.username },
      challenge: challengeBytes(token),
      timeoutMs: CEREMONY_TTL_MS,
      exclude: existing.map((p) => ({ id: p.id, transports: p.transports })),
    })
  }

  /** Verifies a registration response to this user's challenge and stores the credential. */
  async register(
    caller: AuthUser,
    response: RegistrationResponseJSON,
    name: string | undefined,
    rp: RelyingParty,
  ): Promise<PasskeyView> {
    // Options fetched before a reset or a sign-out everywhere must not add a passkey after it.
    await new SessionService(this.deps).requireListed(caller)
    let credential: Awaited<ReturnType<typeof verifyRegistration>>
    try {
      credential = await verifyRegistration(
        response,
        await this.expected('passkey_register', caller.id, rp),
      )
    } catch (err) {
      if (!(err instanceof WebAuthnError)) throw err
      this.event('passkey_registration_refused', { userId: caller.id, reason: err.reason })
      throw registrationFailed()
    }
    const passkey = this.record(caller.id, credential, response, name, now())
    if ((await this.deps.passkeys.create(passkey)) === 'exists') {
      throw new ApiError('passkey_exists', 'That passkey is registered already')
    }
    new Notices(this.deps).send(caller.id, 'passkey_added')
    this.event('passkey_registered', {
      userId: caller.id,
      credentialId: passkey.id,
      deviceType: passkey.deviceType,
    })
    return view(passkey)
  }

  /**
   * Options to sign up with a passkey and no password: a new account's id and the chosen
   * username, sealed in the challenge (nothing is written until the passkey comes back). A
   * taken name is refused now, so nobody makes a passkey for an account that cannot exist.
   */
  async signUpOptions(username: string, rp: RelyingParty): Promise<CreationOptionsJSON> {
    if (await this.deps.users.findUserByName(username)) throw usernameTaken()
    const userId = crypto.randomUUID()
    const { token } = await issueCeremony(await this.deps.mfaKeys(), {
      kind: 'passkey_signup',
      userId,
      expiresAt: now() + CEREMONY_TTL_MS,
      bind: username,
    })
    return creationOptions({
      rp: { name: rp.name, id: rp.id },
      user: { id: userHandleOf(userId), name: username },
      challenge: challengeBytes(token),
      timeoutMs: CEREMONY_TTL_MS,
      exclude: [],
    })
  }

  /**
   * Creates the account the sign-up challenge names, with the passkey that answered it, both at
   * once; the account has no password (it may set one later). Returns who signed up and how.
   */
  async signUp(
    response: RegistrationResponseJSON,
    name: string | undefined,
    rp: RelyingParty,
  ): Promise<{ user: { id: string; username: string }; amr: AuthMethod[] }> {
    const keys = await this.deps.mfaKeys()
    let ceremony: Ceremony | null = null
    const challenge = async (token: string) => {
      const opened = await openCeremony(keys, 'passkey_signup', token)
      if (!opened?.userId || !opened.bind || opened.expiresAt <= now()) return false
      ceremony = opened
      return this.deps.ceremonies.useOnce(opened.nonce, opened.expiresAt, now())
    }
    let credential: Awaited<ReturnType<typeof verifyRegistration>>
    try {
      credential = await verifyRegistration(response, {
        challenge,
        origins: rp.origins,
        rpId: rp.id,
        requireUserVerification: true,
      })
    } catch (err) {
      if (!(err instanceof WebAuthnError)) throw err
      this.event('passkey_signup_refused', { reason: err.reason })
      throw registrationFailed()
    }
    const { userId, bind: username } = ceremony! as Ceremony & { userId: string; bind: string }
    const at = now()
    const user = {
      id: userId,
      username,
      createdAt: new Date(at).toISOString(),
      // Its email's language from now on: the sign-up request's.
      language: this.deps.requestLanguage ?? null,
    }
    const passkey = this.record(userId, credential, response, name, at)
    const created = await this.deps.passkeys.createAccount(user, passkey)
    if (created === 'username_taken') throw usernameTaken()
    if (created === 'exists')
      throw new ApiError('passkey_exists', 'That passkey is registered already')
    this.event('user_registered', { userId, method: 'passkey', credentialId: passkey.id })
    return {
      user: { id: userId, username },
      amr: [passkey.deviceType === 'multiDevice' ? 'swk' : 'hwk'],
    }
  }

  /** Options for navigator.credentials.get(): any of this site's passkeys may answer. */
  async signInOptions(rp: RelyingParty): Promise<RequestOptionsJSON> {
    return requestOptions({
      rpId: rp.id,
      challenge: challengeBytes(await this.challenge('passkey_signin', null)),
      timeoutMs: CEREMONY_TTL_MS,
    })
  }

  /**
   * Verifies a sign-in response: the credential names the user. Returns who signed in and how
   * (RFC 8176: `swk` for a synced passkey, `hwk` for one bound to its authenticator).
   */
  async signIn(
    response: AuthenticationResponseJSON,
    rp: RelyingParty,
  ): Promise<{
    user: { id: string; username: string; disabledAt: number | null }
    amr: AuthMethod[]
  }> {
    const passkey = await this.deps.passkeys.find(response.id)
    const user = passkey ? await this.deps.users.findUserById(passkey.userId) : null
    if (!passkey || !user) {
      this.event('passkey_sign_in_refused', { reason: 'unknown_credential' })
      throw signInFailed()
    }
    let assertion: Awaited<ReturnType<typeof verifyAuthentication>>
    try {
      assertion = await verifyAuthentication(response, {
        ...(await this.expected('passkey_signin', null, rp)),
        // The stored key is imported and checked again, as at registration: a row that does not
        // decode, or that holds a key registration refuses, signs no one in.
        publicKey: fromBase64Url(passkey.publicKey) ?? new Uint8Array(0),
        // The authenticator says whose credential it is; it must be the owner on record, and it
        // must say so (§7.2 step 6: nobody was identified before this ceremony).
        userHandle: userHandleOf(user.id),
      })
    } catch (err) {
      if (!(err instanceof WebAuthnError)) throw err
      this.event('passkey_sign_in_refused', {
        userId: user.id,
        credentialId: passkey.id,
        reason: err.reason,
      })
      throw signInFailed()
    }
    // Compared once the signature holds, so a forged response cannot raise a clone alarm.
    const { counter } = assertion
    if ((counter > 0 || passkey.counter > 0) && counter <= passkey.counter) {
      // A signed count that did not go up: two authenticators hold this key. Refuse, and say so.
      log.warn('passkey_possible_clone', {
        requestId: this.deps.requestId,
        userId: user.id,
        credentialId: passkey.id,
      })
      this.event('passkey_sign_in_refused', {
        userId: user.id,
        credentialId: passkey.id,
        reason: 'counter_regressed',
      })
      throw signInFailed()
    }
    await this.deps.passkeys.recordUse(passkey.id, counter, now())
    const amr: AuthMethod[] = [assertion.deviceType === 'multiDevice' ? 'swk' : 'hwk']
    // Whether an operator disabled the account: sign-in refuses it now the passkey is proven.
    return {
      user: { id: user.id, username: user.username, disabledAt: user.disabledAt ?? null },
      amr,
    }
  }

  async list(caller: AuthUser): Promise<PasskeyView[]> {
    return (await this.deps.passkeys.list(caller.id)).map(view)
  }

  async rename(caller: AuthUser, id: string, name: string): Promise<PasskeyView> {
    const passkey = await this.deps.passkeys.rename(caller.id, id, name)
    if (!passkey) throw notFound()
    return view(passkey)
  }

  /** Removes a passkey, unless it is the account's last way in. */
  async remove(caller: AuthUser, id: string): Promise<void> {
    const outcome = await this.deps.passkeys.remove(caller.id, id)
    if (outcome === 'not_found') throw notFound()
    if (outcome === 'last') {
      throw new ApiError(
        'last_sign_in_method',
        'This passkey is your only way to sign in; add another first',
      )
    }
    this.event('passkey_removed', { userId: caller.id, credentialId: id })
    new Notices(this.deps).send(caller.id, 'passkey_removed')
  }

  /** The record of a credential that registered for `userId`. */
  private record(
    userId: string,
    credential: Awaited<ReturnType<typeof verifyRegistration>>,
    response: RegistrationResponseJSON,
    name: string | undefined,
    at: number,
  ): PasskeyRecord {
    return {
      id: credential.id,
      userId,
      publicKey: toBase64Url(credential.publicKey),
      counter: credential.counter,
      transports: (response.response.transports ?? []).filter((t) => TRANSPORTS.has(t)),
      deviceType: credential.deviceType,
      backedUp: credential.backedUp,
      name: name ?? defaultName(at),
      createdAt: at,
      lastUsedAt: null,
    }
  }

  private async challenge(kind: CeremonyKind, userId: string | null): Promise<string> {
    const keys = await this.deps.mfaKeys()
    const { token } = await issueCeremony(keys, {
      kind,
      userId,
      expiresAt: now() + CEREMONY_TTL_MS,
    })
    return token
  }

  /**
   * What a response must match: this service's origins and RP ID, user verification, and a
   * challenge this service sealed for this ceremony (and user), still unexpired, and not spent.
   * The verifier calls the check once, before any signature: it spends the challenge there, so
   * of two requests with one response only one goes on, and a replay is refused as a replay
   * before any other check can call it something else (a counter that did not move, say).
   * A store that fails throws through the verifier, as the service's other store calls do.
   */
  private async expected(
    kind: CeremonyKind,
    userId: string | null,
    rp: RelyingParty,
  ): Promise<Expected> {
    const keys = await this.deps.mfaKeys()
    const challenge = async (challenge: string) => {
      const ceremony = await openCeremony(keys, kind, challenge)
      if (!ceremony || ceremony.expiresAt <= now() || ceremony.userId !== userId) return false
      return this.deps.ceremonies.useOnce(ceremony.nonce, ceremony.expiresAt, now())
    }
    return { challenge, origins: rp.origins, rpId: rp.id, requireUserVerification: true }
  }

  private event(name: string, fields: Record<string, unknown>): void {
    this.deps.events.emit(name, fields)
  }
}

const notFound = () => new ApiError('passkey_not_found', 'You have no such passkey')
const usernameTaken = () => new ApiError('username_taken', 'That username is already registered')

const defaultName = (at: number) => `Passkey added ${new Date(at).toISOString().slice(0, 10)}`

const view = (p: PasskeyRecord): PasskeyView => ({
  id: p.id,
  name: p.name,
  createdAt: new Date(p.createdAt).toISOString(),
  lastUsedAt: p.lastUsedAt === null ? null : new Date(p.lastUsedAt).toISOString(),
  deviceType: p.deviceType,
  backedUp: p.backedUp,
  transports: p.transports,
})
