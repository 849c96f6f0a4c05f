-- Outgoing webhooks (issue 18): a workspace's endpoints, their secrets (sealed), and a durable
-- delivery of every event an endpoint asked for, with each attempt it took.
--
-- The dispatcher (webhooks::Dispatcher) fans the outbox (events) out into deliveries, one per
-- endpoint and event, in the transaction that moves the endpoint's cursor past the event: an
-- event reaches each endpoint once, whatever crashes. A delivery is then tried until it
-- succeeds or its schedule runs out; a process that dies mid-attempt leaves a claim that
-- expires, and the next try sends the same webhook-id.

CREATE TABLE webhook_endpoints (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id    uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  url             text NOT NULL,
  description     text NOT NULL DEFAULT '',
  events          text[] NOT NULL DEFAULT '{}',   -- the event types it wants; empty: all of them
  enabled         boolean NOT NULL DEFAULT true,
  disabled_at     timestamptz,
  disabled_reason text,
  -- The outbox position fanned out through. A new endpoint starts at the outbox's head: it
  -- gets what happens from now on (recover?since= reaches further back).
  outbox_cursor   bigint NOT NULL,
  -- Since when every attempt failed (none succeeded since); null while it is healthy.
  failing_since   timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (enabled = (disabled_at IS NULL))
);
CREATE INDEX webhook_endpoints_workspace ON webhook_endpoints (workspace_id, created_at, id);

-- An endpoint's signing secrets, sealed (secrets::sealedColumns): the current one has no
-- expiry; one replaced by a rotation keeps signing beside it until expires_at.
CREATE TABLE webhook_secrets (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  endpoint_id  uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  key_id       text NOT NULL,
  sealed       bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at   timestamptz
);
CREATE UNIQUE INDEX webhook_secrets_current ON webhook_secrets (endpoint_id) WHERE expires_at IS NULL;

CREATE TABLE webhook_deliveries (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq              bigint GENERATED ALWAYS AS IDENTITY,  -- the order an endpoint's deliveries go out in
  endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  message_id       text NOT NULL,          -- webhook-id: the same on every attempt and redelivery
  event_position   bigint,                 -- the outbox event; null for a test event
  event_type       text NOT NULL,
  job_id           uuid,
  body             text NOT NULL,          -- sent as it is, on every attempt
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  claimed_until    timestamptz,            -- an attempt in flight; a dead process's claim expires
  claimed_by       text,
  last_status      integer,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),  -- the event's time
  completed_at     timestamptz
);
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (endpoint_id, event_position)
  WHERE event_position IS NOT NULL;
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at DESC, seq DESC);
CREATE INDEX webhook_deliveries_progress ON webhook_deliveries (endpoint_id, job_id, created_at)
  WHERE event_type = 'sync.progress';

CREATE TABLE webhook_attempts (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id   uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt       integer NOT NULL,
  started_at    timestamptz NOT NULL,
  latency_ms    integer NOT NULL,
  status        integer,                  -- the HTTP status; null when none came back
  response      text NOT NULL DEFAULT '', -- its first KB
  error         text,
  host          text NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);

-- New deliveries to send (a test event, a redelivery, a recovery): the dispatcher wakes on
-- this as on the outbox's tributary_events.
CREATE FUNCTION webhook_deliveries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tributary_webhooks', '');
  RETURN NULL;
END $$;
CREATE TRIGGER webhook_deliveries_notify AFTER INSERT OR UPDATE OF status, next_attempt_at ON webhook_deliveries
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_deliveries_notify();
