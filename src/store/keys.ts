// Every KV key the service writes. No other file builds a key; docs/storage.md describes each one.

export const kvKeys = {
  /** A refresh token's record, under the HMAC digest of the token (never the token itself). */
  refreshToken: (tokenId: string) => `refresh:${tokenId}`,
  /** A session: one login and every refresh token rotated from it (a token "family"). */
  session: (sessionId: string) => `session:${sessionId}`,
  /** When the user last ended all (or all other) sessions: sessions valid only from before it are dead. */
  revokedBefore: (userId: string) => `revoked-before:${userId}`,
  /**
   * Failed logins for a username from every network together (the per-username ceiling), known
   * or not, folded to lower case as D1 compares names.
   */
  loginFailures: (username: string) => `login-failures:${username.toLowerCase()}`,
  /**
   * Failed logins for a username from one network (a /24 or /48, client-network.ts). Usernames
   * hold no `:`, so no name can make this key equal another name's `loginFailures` key.
   */
  networkLoginFailures: (username: string, network: string) =>
    `login-failures:${username.toLowerCase()}:${network}`,
  /**
   * A client's metadata document (a client_id that is an https URL), cached as its headers allow,
   * under the SHA-256 of the URL: a URL can be longer than a KV key may be.
   */
  clientDocument: (urlDigest: string) => `client-document:${urlDigest}`,
}
