-- The user's own session that authorized a code: the exchange requires it still listed, so a
-- code held past a sign-out everywhere, a password change or reset (which end that session)
-- starts nothing. Codes live a minute: one issued before this column (NULL) is refused.
ALTER TABLE authorization_codes ADD COLUMN signer_session_id TEXT;
