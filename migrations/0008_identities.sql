-- Identities at other providers that sign in to an account: (provider, subject), never an email
-- (an address can change hands at a provider; a subject cannot). provider is the AUTH_PROVIDERS
-- key; an account has at most one identity per provider. email is what the provider last said,
-- shown on /account only; it is never used to find an account. Times are epoch ms.
CREATE TABLE identities (
  provider TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email TEXT,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  PRIMARY KEY (provider, subject)
);

CREATE UNIQUE INDEX identities_by_user ON identities (user_id, provider);
