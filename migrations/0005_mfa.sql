-- Second factors and passkeys. Every table follows its user out (ON DELETE CASCADE). Times are
-- epoch ms. See docs/storage.md.

-- One TOTP authenticator per user: pending (enabled_at NULL) from enrolment until its first code
-- is confirmed. The secret is AES-GCM ciphertext under MFA_ENCRYPTION_KEY, never the secret.
-- last_step is the newest 30-second step a code was accepted for: no code at or before it is
-- accepted again, so a code works once. failures counts code checks since the last right code,
-- and locked_until (epoch ms) holds further checks back: each check is counted by one
-- conditional update before it is made, so parallel guesses cannot slip past the count.
-- confirmed_by is a random id of the confirmation that turned it on: only that request's
-- recovery codes are stored, however close two confirmations race.
CREATE TABLE totp (
  user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  enabled_at INTEGER,
  confirmed_by TEXT,
  last_step INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0
);

-- Single-use recovery codes, stored as keyed hashes (HMAC under MFA_ENCRYPTION_KEY).
CREATE TABLE recovery_codes (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  used_at INTEGER,
  PRIMARY KEY (user_id, code_hash)
);

-- WebAuthn credentials (passkeys). id is the credential id (base64url), unique across users.
CREATE TABLE passkeys (
  id TEXT PRIMARY KEY NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  public_key TEXT NOT NULL, -- COSE key, base64url
  counter INTEGER NOT NULL,
  transports TEXT, -- JSON array, as the browser reported them
  device_type TEXT NOT NULL, -- singleDevice or multiDevice (backup eligible)
  backed_up INTEGER NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);

CREATE INDEX passkeys_by_user ON passkeys (user_id);

-- The uses of single-use ceremony tokens (WebAuthn challenges, MFA tokens), by nonce: the token
-- itself is sealed and carries its own expiry, so issuing one writes nothing; using one inserts
-- or bumps its row here, which D1's single writer orders, so a second use fails even in a race.
CREATE TABLE ceremony_uses (
  id TEXT PRIMARY KEY NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  done INTEGER NOT NULL
);

CREATE INDEX ceremony_uses_by_expiry ON ceremony_uses (expires_at);
