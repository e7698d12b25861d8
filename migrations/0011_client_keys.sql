-- private_key_jwt clients (RFC 7523): the client's public keys, inline (jwks: a JSON array of
-- public JWKs) or at an https jwks_uri; one of the two, and neither for other clients.
ALTER TABLE oauth_clients ADD COLUMN jwks TEXT;
ALTER TABLE oauth_clients ADD COLUMN jwks_uri TEXT;
