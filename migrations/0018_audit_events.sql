-- The audit log: one row per security event (a sign-in, a password change, an admin action...).
-- Times are epoch ms. No foreign key to users: the trail of a deleted account outlives it, until
-- the retention purge (AUDIT_RETENTION_DAYS, the Cron Trigger) removes it. `detail` is a small
-- JSON object of bounded, non-secret fields (a method, a provider id, a reason code).
CREATE TABLE audit_events (
  id TEXT PRIMARY KEY NOT NULL,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  user_id TEXT,
  actor_type TEXT NOT NULL, -- user, admin, api_key, system, anonymous
  actor_id TEXT,
  request_id TEXT,
  user_agent TEXT,
  country TEXT,
  detail TEXT
);

-- Newest first, with (at, id) as the cursor: for the whole log, one user's, and one type's.
CREATE INDEX audit_events_by_time ON audit_events (at, id);
CREATE INDEX audit_events_by_user ON audit_events (user_id, at, id);
CREATE INDEX audit_events_by_type ON audit_events (type, at, id);
