-- Every row carries its tenant, as DESIGN.md's data rules say: a status waiting for its message
-- (pending_statuses) had only its channel. Rows already waiting take their channel's tenant.
-- SQLite cannot add a NOT NULL column without a default to a table with rows; the one insert
-- (shared/edge/src/store/inbound.rs, KEEP_PENDING_STATUS) always sets it.
ALTER TABLE pending_statuses ADD COLUMN tenant_id TEXT;
UPDATE pending_statuses
   SET tenant_id = (SELECT tenant_id FROM channels WHERE channels.id = pending_statuses.channel_id);
CREATE INDEX pending_statuses_by_tenant ON pending_statuses(tenant_id, received_at);
