-- The absolute end of each session (SESSION_MAX_AGE after sign-in), shown by GET /sessions.
-- Rows from before this migration get the default 30 days.
ALTER TABLE sessions ADD COLUMN ends_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET ends_at = created_at + 2592000000 WHERE ends_at = 0;
