-- job.discarded (docs/webhooks.md): whenever a job of a workspace runs out of attempts, by any
-- path (a worker's report, a timeout, a lost lease or worker), the transaction that discards it
-- also writes the event to the outbox, as engine::outbox::emit does: under the outbox's order
-- lock (db::advisory::kClass 0x54726962 = 1416784226, kOutboxOrder 2), so that positions commit
-- in order. A retry of the job (tributary jobs retry) and a discard again emit again.
CREATE FUNCTION jobs_discarded_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1416784226, 2);
  INSERT INTO events (workspace_id, connection_id, job_id, type, payload)
  VALUES (NEW.workspace_id, NEW.connection_id, NEW.id, 'job.discarded',
          jsonb_build_object('kind', NEW.kind, 'attempts', NEW.attempts, 'max_attempts', NEW.max_attempts,
                             'error', NEW.last_error));
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_discarded_event AFTER UPDATE OF status ON jobs
  FOR EACH ROW WHEN (NEW.status = 'discarded' AND OLD.status IS DISTINCT FROM 'discarded'
                     AND NEW.workspace_id IS NOT NULL)
  EXECUTE FUNCTION jobs_discarded_event();
