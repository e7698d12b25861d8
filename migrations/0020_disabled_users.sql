-- Accounts an operator has disabled (the admin API): disabled_at is when (epoch ms), NULL for an
-- account in use. A disabled account cannot sign in by any method, and the session index refuses
-- a new session for it in the same statement that would insert it (store/session-index.ts), so a
-- sign-in racing the disable either lands before it (and is ended with the rest) or is refused.
-- Enabling clears it; the sessions it ended stay ended.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;

-- The admin list, newest first: (created_at, id) is its cursor. created_at is ISO 8601 text, which
-- sorts as time does.
CREATE INDEX users_by_created ON users (created_at, id);
