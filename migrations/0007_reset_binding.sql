-- A reset link is bound to the password it was mailed against (a digest of its hash, as an
-- mfaToken is): a change of password between the mailing and the reset makes it worthless, even
-- if the change has not yet revoked it (the two race otherwise). Null for verification links.
ALTER TABLE email_tokens ADD COLUMN password_binding TEXT;
