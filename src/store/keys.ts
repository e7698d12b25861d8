// Every KV key the service writes. No other file builds a key; docs/storage.md describes each one.

export const kvKeys = {
  /** A refresh token's record, under the HMAC digest of the token (never the token itself). */
  refreshToken: (tokenId: string) => `refresh:${tokenId}`,
  /** A session: one login and every refresh token rotated from it (a token "family"). */
  session: (sessionId: string) => `session:${sessionId}`,
  /** When the user last ended all (or all other) sessions: sessions valid only from before it are dead. */
  revokedBefore: (userId: string) => `revoked-before:${userId}`,
  /** Failed logins for a username, known or not, folded to lower case as D1 compares names. */
  loginFailures: (username: string) => `login-failures:${username.toLowerCase()}`,
}
