-- Alerts (docs/webhooks.md, "Alerts"): sync.stale and queue.backlog, raised by the maintenance
-- lead (app/Alerts.cpp). One row per alert that is on: raising one inserts its row and writes its
-- event in one transaction, so it is announced once per episode however many hosts take the lead
-- meanwhile; when its cause goes away the row is deleted with an alert.resolved event, and the
-- next time it comes back is a new episode.
CREATE TABLE alerts (
  kind           text NOT NULL CHECK (kind IN ('sync.stale', 'queue.backlog')),
  -- What it is about: the connection's id (sync.stale), the workspace's id or 'host' (queue.backlog).
  subject        text NOT NULL,
  workspace_id   uuid REFERENCES workspaces(id) ON DELETE CASCADE,   -- null: the whole host
  connection_id  uuid REFERENCES connections(id) ON DELETE CASCADE,
  details        jsonb NOT NULL DEFAULT '{}',                         -- the raising event's payload
  raised_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, subject)
);
