-- One-time sign-in codes mailed to an account's verified address. One live code per address
-- (lower-cased): a newer one replaces it. code_hash is an HMAC of the code, keyed and bound to the
-- address; the code itself is only in the email. attempts counts the codes tried against it (at
-- most 5); a right one deletes the row. Times are epoch ms.
CREATE TABLE email_codes (
  address TEXT PRIMARY KEY NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0
);
