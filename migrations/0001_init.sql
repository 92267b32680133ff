-- Ponte's D1 schema. Every row carries tenant_id and every query filters by it.
-- Times are unix milliseconds.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Only the SHA-256 of a key is stored; the key itself is shown once.
CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    key_hash    TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE channels (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants(id),
    provider            TEXT NOT NULL,
    name                TEXT NOT NULL,
    -- The unguessable path segment of the channel's webhook URL.
    webhook_token       TEXT NOT NULL UNIQUE,
    config              TEXT NOT NULL,          -- JSON, non-secret
    secrets_sealed      TEXT NOT NULL,          -- AES-256-GCM, bound to the channel id
    created_at          INTEGER NOT NULL
);
CREATE INDEX channels_by_tenant ON channels(tenant_id, created_at);

CREATE TABLE contacts (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT,
    phone_e164  TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Aliases (`phone:+5511…`, `wa:…`, `bsuid:…`) that point at one contact, unique per tenant.
CREATE TABLE contact_identities (
    tenant_id   TEXT NOT NULL,
    identity    TEXT NOT NULL,
    contact_id  TEXT NOT NULL REFERENCES contacts(id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, identity)
) WITHOUT ROWID;
CREATE INDEX contact_identities_by_contact ON contact_identities(contact_id);

CREATE TABLE conversations (
    id                    TEXT PRIMARY KEY,
    tenant_id             TEXT NOT NULL REFERENCES tenants(id),
    channel_id            TEXT NOT NULL REFERENCES channels(id),
    contact_id            TEXT NOT NULL REFERENCES contacts(id),
    status                TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'resolved')),
    unread_count          INTEGER NOT NULL DEFAULT 0,
    last_message_id       TEXT,
    last_message_preview  TEXT,
    last_message_at       INTEGER,
    last_inbound_at       INTEGER,
    last_activity_at      INTEGER NOT NULL,
    created_at            INTEGER NOT NULL,
    UNIQUE (channel_id, contact_id)
);
CREATE INDEX conversations_by_activity ON conversations(tenant_id, last_activity_at DESC, id DESC);

CREATE TABLE messages (
    seq                   INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order
    id                    TEXT NOT NULL UNIQUE,
    tenant_id             TEXT NOT NULL,
    channel_id            TEXT NOT NULL,
    conversation_id       TEXT NOT NULL REFERENCES conversations(id),
    provider_message_id   TEXT NOT NULL,
    direction             TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    type                  TEXT NOT NULL,
    text                  TEXT,
    content               TEXT NOT NULL,          -- JSON, tagged by type
    preview               TEXT NOT NULL,
    context               TEXT,                   -- JSON: reply-to and forwarding flags
    referral              TEXT,                   -- JSON
    reply_to_provider_id  TEXT,
    provider_ts           INTEGER NOT NULL,
    received_at           INTEGER NOT NULL,
    -- Delivery status of outbound messages; NULL for inbound. Only moves to a higher rank.
    status                TEXT,
    status_rank           INTEGER NOT NULL DEFAULT -1,
    status_at             INTEGER,
    error_code            INTEGER,
    error_title           TEXT,
    -- Exactly once: a provider message is stored once per channel, however often it is delivered.
    UNIQUE (channel_id, provider_message_id)
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, provider_ts, seq);

-- A status for a message we have not stored yet waits here and is applied when it appears.
CREATE TABLE pending_statuses (
    channel_id            TEXT NOT NULL,
    provider_message_id   TEXT NOT NULL,
    status                TEXT NOT NULL,
    status_rank           INTEGER NOT NULL,
    status_at             INTEGER NOT NULL,
    error_code            INTEGER,
    error_title           TEXT,
    received_at           INTEGER NOT NULL,
    PRIMARY KEY (channel_id, provider_message_id, status)
) WITHOUT ROWID;

CREATE TABLE webhook_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    tenant_id       TEXT NOT NULL,
    channel_id      TEXT NOT NULL,
    provider        TEXT NOT NULL,
    received_at     INTEGER NOT NULL,
    signature_ok    INTEGER NOT NULL,
    outcome         TEXT NOT NULL,   -- stored | ignored | rejected | malformed | storage_failed
    http_status     INTEGER NOT NULL,
    message_count   INTEGER NOT NULL DEFAULT 0,
    status_count    INTEGER NOT NULL DEFAULT 0,
    ignored_count   INTEGER NOT NULL DEFAULT 0,
    error           TEXT,
    body_bytes      INTEGER NOT NULL,
    body            TEXT,            -- inline when small enough for a row
    body_r2_key     TEXT             -- otherwise in R2
);
CREATE INDEX webhook_events_by_tenant ON webhook_events(tenant_id, seq DESC);

-- A stored message moves its conversation forward. Triggers fire only for rows actually
-- inserted, so a duplicate delivery (ON CONFLICT DO NOTHING) changes nothing.
CREATE TRIGGER messages_touch_conversation AFTER INSERT ON messages
BEGIN
    UPDATE conversations SET
        last_activity_at = MAX(last_activity_at, NEW.provider_ts),
        last_message_id = CASE WHEN last_message_at IS NULL OR NEW.provider_ts >= last_message_at
                               THEN NEW.id ELSE last_message_id END,
        last_message_preview = CASE WHEN last_message_at IS NULL OR NEW.provider_ts >= last_message_at
                                    THEN NEW.preview ELSE last_message_preview END,
        last_message_at = MAX(COALESCE(last_message_at, 0), NEW.provider_ts),
        last_inbound_at = CASE WHEN NEW.direction = 'inbound'
                               THEN MAX(COALESCE(last_inbound_at, 0), NEW.provider_ts)
                               ELSE last_inbound_at END,
        unread_count = unread_count + (NEW.direction = 'inbound'),
        status = CASE WHEN NEW.direction = 'inbound' AND status = 'resolved' THEN 'open' ELSE status END
    WHERE id = NEW.conversation_id;
END;

CREATE TRIGGER messages_apply_pending_statuses AFTER INSERT ON messages
WHEN EXISTS (SELECT 1 FROM pending_statuses
             WHERE channel_id = NEW.channel_id AND provider_message_id = NEW.provider_message_id)
BEGIN
    UPDATE messages SET (status, status_rank, status_at, error_code, error_title) = (
        SELECT status, status_rank, status_at, error_code, error_title FROM pending_statuses
        WHERE channel_id = NEW.channel_id AND provider_message_id = NEW.provider_message_id
        ORDER BY status_rank DESC LIMIT 1)
    WHERE seq = NEW.seq AND status_rank < (
        SELECT MAX(status_rank) FROM pending_statuses
        WHERE channel_id = NEW.channel_id AND provider_message_id = NEW.provider_message_id);
    DELETE FROM pending_statuses
    WHERE channel_id = NEW.channel_id AND provider_message_id = NEW.provider_message_id;
END;
