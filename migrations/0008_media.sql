-- Media in R2. An inbound message's attachment gets a row when the message is first stored (in
-- the same batch, so a redelivered webhook adds nothing); media-fetch claims it, copies the bytes
-- under the tenant's prefix and marks it ready, or failed with the reason. The message itself
-- never waits for its media and never goes away because of it. A file uploaded to be sent
-- (POST /v1/media) is ready at once and gets its message when it is sent.
CREATE TABLE media (
    id             TEXT PRIMARY KEY,            -- med_…: also the name in /media/{id}
    tenant_id      TEXT NOT NULL,
    channel_id     TEXT,                        -- NULL for an upload not sent yet
    message_id     TEXT UNIQUE,                 -- one attachment per message; NULL until sent
    source         TEXT NOT NULL,               -- JSON: the provider's reference (id, url, sha256…)
    status         TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    -- One copier at a time: a claim holds the row until then.
    claimed_until  INTEGER,
    error          TEXT,
    r2_key         TEXT,                        -- every object in R2 is findable from here
    content_type   TEXT,
    size           INTEGER,
    sha256         TEXT,                        -- hex
    filename       TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX media_by_tenant ON media(tenant_id, created_at);
