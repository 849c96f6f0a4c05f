-- Events about a workspace or the whole host, not only a connection's runs.
--
-- The outbox (events) was written only by sync runs, so every event had a workspace. The
-- queue's and the webhooks' own events (queue.backlog, webhook.endpoint_disabled) concern the
-- host or a workspace: an event's scope is now the host (no workspace), a workspace (no
-- connection) or a connection. A connection's event still names its workspace.

ALTER TABLE events ALTER COLUMN workspace_id DROP NOT NULL;
ALTER TABLE events ADD CONSTRAINT events_scope CHECK (connection_id IS NULL OR workspace_id IS NOT NULL);
