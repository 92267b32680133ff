-- A provider's second id for a message (GupShup names our sends by its own id, and after a week
-- by WhatsApp's alone): a status names the message by either.
ALTER TABLE messages ADD COLUMN provider_alias_id TEXT;
CREATE INDEX messages_provider_alias ON messages (channel_id, provider_alias_id)
    WHERE provider_alias_id IS NOT NULL;
