-- The OAuth 2.1 authorization server for third-party apps and MCP clients (docs/authorization-server.md).
-- Times are epoch ms.

-- Clients registered by RFC 7591 dynamic registration. A confidential client's secret is stored
-- only as its SHA-256 (the secret is 256 random bits, so a fast hash is enough); a public one has
-- none. redirect_uris is a JSON array, matched exactly (a loopback one on any port). A client
-- unused for CLIENT_IDLE_DAYS and holding no grant counts as gone.
CREATE TABLE oauth_clients (
  id TEXT PRIMARY KEY NOT NULL,
  secret_hash TEXT,
  auth_method TEXT NOT NULL,
  name TEXT,
  client_uri TEXT,
  redirect_uris TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL
);

-- A user's authorization of a client for one resource: the remembered consent (scope, space
-- separated) and the "connected app" the user sees and can remove. Removing it ends every
-- session (token family) started under it (sessions.grant_id).
CREATE TABLE oauth_grants (
  id TEXT PRIMARY KEY NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  resource TEXT NOT NULL,
  scope TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL
);

CREATE UNIQUE INDEX oauth_grants_by_user ON oauth_grants (user_id, client_id, resource);
CREATE INDEX oauth_grants_by_client ON oauth_grants (client_id);

-- Authorization codes, by the SHA-256 of the code (never the code). Single use: used_at is set
-- by the one exchange that wins; a later one sets replayed_at and ends session_id, the session
-- the first exchange started (assigned here, so the replay knows it whatever the timing).
CREATE TABLE authorization_codes (
  id TEXT PRIMARY KEY NOT NULL,
  client_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  grant_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  redirect_uri_sent INTEGER NOT NULL,
  code_challenge TEXT NOT NULL,
  resource TEXT NOT NULL,
  scope TEXT NOT NULL,
  auth_time INTEGER NOT NULL,
  amr TEXT NOT NULL,
  idp TEXT,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  replayed_at INTEGER
);

-- A session started by a third-party grant: never listed among the user's own sessions.
ALTER TABLE sessions ADD COLUMN grant_id TEXT;
CREATE INDEX sessions_by_grant ON sessions (grant_id) WHERE grant_id IS NOT NULL;
