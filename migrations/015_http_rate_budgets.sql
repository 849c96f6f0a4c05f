-- The host's HTTP client (issue 15): rate-limit budgets shared by every job, connection and
-- host using one vendor account. One row per (account, class), advanced by the functions
-- below in one round trip per request: a GCRA ("generic cell rate algorithm") whose
-- theoretical arrival time `tat_us` moves on by the request's cost each time a slot is given.
-- All times are the database's clock (epoch microseconds), so hosts whose clocks differ still
-- space their requests correctly; a host only ever sleeps the difference it is told.
CREATE TABLE http_rate_budgets (
  account       text NOT NULL,  -- rate_limit.account, or a hash of the connection's credential
  class         text NOT NULL,  -- a rate-limit class the connector declares
  tat_us        bigint NOT NULL DEFAULT 0,
  -- Nothing is sent before this: a Retry-After, a quota wait or a vendor's "0 left until T".
  hold_until_us bigint NOT NULL DEFAULT 0,
  -- Quota waits in a row without a success of the class since: a quota with no reset time is
  -- re-checked after http.quota_recheck, doubled each time.
  quota_waits   integer NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account, class)
);

CREATE FUNCTION http_now_us() RETURNS bigint LANGUAGE sql VOLATILE AS
$$ SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint $$;

-- Reserves one slot in each of the classes given (a request counts against its class and the
-- connector's every-request classes), all or none: when the latest of their slots is more than
-- p_max_wait_us away, nothing is reserved and granted is false. cost_us is the request's cost
-- times the class's emission interval; tau_us the burst it tolerates (0: evenly spaced).
-- Rows are locked in class order, so two hosts never deadlock.
CREATE FUNCTION http_rate_reserve(p_account text, p_classes text[], p_cost_us bigint[], p_tau_us bigint[],
                                  p_max_wait_us bigint)
RETURNS TABLE (granted boolean, slot_us bigint, now_us bigint, waiting_class text, quota_waits integer)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_now bigint;
  v_slot bigint := 0;
  v_class text := NULL;
  v_waits integer := 0;
  v_row record;
  v_i integer;
  v_tats bigint[] := ARRAY[]::bigint[];
  v_order integer[];
BEGIN
  INSERT INTO http_rate_budgets (account, class)
    SELECT p_account, c FROM unnest(p_classes) AS c ORDER BY c
    ON CONFLICT DO NOTHING;
  SELECT array_agg(i ORDER BY p_classes[i]) INTO v_order FROM generate_subscripts(p_classes, 1) AS i;
  FOREACH v_i IN ARRAY v_order LOOP
    SELECT b.tat_us, b.hold_until_us, b.quota_waits INTO v_row FROM http_rate_budgets b
      WHERE b.account = p_account AND b.class = p_classes[v_i] FOR UPDATE;
    v_tats[v_i] := v_row.tat_us;
    v_now := http_now_us();
    IF greatest(v_row.tat_us - p_tau_us[v_i], v_row.hold_until_us) > v_slot THEN
      v_slot := greatest(v_row.tat_us - p_tau_us[v_i], v_row.hold_until_us);
      v_class := p_classes[v_i];
    END IF;
    v_waits := greatest(v_waits, v_row.quota_waits);
  END LOOP;
  v_now := http_now_us();
  v_slot := greatest(v_slot, v_now);
  IF v_slot - v_now > p_max_wait_us THEN
    RETURN QUERY SELECT false, v_slot, v_now, v_class, v_waits;
    RETURN;
  END IF;
  -- The request goes at v_slot: each class's next arrival moves on from there by its cost.
  FOR v_i IN 1 .. coalesce(array_length(p_classes, 1), 0) LOOP
    UPDATE http_rate_budgets SET tat_us = greatest(v_tats[v_i], v_slot) + p_cost_us[v_i], updated_at = now()
      WHERE account = p_account AND class = p_classes[v_i];
  END LOOP;
  RETURN QUERY SELECT true, v_slot, v_now, v_class, v_waits;
END $$;

-- The vendor's word tightens a class: nothing before now + p_hold_us (a Retry-After, a quota's
-- reset, "0 left"), and no burst beyond what it says is left (the next arrival no earlier than
-- now + p_tat_floor_us). Either may be NULL. A quota wait counts one more wait in a row, and a
-- success of the class (p_success) clears the count. Returns the hold and the count.
CREATE FUNCTION http_rate_tighten(p_account text, p_class text, p_hold_us bigint, p_tat_floor_us bigint,
                                  p_quota_wait boolean, p_success boolean)
RETURNS TABLE (hold_until_us bigint, quota_waits integer, now_us bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_now bigint := http_now_us();
BEGIN
  INSERT INTO http_rate_budgets (account, class) VALUES (p_account, p_class) ON CONFLICT DO NOTHING;
  RETURN QUERY
  UPDATE http_rate_budgets b SET
      hold_until_us = CASE WHEN p_hold_us IS NULL THEN b.hold_until_us ELSE greatest(b.hold_until_us, v_now + p_hold_us) END,
      tat_us = CASE WHEN p_tat_floor_us IS NULL THEN b.tat_us ELSE greatest(b.tat_us, v_now + p_tat_floor_us) END,
      quota_waits = CASE WHEN p_success THEN 0 WHEN p_quota_wait THEN b.quota_waits + 1 ELSE b.quota_waits END,
      updated_at = now()
    WHERE b.account = p_account AND b.class = p_class
    RETURNING b.hold_until_us, b.quota_waits, v_now;
END $$;
