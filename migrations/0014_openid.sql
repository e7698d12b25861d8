-- The OpenID Provider (docs/openid-provider.md).

-- The nonce an OpenID request sent (OIDC Core §3.1.2.1): the ID token the code earns repeats it.
ALTER TABLE authorization_codes ADD COLUMN nonce TEXT;

-- RP-initiated logout 1.0: where a client may send the browser after signing out (a JSON array,
-- matched exactly), and OIDC Registration's application_type ('web' or 'native'; NULL: not sent).
ALTER TABLE oauth_clients ADD COLUMN post_logout_redirect_uris TEXT;
ALTER TABLE oauth_clients ADD COLUMN application_type TEXT;
