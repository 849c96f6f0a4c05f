-- ABI 1.1 (issue 14): the state a stream carries from run to run, and follow-up jobs.

-- A stream's carried state: the position a plugin gives with set_stream_state (a changes
-- feed's token, a board's last position), which, unlike `cursor`, outlives a completed run:
-- the next run of the stream gets it in state_json. It commits with the batch of the next
-- checkpoint (or when the hook returns OK), so a resumed run gets the state that goes with its
-- cursor. A requested full resync (`sync --mode initial`) drops it when it starts.
ALTER TABLE stream_state ADD COLUMN carried_state jsonb;
ALTER TABLE stream_state ADD COLUMN carried_state_at timestamptz;  -- when it was committed
ALTER TABLE stream_state ADD COLUMN carried_state_job_id uuid;     -- the job whose run committed it

-- Follow-up jobs (request_follow_up) are de-duplicated while pending: a run that asks for a
-- backfill or a resync of a stream while one is pending joins that one (a backfill's window is
-- widened to cover both). A follow-up already running does not count, since its read began
-- before the changes that made this run ask. Not unique: a retried job that goes back to
-- pending may meet a newer one, which is harmless; new requests join the older.
ALTER TABLE jobs ADD COLUMN pending_key text;
CREATE INDEX jobs_pending_key ON jobs (pending_key) WHERE pending_key IS NOT NULL AND status = 'pending';
