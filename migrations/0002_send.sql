-- Sending: a message exists (as `queued`) before the provider knows it, so its provider id
-- becomes nullable; the send's own bookkeeping lives beside it. SQLite cannot relax NOT NULL in
-- place, so `messages` is rebuilt, and its triggers with it.

PRAGMA defer_foreign_keys = true;

CREATE TABLE messages_new (
    seq                   INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order
    id                    TEXT NOT NULL UNIQUE,
    tenant_id             TEXT NOT NULL,
    channel_id            TEXT NOT NULL,
    conversation_id       TEXT NOT NULL REFERENCES conversations(id),
    -- NULL only while an outbound message has not been accepted by the provider.
    provider_message_id   TEXT,
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
    status                TEXT,
    status_rank           INTEGER NOT NULL DEFAULT -1,
    status_at             INTEGER,
    error_code            INTEGER,
    error_title           TEXT,
    -- Sends from the API: the provider request body (never the token), attempts made, and until
    -- when one sender holds the message, so that two senders never call the provider at once.
    provider_request      TEXT,
    send_attempts         INTEGER NOT NULL DEFAULT 0,
    send_claimed_until    INTEGER,
    UNIQUE (channel_id, provider_message_id)
);

INSERT INTO messages_new (seq, id, tenant_id, channel_id, conversation_id, provider_message_id, direction,
    type, text, content, preview, context, referral, reply_to_provider_id, provider_ts, received_at,
    status, status_rank, status_at, error_code, error_title)
SELECT seq, id, tenant_id, channel_id, conversation_id, provider_message_id, direction,
    type, text, content, preview, context, referral, reply_to_provider_id, provider_ts, received_at,
    status, status_rank, status_at, error_code, error_title
FROM messages;

DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX messages_by_conversation ON messages(conversation_id, provider_ts, seq);
-- The 24-hour window and mark-as-read look up the last inbound message of a conversation.
CREATE INDEX messages_inbound_by_conversation ON messages(conversation_id, provider_ts)
    WHERE direction = 'inbound';

-- Same as 0001: a stored message moves its conversation forward.
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

-- A status that arrived before its message: applied when the message is stored, or, for our own
-- sends, when the provider's id is recorded (Meta's `sent` webhook can beat the API's answer).
CREATE TRIGGER messages_apply_pending_statuses AFTER INSERT ON messages
WHEN NEW.provider_message_id IS NOT NULL AND EXISTS (SELECT 1 FROM pending_statuses
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

CREATE TRIGGER messages_apply_pending_statuses_on_accept AFTER UPDATE OF provider_message_id ON messages
WHEN OLD.provider_message_id IS NULL AND NEW.provider_message_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM pending_statuses
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

-- `Idempotency-Key` on POST /v1/messages: the same key and body give the same message, once.
CREATE TABLE idempotency_keys (
    tenant_id     TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,     -- SHA-256 of the request body
    message_id    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;

-- Sends that exhausted their retries (the dead letter queue's consumer writes here).
CREATE TABLE dead_letters (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX dead_letters_by_tenant ON dead_letters(tenant_id, seq DESC);
