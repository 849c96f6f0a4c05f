-- Several hosts, one database (issue 13): which configuration the database follows, and which
-- hosts run against it with what, so that a host whose YAML differs from the applied one reports
-- it instead of undoing the others' connections (docs/operators.md). The app room owns both.

-- One row: the digest of the workspaces and connections last applied from a YAML file (what the
-- config sync writes: secrets' values never, so they are not in it), each item's own digest
-- ({"workspaces": {slug: digest}, "connections": {"ws/name": digest}}, to say which differ), and
-- who applied it, from which file, when and why.
CREATE TABLE config_applied (
  id          boolean PRIMARY KEY DEFAULT true CHECK (id),
  digest      text NOT NULL,
  items       jsonb NOT NULL,
  applied_by  text NOT NULL,               -- "HOSTNAME pid N"
  config_file text NOT NULL,
  reason      text NOT NULL,               -- why that host applied it
  applied_at  timestamptz NOT NULL DEFAULT now()
);

-- Every `serve` that runs now, with the digest of its own YAML. A host holds the shared advisory
-- lock (Trib, 5) on one session while it runs; a row whose session holds it is live, the others
-- are left by hosts that are gone (the next host to register deletes them), so a host that
-- crashes stops counting the moment PostgreSQL ends its session. Keyed by that session's pid.
CREATE TABLE config_hosts (
  backend_pid integer PRIMARY KEY,
  host        text NOT NULL,               -- "HOSTNAME pid N"
  role        text NOT NULL CHECK (role IN ('all', 'worker')),
  config_file text NOT NULL,
  digest      text NOT NULL,
  version     text NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now()
);

-- The hosts running now: SELECT * FROM config_hosts_running.
CREATE VIEW config_hosts_running AS
SELECT h.*
FROM config_hosts h
WHERE EXISTS (
  SELECT 1 FROM pg_locks l
  WHERE l.locktype = 'advisory' AND l.granted AND l.pid = h.backend_pid
    AND l.classid = 1416784226::oid AND l.objid = 5::oid AND l.objsubid = 2
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()));
