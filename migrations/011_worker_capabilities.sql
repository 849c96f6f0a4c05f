-- Several hosts on one database: workers say what they can run, and jobs remember who could not.
--
-- In a rolling deploy a worker may lack a job's plugin (or the plugin version it needs, or the
-- connection in its YAML). It leaves such a job for a host that can run it, using no attempt,
-- and is not offered it again (declined_by). The host that leads maintenance marks a job that no
-- running worker can run (wait_reason 'no_worker', with the reason in last_error), from the
-- workers' own word in `workers`.

CREATE TABLE workers (
  id            text PRIMARY KEY,             -- hostname:pid:bootid
  host          text NOT NULL,
  kinds         text[] NOT NULL,              -- job kinds it runs
  connections   uuid[],                       -- connections it can run; NULL: any
  connection_kinds text[] NOT NULL DEFAULT '{}',  -- the kinds `connections` limits (sync, backfill)
  plugins       jsonb NOT NULL DEFAULT '{}',  -- {name: version} loaded
  started_at    timestamptz NOT NULL DEFAULT now(),
  heartbeat_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE jobs ADD COLUMN declined_by text[] NOT NULL DEFAULT '{}';
ALTER TABLE jobs DROP CONSTRAINT jobs_wait_reason_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_wait_reason_check
  CHECK (wait_reason IN ('backoff', 'quota', 'rate_limit', 'shutdown', 'declined', 'no_worker'));
