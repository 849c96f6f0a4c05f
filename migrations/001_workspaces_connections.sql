-- Workspaces and their connections. YAML is the source of truth for both: the host syncs them in
-- at start, and a connection removed from YAML is disabled here, never deleted, so its data stays.

CREATE TABLE workspaces (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  name        text NOT NULL,
  enabled     boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE connections (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name          text NOT NULL,
  connector     text NOT NULL,                    -- the plugin's dotted name, e.g. tributary.hubspot
  auth_method   text NOT NULL DEFAULT 'none',     -- none, api_key, oauth, basic
  status        text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'connected', 'syncing', 'synced', 'error', 'disabled')),
  enabled       boolean NOT NULL DEFAULT true,
  schedule      text,                             -- cron expression; null: on demand only
  settings      jsonb NOT NULL DEFAULT '{}',      -- non-secret settings as last read from YAML
  last_sync_at  timestamptz,                      -- the seeds' watermark column, kept for them
  sync_cursor   jsonb,                            -- the seeds' {lastSyncMode, lastSyncAt, ...}
  error_message text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name)
);

CREATE INDEX connections_connector ON connections (connector);
