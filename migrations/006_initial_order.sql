-- Watermarks after initial syncs that do not read in modification order.
--
-- A stream's watermark is the largest source modification time committed. That is sound for
-- an initial sync that pages by modification time: anything changed while it ran is newer than
-- what it read last. A source listed by id (or any other order) breaks it: a record read early
-- and changed later keeps an older time than records read after it, and the next incremental,
-- starting at the watermark minus the overlap, would never see the change. So the engine
-- notes whether an initial sync's records came in modification order, and when they did not,
-- the next incremental starts from the newest time in the sync's first committed batch
-- instead (minus the overlap): no later than the sync began, as seen by the source's clock,
-- as long as the first page took less than the overlap window to read.

ALTER TABLE stream_state
  ADD COLUMN initial_floor         timestamptz,                  -- the first committed batch's newest time
  ADD COLUMN initial_last_modified timestamptz,                  -- the newest time committed so far
  ADD COLUMN initial_unordered     boolean NOT NULL DEFAULT false;

-- An initial sync already under way when this runs: what it read before is of unknown order and
-- began at an unknown time, so its floor is the beginning of time. Should it turn out not to be
-- in order, the next incremental reads everything once.
UPDATE stream_state SET initial_floor = 'epoch'::timestamptz WHERE cursor_mode = 'initial';
