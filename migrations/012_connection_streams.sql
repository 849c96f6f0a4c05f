-- Streams discovered per connection (connector ABI 1.1, issue 14).
--
-- A connector with a discover hook finds its streams per instance, by I/O (a PostgreSQL source:
-- the tables it can read). Only workers run plugin code, so a worker runs the hook, before each
-- sync and for a `discover` job (`tributary connections discover`), and stores the list here;
-- the API process and the CLI (`tributary connections streams`) read it and load no plugin.
--
-- One row per connection, its list replaced whole by each successful discovery, so that a
-- reader never sees half of one discovery and half of another. A discovery that fails (a bad
-- stream, an unreachable source) keeps the stored list and says why in last_error, cleared by
-- the next success. A connector without a discover hook has the streams its descriptor declares:
-- a `discover` job stores those, with discovered = false.
CREATE TABLE connection_streams (
  connection_id     uuid PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
  -- [{name, primary_key, cursor_field, entity, description, flags}] in the plugin's order, flags
  -- as names ("modification_order", "full_refresh"), as `tributary plugins list --json` lists a
  -- descriptor's streams. NULL until a discovery succeeds; [] when one found none.
  streams           jsonb,
  discovered        boolean NOT NULL DEFAULT true,  -- false: the descriptor's streams (no discover hook)
  plugin            text,                           -- the connector that found them, and its version
  plugin_version    text,
  discovered_at     timestamptz,
  job_id            uuid,                           -- the job (discover or sync) that found them
  last_error        text,                           -- the last discovery that failed after them
  last_error_at     timestamptz,
  last_error_job_id uuid
);

-- A stream that can only be read whole (TRIBUTARY_STREAM_FULL_REFRESH) runs a full refresh every
-- time, so its connection's scheduled syncs get an initial sync's timeout (queue.timeouts.initial),
-- not an incremental one's. Set by every run of the stream from its flags.
ALTER TABLE stream_state ADD COLUMN read_whole boolean NOT NULL DEFAULT false;
