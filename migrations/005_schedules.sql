-- The scheduler. Each connection's schedule has a time zone and a misfire policy (from its YAML),
-- and its next slot to fire is kept here, written by the leader in the same transaction as the
-- job it enqueues for a slot: a failover never fires a slot twice, and slots missed while every
-- host was down are told apart from slots that are merely due.

ALTER TABLE connections
  ADD COLUMN schedule_timezone text,              -- IANA name, e.g. Europe/Berlin; null: UTC
  ADD COLUMN misfire text                         -- null: the host's scheduler.misfire
             CHECK (misfire IN ('run_once', 'skip'));

CREATE TABLE schedule_state (
  connection_id     uuid PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
  -- The expression and zone next_slot was computed for. When the connection's differ, the
  -- schedule starts afresh from the time the leader notices.
  schedule          text NOT NULL,
  schedule_timezone text NOT NULL,
  next_slot         timestamptz NOT NULL,         -- the next slot to fire
  last_slot         timestamptz,                  -- the last slot handled, whatever the outcome
  last_outcome      text CHECK (last_outcome IN ('queued', 'already_queued', 'busy',
                                                 'misfire_skipped')),
  last_job_id       uuid,                         -- the job queued, or the busy one skipped for
  armed_at          timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX schedule_state_next_slot ON schedule_state (next_slot);

-- Which host leads the scheduler now: the session holding its advisory lock (the two-int4 key
-- 0x54726962 'Trib', 1). Empty while no host runs a scheduler.
CREATE VIEW scheduler_leader AS
SELECT a.application_name, a.client_addr, a.backend_start, a.pid
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted
  AND l.classid = 1416784226::oid AND l.objid = 1::oid AND l.objsubid = 2
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database());
