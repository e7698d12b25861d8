-- Webhooks: the endpoints admins register (routes/admin-webhooks.ts) and one delivery row per
-- (endpoint, event), the delivery log. Times are epoch ms.
--
-- webhook_endpoints.secret and previous_secret are the signing secrets sealed with AES-GCM under
-- a key derived from MFA_ENCRYPTION_KEY (auth/mfa-keys.ts), bound to the endpoint's id: never
-- plaintext here. previous_secret still signs until previous_secret_expires_at (a rotation's
-- 24-hour overlap). event_types is a JSON array of WEBHOOK_EVENT_TYPES.
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY NOT NULL,
  url TEXT NOT NULL,
  event_types TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  disabled INTEGER NOT NULL DEFAULT 0,
  secret TEXT NOT NULL,
  previous_secret TEXT,
  previous_secret_expires_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_time ON webhook_endpoints (created_at, id);

-- One event for one endpoint. `id` is the webhook-id header, the same on every attempt and on a
-- manual redelivery, so receivers deduplicate on it. `payload` is frozen when the row is made:
-- every attempt sends the same bytes. `round` counts manual redeliveries: a queue message of an
-- older round is stale and ignored. `last_error` is a reason code of ours (timeout,
-- redirect_refused, http_status...), never the receiver's body or a secret.
-- status: pending (queued or waiting for a retry), succeeded, dead (every attempt failed, or the
-- URL is refused), cancelled (the endpoint was disabled).
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY NOT NULL,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'dead', 'cancelled')),
  round INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_attempt_at INTEGER,
  last_status INTEGER,
  last_error TEXT,
  next_attempt_at INTEGER,
  created_at INTEGER NOT NULL,
  -- A fan-out message the queue delivers twice makes no second row.
  UNIQUE (endpoint_id, event_id)
);
-- One endpoint's log, newest first, with (created_at, id) as the cursor; the purge by age.
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at, id);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (created_at);
