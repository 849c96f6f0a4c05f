-- What a review and a kill -9 run of the sync core found (issue 12).

-- Out-of-order tracking applies to every run that reads a stream, not only initial syncs: many
-- vendors filter by modified-since but page by id or newest first, so an incremental run can
-- read a record early that changes again before the run ends (see migration 006).
ALTER TABLE stream_state RENAME COLUMN initial_floor TO order_floor;
ALTER TABLE stream_state RENAME COLUMN initial_last_modified TO order_last_modified;
ALTER TABLE stream_state RENAME COLUMN initial_unordered TO order_unordered;

-- A run covers its whole job: records_synced adds up every attempt, and each attempt stays
-- visible with its own counts, start, end and error:
--   [{attempt, worker, started_at, ended_at, status, error,
--     records, inserted, updated, unchanged, deleted, failed}]
-- A run that waits for a vendor's rate limit or quota is 'waiting', not failed.
ALTER TABLE sync_runs ADD COLUMN attempts jsonb NOT NULL DEFAULT '[]';
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_status_check;
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_status_check
  CHECK (status IN ('pending', 'running', 'waiting', 'completed', 'completed_with_errors', 'failed', 'cancelled'));

-- When the read that wrote a row's version began: with equal source times (sources with
-- second-granularity times), the row changes only for a read that began later.
ALTER TABLE deals ADD COLUMN source_read_at timestamptz;
ALTER TABLE contacts ADD COLUMN source_read_at timestamptz;
ALTER TABLE accounts ADD COLUMN source_read_at timestamptz;
ALTER TABLE calls ADD COLUMN source_read_at timestamptz;
ALTER TABLE documents ADD COLUMN source_read_at timestamptz;
ALTER TABLE tasks ADD COLUMN source_read_at timestamptz;
ALTER TABLE records ADD COLUMN source_read_at timestamptz;

-- Waits whose time was already past when the plugin gave it, in a row: a plugin that keeps
-- doing so cannot loop through the claim without end.
ALTER TABLE jobs ADD COLUMN past_waits int NOT NULL DEFAULT 0;

-- The outbox's retention: events up to pruned_through were deleted, so a reader whose position
-- is below it missed some.
CREATE TABLE outbox_state (
  singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  pruned_through bigint NOT NULL DEFAULT 0,
  pruned_at      timestamptz
);
INSERT INTO outbox_state DEFAULT VALUES;
