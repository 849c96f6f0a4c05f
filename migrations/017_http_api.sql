-- The HTTP API (issue 17): its tokens, its audit log, a pause that the YAML sync never touches,
-- workspace syncs as one passive parent job over one child per connection, pushes for the event
-- streams, and the HTTP client's per-vendor counters summed over every worker process.

-- API tokens: only a SHA-256 of each is kept (the token itself is shown once). An admin token
-- reaches everything; a workspace token only its workspace; a stream token only the event stream
-- of one job, for a short while (a browser's EventSource cannot send a header).
CREATE TABLE api_tokens (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('admin', 'workspace', 'stream')),
  workspace_id  uuid REFERENCES workspaces (id) ON DELETE CASCADE,
  job_id        uuid,
  hash          text NOT NULL UNIQUE,             -- SHA-256 of the token, hex
  prefix        text NOT NULL,                -- the token's first characters, to tell tokens apart
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  last_used_at  timestamptz,
  revoked_at    timestamptz,
  CHECK ((kind = 'admin') = (workspace_id IS NULL)),
  CHECK ((kind = 'stream') = (job_id IS NOT NULL))
);
CREATE INDEX api_tokens_expiry ON api_tokens (expires_at) WHERE expires_at IS NOT NULL;

-- Who started, cancelled, retried, replayed, paused or ran what.
CREATE TABLE api_audit (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT now(),
  token_id      uuid,
  token_name    text NOT NULL,
  workspace_id  uuid,
  action        text NOT NULL,                -- sync.start, job.cancel, job.retry, records.replay, ...
  target        text NOT NULL,
  details       jsonb NOT NULL DEFAULT '{}',
  client        text
);
CREATE INDEX api_audit_at ON api_audit (at);

-- A pause set over the API: the YAML sync writes `enabled`, never these, so a pause survives a
-- restart and a changed YAML alike. The scheduler skips a paused connection; a sync request
-- answers 409 for it.
ALTER TABLE connections ADD COLUMN paused_at timestamptz;
ALTER TABLE connections ADD COLUMN paused_by text;

-- A passive job runs nowhere (no worker has its kind): a workspace sync's parent, whose children
-- are the connections' syncs. It is stored as running until its last child ends; then the
-- trigger below settles it, in that child's transaction. The parent's row is locked first, so
-- that of two children ending at once the later one sees the earlier one's end.
ALTER TABLE jobs ADD COLUMN passive boolean NOT NULL DEFAULT false;
CREATE INDEX jobs_parent ON jobs (parent_job_id) WHERE parent_job_id IS NOT NULL;

CREATE FUNCTION jobs_settle_parent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  open_children int;
  failed_children int;
  cancelled_children int;
  all_children int;
BEGIN
  PERFORM 1 FROM jobs WHERE id = NEW.parent_job_id AND passive AND status = 'running' FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT count(*) FILTER (WHERE status IN ('pending', 'running')),
         count(*) FILTER (WHERE status IN ('failed', 'discarded')),
         count(*) FILTER (WHERE status = 'cancelled'),
         count(*)
    INTO open_children, failed_children, cancelled_children, all_children
    FROM jobs WHERE parent_job_id = NEW.parent_job_id;
  IF open_children = 0 THEN
    UPDATE jobs SET status = CASE WHEN failed_children > 0 THEN 'failed'
                                  WHEN cancelled_children = all_children THEN 'cancelled'
                                  ELSE 'completed' END,
                    completed_at = now()
     WHERE id = NEW.parent_job_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_settle_parent AFTER UPDATE OF status ON jobs FOR EACH ROW
  WHEN (NEW.parent_job_id IS NOT NULL AND NEW.status IN ('completed', 'failed', 'cancelled', 'discarded')
        AND OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION jobs_settle_parent();

-- Changes of jobs' status and new events are pushed to the API's event streams: one
-- notification per statement, not per row (a queue completing a thousand jobs at once sends
-- one), which tells the streams' hub to look again at the jobs it follows.
CREATE FUNCTION jobs_notify_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tributary_job_state', '');
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_notify_state AFTER UPDATE OF status ON jobs FOR EACH STATEMENT
  EXECUTE FUNCTION jobs_notify_state();

-- A stream reads the events of the jobs it follows from their position on.
CREATE INDEX events_job ON events (job_id, id) WHERE job_id IS NOT NULL;

CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tributary_events', '');
  RETURN NULL;
END $$;
CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION events_notify();

-- The HTTP client's counters per vendor, summed over every worker process of every host: each
-- process adds what it counted since its last flush. Monotonic, as Prometheus counters are.
CREATE TABLE http_vendor_counters (
  vendor   text NOT NULL,
  counter  text NOT NULL,
  value    bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (vendor, counter)
);

-- GET /api/workspaces/{id}/records/{entity} pages a workspace's rows in the order they changed
-- here (updated_at, then the key): one index per table so that a page costs its rows.
CREATE INDEX deals_changes ON deals (workspace_id, updated_at, source, source_id);
CREATE INDEX contacts_changes ON contacts (workspace_id, updated_at, source, source_id);
CREATE INDEX accounts_changes ON accounts (workspace_id, updated_at, source, source_id);
CREATE INDEX calls_changes ON calls (workspace_id, updated_at, source, source_id);
CREATE INDEX documents_changes ON documents (workspace_id, updated_at, source, source_id);
CREATE INDEX tasks_changes ON tasks (workspace_id, updated_at, source, source_id);
CREATE INDEX records_changes ON records (workspace_id, updated_at, source, stream, source_id);
