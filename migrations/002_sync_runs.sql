-- One row per sync of one connection: the seeds' sync_log, with its gaps closed (a metadata
-- column for progress, and the (workspace_id, status) index its lock check lacked).

CREATE TABLE sync_runs (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id    uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  connection_id   uuid REFERENCES connections(id) ON DELETE CASCADE,
  connector       text NOT NULL,                   -- the seeds' connector_type
  job_id          uuid,
  mode            text NOT NULL DEFAULT 'incremental'
                  CHECK (mode IN ('initial', 'incremental', 'backfill')),
  sync_type       text NOT NULL DEFAULT 'manual'
                  CHECK (sync_type IN ('manual', 'scheduled', 'backfill')),
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'completed', 'completed_with_errors',
                                    'failed', 'cancelled')),
  dry_run         boolean NOT NULL DEFAULT false,
  records_synced  bigint NOT NULL DEFAULT 0,
  errors          jsonb NOT NULL DEFAULT '[]',
  metadata        jsonb NOT NULL DEFAULT '{}',     -- progress {current,total,message}, per-stream counts
  duration_ms     bigint,
  started_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz
);

CREATE INDEX sync_runs_workspace_started ON sync_runs (workspace_id, started_at DESC);
CREATE INDEX sync_runs_workspace_status ON sync_runs (workspace_id, status);
CREATE INDEX sync_runs_connection_started ON sync_runs (connection_id, started_at DESC);
CREATE INDEX sync_runs_running ON sync_runs (status) WHERE status = 'running';
