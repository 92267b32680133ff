-- A message seen on a channel, with its contact, in one statement instead of two: inserting into
-- `message_arrivals` lets its contact arrive (the `contact_arrivals` view) and stores the message
-- exactly once in that contact's conversation. Most webhooks carry one message; this halves the
-- statements of their batch beside the event log's row.
--
-- Nothing is returned: a message was stored by this statement exactly when a row with the id it
-- brought (`id`, fresh for every arrival) exists afterwards.
CREATE VIEW message_arrivals AS
SELECT NULL AS contact_id, NULL AS conversation_id, NULL AS tenant_id, NULL AS channel_id,
       NULL AS identities, NULL AS name, NULL AS phone_e164, NULL AS at,
       NULL AS id, NULL AS provider_message_id, NULL AS direction, NULL AS type, NULL AS text,
       NULL AS content, NULL AS preview, NULL AS context, NULL AS referral,
       NULL AS reply_to_provider_id, NULL AS provider_ts, NULL AS status, NULL AS status_rank,
       NULL AS status_at
WHERE 0;

CREATE TRIGGER message_arrivals_insert INSTEAD OF INSERT ON message_arrivals
BEGIN
    INSERT INTO contact_arrivals (contact_id, conversation_id, tenant_id, channel_id, identities,
                                  name, phone_e164, at)
    VALUES (NEW.contact_id, NEW.conversation_id, NEW.tenant_id, NEW.channel_id, NEW.identities,
            NEW.name, NEW.phone_e164, NEW.at);

    -- A NULL conversation (which would mean a bug above) violates NOT NULL and fails the whole
    -- batch loudly, so the provider retries, rather than silently dropping the message.
    INSERT INTO messages (id, tenant_id, channel_id, conversation_id, provider_message_id,
                          direction, type, text, content, preview, context, referral,
                          reply_to_provider_id, provider_ts, received_at, status, status_rank,
                          status_at)
    SELECT NEW.id, NEW.tenant_id, NEW.channel_id,
           (SELECT id FROM conversations WHERE channel_id = NEW.channel_id AND contact_id =
               (SELECT contact_id FROM contact_identities WHERE tenant_id = NEW.tenant_id
                AND identity IN (SELECT value FROM json_each(NEW.identities)) LIMIT 1)),
           NEW.provider_message_id, NEW.direction, NEW.type, NEW.text, NEW.content, NEW.preview,
           NEW.context, NEW.referral, NEW.reply_to_provider_id, NEW.provider_ts, NEW.at,
           NEW.status, NEW.status_rank, NEW.status_at
    WHERE true
    ON CONFLICT (channel_id, provider_message_id) DO NOTHING;
END;
