-- Admin access: API keys for servers calling /admin, and the admin role for users.
-- A key is `eak_<id>_<secret>` (auth/api-keys.ts); only its id and the SHA-256 of its secret
-- are kept (base64url): the secret is 256 random bits, so a fast hash is enough, and whoever
-- reads this table cannot call the API. Keys are created and revoked by `npm run admin`
-- (scripts/admin.mjs), never by the worker. Times are epoch ms.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY NOT NULL, -- 24 hex characters, the public half of the key
  name TEXT NOT NULL, -- what the operator called it (what uses it), shown by list-keys
  secret_hash TEXT NOT NULL, -- base64url(SHA-256(secret))
  scopes TEXT NOT NULL, -- space-separated: users:read users:write audit:read webhooks:manage
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL, -- 'system' (the admin script)
  last_used_at INTEGER, -- written at most once a minute per key, after the response
  revoked_at INTEGER -- set: the key is refused from the next request on
);

-- NULL for everyone but admins ('admin'): /admin routes read it on every call, so revoking the
-- role takes effect at once.
ALTER TABLE users ADD COLUMN role TEXT CHECK (role IS NULL OR role = 'admin');
