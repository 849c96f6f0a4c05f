-- The sync engine: canonical tables, the generic records table, per-stream state, per-record
-- errors, the full-refresh seen set, and the events outbox.
--
-- Canonical tables are keyed by (workspace_id, source, source_id); `source` is the connection's
-- name (by default the connector's short name, e.g. hubspot). They carry no foreign keys and no
-- index beyond the key: every index and check costs each of the millions of upserts, and the
-- engine is the only writer. `raw_hash` is a 64-bit digest of what the connector emitted; a row
-- whose hash is unchanged is not rewritten.

CREATE TABLE deals (
  workspace_id        uuid NOT NULL,
  source              text NOT NULL,
  source_id           text NOT NULL,
  connection_id       uuid,
  stream              text NOT NULL,
  name                text,
  amount              numeric,
  stage               text,
  close_date          date,
  pipeline            text,
  owner_id            text,
  account_id          text,
  raw                 jsonb NOT NULL,
  raw_hash            bigint NOT NULL,
  source_modified_at  timestamptz,
  deleted_at          timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, source, source_id)
);

CREATE TABLE contacts (
  workspace_id        uuid NOT NULL,
  source              text NOT NULL,
  source_id           text NOT NULL,
  connection_id       uuid,
  stream              text NOT NULL,
  email               text,
  first_name          text,
  last_name           text,
  account_id          text,
  raw                 jsonb NOT NULL,
  raw_hash            bigint NOT NULL,
  source_modified_at  timestamptz,
  deleted_at          timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, source, source_id)
);

CREATE TABLE accounts (
  workspace_id        uuid NOT NULL,
  source              text NOT NULL,
  source_id           text NOT NULL,
  connection_id       uuid,
  stream              text NOT NULL,
  name                text,
  domain              text,
  industry            text,
  raw                 jsonb NOT NULL,
  raw_hash            bigint NOT NULL,
  source_modified_at  timestamptz,
  deleted_at          timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, source, source_id)
);

CREATE TABLE calls (
  workspace_id        uuid NOT NULL,
  source              text NOT NULL,
  source_id           text NOT NULL,
  connection_id       uuid,
  stream              text NOT NULL,
  title               text,
  started_at          timestamptz,
  duration_seconds    integer,
  direction           text,
  url                 text,
  transcript          jsonb,
  raw                 jsonb NOT NULL,
  raw_hash            bigint NOT NULL,
  source_modified_at  timestamptz,
  deleted_at          timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, source, source_id)
);

CREATE TABLE documents (
  workspace_id        uuid NOT NULL,
  source              text NOT NULL,
  source_id           text NOT NULL,
  connection_id       uuid,
  stream              text NOT NULL,
  title               text,
  mime_type           text,
  url                 text,
  size_bytes          bigint,
  parent_id           text,
  raw                 jsonb NOT NULL,
  raw_hash            bigint NOT NULL,
  source_modified_at  timestamptz,
  deleted_at          timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, source, source_id)
);

CREATE TABLE tasks (
  workspace_id        uuid NOT NULL,
  source              text NOT NULL,
  source_id           text NOT NULL,
  connection_id       uuid,
  stream              text NOT NULL,
  title               text,
  status              text,
  due_date            date,
  assignee            text,
  project_id          text,
  raw                 jsonb NOT NULL,
  raw_hash            bigint NOT NULL,
  source_modified_at  timestamptz,
  deleted_at          timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, source, source_id)
);

-- Streams with no canonical entity.
CREATE TABLE records (
  workspace_id        uuid NOT NULL,
  source              text NOT NULL,
  stream              text NOT NULL,
  source_id           text NOT NULL,
  connection_id       uuid,
  data                jsonb NOT NULL,
  raw_hash            bigint NOT NULL,
  source_modified_at  timestamptz,
  deleted_at          timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, source, stream, source_id)
);

-- Where each stream of each connection stands.
CREATE TABLE stream_state (
  connection_id       uuid NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
  stream              text NOT NULL,
  initialized_at      timestamptz,  -- when an initial (full) sync of the stream first completed
  watermark           timestamptz,  -- the largest source modification time committed (never the host's clock)
  -- The last committed checkpoint of a run in progress (initial or incremental), so that a
  -- retried or later run resumes there instead of starting again; cleared when the run ends.
  cursor              jsonb,
  cursor_mode         text CHECK (cursor_mode IN ('initial', 'incremental')),
  cursor_since        timestamptz,  -- the since that incremental run began with
  cursor_job_id       uuid,
  -- An initial sync over rows that already existed records the ids it sees in sync_seen under
  -- this run id; the rows it did not see are marked deleted when it completes.
  initial_run_id      uuid,
  initial_started_at  timestamptz,
  initial_tracks_seen boolean NOT NULL DEFAULT false,
  initial_seen        bigint NOT NULL DEFAULT 0,
  status              text NOT NULL DEFAULT 'idle'
                      CHECK (status IN ('idle', 'running', 'completed', 'failed', 'cancelled')),
  last_mode           text,
  last_run_id         uuid,
  last_error          text,
  last_success_at     timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, stream)
);

-- A backfill job's own cursor per stream; it never touches stream_state.
CREATE TABLE backfill_cursors (
  job_id              uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  stream              text NOT NULL,
  cursor              jsonb,
  done                boolean NOT NULL DEFAULT false,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, stream)
);

-- The ids a full refresh over existing rows has seen, so that rows it did not see are marked
-- deleted only once the whole sync has succeeded.
CREATE TABLE sync_seen (
  run_id              uuid NOT NULL,
  stream              text NOT NULL,
  source_id           text NOT NULL
);
CREATE INDEX sync_seen_run ON sync_seen (run_id, stream, source_id);

-- Poison records: what failed, where, and the record itself, for `tributary records replay`.
CREATE TABLE sync_record_errors (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id        uuid NOT NULL,
  connection_id       uuid REFERENCES connections(id) ON DELETE CASCADE,
  run_id              uuid REFERENCES sync_runs(id) ON DELETE SET NULL,
  job_id              uuid,
  stream              text NOT NULL,
  source_id           text,
  error               text NOT NULL,
  stage               text NOT NULL CHECK (stage IN ('transform', 'validate', 'write')),
  raw                 text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  occurrences         integer NOT NULL DEFAULT 1,  -- how many runs failed on it since it was opened
  resolved_at         timestamptz,            -- set when a later sync stored the record
  replay_job_id       uuid                    -- the last `tributary records replay` job for it
);
-- One open error per record: a record that fails again updates it.
CREATE UNIQUE INDEX sync_record_errors_open ON sync_record_errors (connection_id, stream, source_id)
  WHERE resolved_at IS NULL AND source_id IS NOT NULL;
CREATE INDEX sync_record_errors_run ON sync_record_errors (run_id);

-- The events outbox: written in the same transaction as the change it announces; webhooks and
-- post-sync processors read it.
CREATE TABLE events (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id        uuid NOT NULL,
  connection_id       uuid,
  run_id              uuid,
  job_id              uuid,
  type                text NOT NULL,          -- sync.started, sync.progress, sync.completed, sync.failed
  payload             jsonb NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_workspace ON events (workspace_id, id);
