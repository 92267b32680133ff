-- The WhatsApp Web gateways (Evolution API, Z-API, WPPConnect) bring what the Cloud API did not:
-- the member of a group who wrote a message, deletions for everyone, and a session on a phone
-- that drops and asks for a QR code to be scanned.

-- JSON {id, phone, name}: who in a group wrote the message (the conversation is the group's).
ALTER TABLE messages ADD COLUMN sender TEXT;
-- Deleted for everyone by its author: the row stays, marked, so nothing is lost.
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;

-- JSON {state, qr}: a gateway session as its last event or connect call left it, at
-- connection_at; an older report never overwrites a newer one.
ALTER TABLE channels ADD COLUMN connection TEXT;
ALTER TABLE channels ADD COLUMN connection_at INTEGER;

-- message_arrivals (0006) takes the sender too. The contact part is unchanged.
DROP VIEW message_arrivals;

CREATE VIEW message_arrivals AS
SELECT NULL AS contact_id, NULL AS conversation_id, NULL AS tenant_id, NULL AS channel_id,
       NULL AS identity_1, NULL AS identity_2, NULL AS identity_3, NULL AS name,
       NULL AS phone_e164, NULL AS at,
       NULL AS id, NULL AS provider_message_id, NULL AS direction, NULL AS type, NULL AS text,
       NULL AS content, NULL AS preview, NULL AS context, NULL AS referral,
       NULL AS reply_to_provider_id, NULL AS provider_ts, NULL AS status, NULL AS status_rank,
       NULL AS status_at, NULL AS sender
WHERE 0;

CREATE TRIGGER message_arrivals_insert INSTEAD OF INSERT ON message_arrivals
BEGIN
    INSERT INTO contact_arrivals (contact_id, conversation_id, tenant_id, channel_id, identity_1,
                                  identity_2, identity_3, name, phone_e164, at)
    VALUES (NEW.contact_id, NEW.conversation_id, NEW.tenant_id, NEW.channel_id, NEW.identity_1,
            NEW.identity_2, NEW.identity_3, NEW.name, NEW.phone_e164, NEW.at);

    INSERT INTO messages (id, tenant_id, channel_id, conversation_id, provider_message_id,
                          direction, type, text, content, preview, context, referral,
                          reply_to_provider_id, provider_ts, received_at, status, status_rank,
                          status_at, sender)
    SELECT NEW.id, NEW.tenant_id, NEW.channel_id,
           (SELECT id FROM conversations WHERE channel_id = NEW.channel_id AND contact_id =
               COALESCE(
                   (SELECT contact_id FROM contact_identities
                    WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_1),
                   (SELECT contact_id FROM contact_identities
                    WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_2),
                   (SELECT contact_id FROM contact_identities
                    WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_3))),
           NEW.provider_message_id, NEW.direction, NEW.type, NEW.text, NEW.content, NEW.preview,
           NEW.context, NEW.referral, NEW.reply_to_provider_id, NEW.provider_ts, NEW.at,
           NEW.status, NEW.status_rank, NEW.status_at, NEW.sender
    WHERE true
    ON CONFLICT (channel_id, provider_message_id) DO NOTHING;
END;
