-- The job queue (the seeds' migration 009, grown): one row per unit of background work.
-- Workers claim with FOR UPDATE SKIP LOCKED, hold a lease they renew by heartbeat, and a job
-- whose lease expires is rescued. Finished jobs stay for the retention period; discarded ones
-- (the dead-letter state) stay until someone acts on them.

CREATE TABLE jobs (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind                 text NOT NULL,
  workspace_id         uuid REFERENCES workspaces(id) ON DELETE CASCADE,
  connection_id        uuid REFERENCES connections(id) ON DELETE CASCADE,
  parent_job_id        uuid REFERENCES jobs(id) ON DELETE SET NULL,
  payload              jsonb NOT NULL DEFAULT '{}',
  priority             integer NOT NULL DEFAULT 0,        -- 1 manual, 0 scheduled; higher runs first
  run_at               timestamptz NOT NULL DEFAULT now(),
  status               text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled',
                                         'discarded')),
  wait_reason          text CHECK (wait_reason IN ('backoff', 'quota', 'rate_limit', 'shutdown')),
  attempts             integer NOT NULL DEFAULT 0,
  max_attempts         integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
  last_error           text,
  errors               jsonb NOT NULL DEFAULT '[]',       -- [{attempt, at, kind, error}]
  lease_expires_at     timestamptz,
  heartbeat_at         timestamptz,
  worker_id            text,
  executor             jsonb,                             -- {plugin, version} while it runs
  timeout_ms           bigint NOT NULL CHECK (timeout_ms > 0),
  unique_key           text,
  progress             jsonb NOT NULL DEFAULT '{}',       -- {current, total, message}
  result               jsonb,
  cancel_requested_at  timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  started_at           timestamptz,
  completed_at         timestamptz
);

-- Polling: the next runnable job by priority, then run_at, then age.
CREATE INDEX jobs_poll ON jobs (priority DESC, run_at, created_at) WHERE status = 'pending';
-- Partial where they can be, so that jobs without a workspace, connection or unique key (the
-- bulk of internal work) cost no index entries there: every status change writes a new row
-- version into each index that covers it.
CREATE INDEX jobs_workspace ON jobs (workspace_id, created_at DESC) WHERE workspace_id IS NOT NULL;
CREATE INDEX jobs_kind_status ON jobs (kind, status);
-- At most one running job per (workspace, connection, kind).
CREATE UNIQUE INDEX jobs_one_running ON jobs (workspace_id, connection_id, kind)
  WHERE status = 'running' AND connection_id IS NOT NULL;
-- Enqueueing an equal job while one is pending or running returns that one.
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key)
  WHERE unique_key IS NOT NULL AND status IN ('pending', 'running');
-- The claim's sibling checks: pending jobs of one connection and kind.
CREATE INDEX jobs_pending_connection ON jobs (connection_id, kind)
  WHERE status = 'pending' AND connection_id IS NOT NULL;
-- Rescue: expired leases, and the jobs of a dead worker (few rows: only running ones).
CREATE INDEX jobs_lease ON jobs (lease_expires_at, worker_id) WHERE status = 'running';
-- Pruning by age: BRIN, nearly free to maintain, since rows finish roughly in table order.
CREATE INDEX jobs_finished ON jobs USING brin (completed_at);

-- Every insert wakes the workers (one notification per statement).
CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tributary_jobs', '');
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_notify AFTER INSERT ON jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify();

ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_job_fk FOREIGN KEY (job_id) REFERENCES jobs(id) ON DELETE SET NULL;
CREATE INDEX sync_runs_job ON sync_runs (job_id);
