-- The per-user index of sessions (refresh-token families), for listing and ending them. Listing
-- reads D1, which is strongly consistent; the refresh path never does: the token material and
-- the "is this session alive" check stay in KV (see docs/storage.md). Times are epoch ms.
CREATE TABLE sessions (
  id TEXT PRIMARY KEY NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  user_agent TEXT,
  country TEXT
);

CREATE INDEX sessions_by_user ON sessions (user_id, last_used_at);
