-- RFC 7591 grant_types: whether a client registered refresh_token (1) or only
-- authorization_code (0), which then gets no refresh token. Clients registered before this
-- column had no choice and were given refresh tokens: they keep them (the default 1).
ALTER TABLE oauth_clients ADD COLUMN refreshes INTEGER NOT NULL DEFAULT 1;
-- The client's name as the user saw it on the consent page: a client identified by its metadata
-- document has no oauth_clients row to name it in the connected-apps list.
ALTER TABLE oauth_grants ADD COLUMN client_name TEXT;
