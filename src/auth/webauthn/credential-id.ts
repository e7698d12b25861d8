// The one limit on a credential id, in bytes and as the base64url text requests carry: the
// schemas, the verifier and the passkey store all use these, so none accepts what another refuses.

/** WebAuthn L3 §6.1 (credentialIdLength) and §5.1 (rawId): at most 1023 bytes. */
export const CREDENTIAL_ID_MAX_BYTES = 1023

/** Unpadded base64url of 1023 bytes: 1364 characters (1365 spells no byte string, 1366 is 1024). */
export const CREDENTIAL_ID_MAX_LENGTH = Math.ceil((CREDENTIAL_ID_MAX_BYTES * 4) / 3)
