-- Links between records (connector ABI 1.1, emit_link): HubSpot's associations, Salesforce's
-- lookups. One row per (connection, link type, from id, to id); a link the source removed keeps
-- its row with deleted_at set, and a link emitted again clears it. The engine writes them in the
-- same transaction as the batch they were emitted in.
--
-- from_id and to_id are source ids, as in the canonical tables' source_id; from_entity and
-- to_entity are the link type's canonical entities, so a reader joins
-- `record_links l JOIN deals d ON d.connection_id = l.connection_id AND d.source_id = l.from_id`.
-- Like the canonical tables, no foreign keys: each check would cost every one of the links a
-- big association pass writes, and the engine is the only writer.

CREATE TABLE record_links (
  workspace_id   uuid NOT NULL,
  connection_id  uuid NOT NULL,
  type           text NOT NULL,          -- the link type's name, as the plugin declares it
  from_entity    text NOT NULL,
  from_id        text NOT NULL,
  to_entity      text NOT NULL,
  to_id          text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- When the link last changed: created, removed, or emitted again after a removal. A link
  -- emitted again unchanged is not rewritten (as a record whose digest is unchanged).
  updated_at     timestamptz NOT NULL DEFAULT now(),
  deleted_at     timestamptz,            -- the source removed it
  last_run_id    uuid,                   -- the run that last changed it (sync_runs.id)
  -- The order links were first stored in (a batch's in emit order): among a row's live links of
  -- one type, the newest by (updated_at, seq) is the one its owned column falls back to. Not
  -- indexed, and no surrogate key: each index costs every link written.
  seq            bigint GENERATED ALWAYS AS IDENTITY,
  -- The key, and the `from` direction: the links of one record ("this deal's accounts").
  CONSTRAINT record_links_from PRIMARY KEY (connection_id, type, from_id, to_id)
);

-- The `to` direction: the records linked to one record ("this account's deals": connection_id,
-- to_entity 'accounts', to_id; add type to narrow it). Not (connection_id, type, to_id): the
-- engine looks links up by the key, and on a table without statistics yet (a first sync) the
-- planner took an index with type and to_id for those lookups too, scanning every link to the
-- same target for each one (a sync of 100,000 deals took a minute instead of seconds).
CREATE INDEX record_links_to ON record_links (connection_id, to_entity, to_id);
