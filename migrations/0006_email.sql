-- An optional email address per account, used to get back into it. The address becomes the
-- account's (email) only once a link sent to it is opened (email_verified_at); a verified address
-- belongs to one account, ignoring case.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN email_verified_at INTEGER;
CREATE UNIQUE INDEX users_by_verified_email ON users (email COLLATE NOCASE)
  WHERE email_verified_at IS NOT NULL;

-- Single-use links sent by email. id is the HMAC of the token (the token itself is only in the
-- email); purpose is verify_email or reset_password; email is the address it was sent to. A
-- newer token of the same purpose for the user replaces it. Times are epoch ms.
CREATE TABLE email_tokens (
  id TEXT PRIMARY KEY NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose TEXT NOT NULL,
  email TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);

CREATE INDEX email_tokens_by_user ON email_tokens (user_id, purpose);

-- How many emails each address was sent in the current hour, so that no burst of requests (from
-- any number of clients) sends one address more than a few. address is lower-cased.
CREATE TABLE email_quota (
  address TEXT PRIMARY KEY NOT NULL,
  window_start INTEGER NOT NULL,
  sent INTEGER NOT NULL
);
