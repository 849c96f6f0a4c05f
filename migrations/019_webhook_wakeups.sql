-- The dispatcher's wake-ups (webhooks::Dispatcher), only for a delivery that became sendable
-- now: a new one (a fan-out, a test event), or one made pending and due again (a redelivery, a
-- recovery, a retry of no wait). 018's statement trigger also fired on every attempt's record,
-- waking every host's fan-out and senders once per attempt; a retry put off is found by the
-- senders themselves, which sleep until the soonest due one.
DROP TRIGGER webhook_deliveries_notify ON webhook_deliveries;
CREATE TRIGGER webhook_deliveries_notify_new AFTER INSERT ON webhook_deliveries
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_deliveries_notify();
CREATE TRIGGER webhook_deliveries_notify_due AFTER UPDATE OF status, next_attempt_at ON webhook_deliveries
  FOR EACH ROW WHEN (NEW.status = 'pending' AND NEW.claimed_until IS NULL AND NEW.next_attempt_at <= now()
                     AND (OLD.status <> 'pending' OR OLD.next_attempt_at > now() OR OLD.claimed_until IS NOT NULL))
  EXECUTE FUNCTION webhook_deliveries_notify();
