-- ID tokens signed with the algorithm each client registered (OIDC Registration §2,
-- id_token_signed_response_alg): 'RS256' (OIDC_RSA_KEYS) or the access tokens' 'ES256' or 'EdDSA'.
-- NULL for clients registered before: they keep the access tokens' algorithm, as their
-- registration answer promised.
ALTER TABLE oauth_clients ADD COLUMN id_token_alg TEXT;
