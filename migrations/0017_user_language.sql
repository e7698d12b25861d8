-- The language an account's email is written in (en, fr or es): set at sign-up from the language
-- the person used, changed by them (PUT /users/me/language). NULL for accounts made before this
-- column: their mail follows the language of the request that causes it.
ALTER TABLE users ADD COLUMN language TEXT;
