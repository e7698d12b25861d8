-- The city Cloudflare places a sign-in in (`request.cf.city`), beside its country, so the sessions
-- list can say "Lisbon, Portugal". NULL when Cloudflare does not know, and for sessions started
-- before this column.
ALTER TABLE sessions ADD COLUMN city TEXT;
