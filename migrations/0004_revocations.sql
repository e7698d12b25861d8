-- The newest "end every session but one" of each user, as D1 (which orders writes) decided it.
-- The KV revocation mark that every refresh reads is converged to this row, so two concurrent
-- ends cannot leave KV and the session list disagreeing. No foreign key: the row outlives a
-- deleted account, whose mark (at = 2^53 - 1) ends every session it could still have.
CREATE TABLE revocations (
  user_id TEXT PRIMARY KEY NOT NULL,
  at INTEGER NOT NULL,
  keep TEXT
);
