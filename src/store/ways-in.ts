// The one rule for "another way in": an account keeps at least one of a password, a passkey or
// an identity at a provider, so no removal may leave it with none. A SQL condition, so the check
// and the delete are one statement and two racing removals cannot each leave the other's last.
// An account with no password stores an empty password_hash (docs/storage.md).

/**
 * True when user `?1` has a way in besides the one being removed: the passkey whose id is the
 * given parameter, or the identity at the given provider.
 */
export function anotherWayIn(removing: { passkey: string } | { identity: string }): string {
  const passkeys =
    'passkey' in removing
      ? `EXISTS (SELECT 1 FROM passkeys WHERE user_id = ?1 AND id <> ${removing.passkey})`
      : 'EXISTS (SELECT 1 FROM passkeys WHERE user_id = ?1)'
  const identities =
    'identity' in removing
      ? `EXISTS (SELECT 1 FROM identities WHERE user_id = ?1 AND provider <> ${removing.identity})`
      : 'EXISTS (SELECT 1 FROM identities WHERE user_id = ?1)'
  return `(EXISTS (SELECT 1 FROM users WHERE id = ?1 AND password_hash <> '')
    OR ${passkeys} OR ${identities})`
}
