// The one error the WebAuthn verifier throws: which check refused a response, as a word the
// service logs. It never carries the response itself (its client data quotes the challenge).

export type WebAuthnRefusal =
  /** It does not decode, or its parts disagree (ids, lengths, type, flags). */
  | 'malformed'
  /** The caller's check refused the challenge: not issued, expired, another ceremony's, spent. */
  | 'challenge'
  /** Not an expected origin, or run in a cross-origin frame. */
  | 'origin'
  | 'rp_id'
  | 'user_presence'
  | 'user_verification'
  /**
   * An algorithm registration did not offer, a key that does not import, or an Ed25519 key of
   * small order or spelled non-canonically (at registration, and for a stored key at sign-in).
   */
  | 'public_key'
  /** §7.2 step 6: a sign-in response without the user handle, or with another user's. */
  | 'user_handle'
  /** A format other than none or packed self attestation, or a self signature that fails. */
  | 'attestation'
  | 'signature'

export class WebAuthnError extends Error {
  constructor(readonly reason: WebAuthnRefusal) {
    super(`WebAuthn response refused: ${reason}`)
    this.name = 'WebAuthnError'
  }
}

/** Refuses with `reason` unless `ok`. */
export function refuseUnless(ok: unknown, reason: WebAuthnRefusal): asserts ok {
  if (!ok) throw new WebAuthnError(reason)
}
