-- The arrival views (0004 contact_arrivals, 0005 message_arrivals) take a contact's identity keys
-- as three columns, most specific first, instead of one JSON array.
--
-- Each lookup of "the contact known by any of these keys" ran `identity IN (SELECT value FROM
-- json_each(...))`: a JSON parse and an ephemeral table per lookup, and a message makes five of
-- them. Now a lookup is up to three primary-key probes, taken in the keys' order, so the most
-- specific key decides when two keys know different contacts (before, the keys' sort order did).
-- A message's statement costs about 30% fewer SQLite instructions (measured with callgrind on the
-- same data: 436k against 621k per message, for a contact already known).
--
-- A contact has at most three keys: phone, WhatsApp id, business-scoped user id
-- (ponte_core::identity::ContactRef::identity_keys). Unused columns are NULL.
DROP VIEW message_arrivals;
DROP VIEW contact_arrivals;

CREATE VIEW contact_arrivals AS
SELECT NULL AS contact_id, NULL AS conversation_id, NULL AS tenant_id, NULL AS channel_id,
       NULL AS identity_1, NULL AS identity_2, NULL AS identity_3, NULL AS name,
       NULL AS phone_e164, NULL AS at
WHERE 0;

-- The same four steps as 0004. "The contact known by the keys" is the COALESCE of one probe per
-- key: the contact of the first key that has one.
CREATE TRIGGER contact_arrivals_insert INSTEAD OF INSERT ON contact_arrivals
BEGIN
    INSERT INTO contacts (id, tenant_id, name, phone_e164, created_at, updated_at)
    SELECT NEW.contact_id, NEW.tenant_id, NEW.name, NEW.phone_e164, NEW.at, NEW.at
    WHERE COALESCE(
              (SELECT contact_id FROM contact_identities
               WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_1),
              (SELECT contact_id FROM contact_identities
               WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_2),
              (SELECT contact_id FROM contact_identities
               WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_3)) IS NULL;

    INSERT INTO contact_identities (tenant_id, identity, contact_id, created_at)
    SELECT NEW.tenant_id, key.identity,
           COALESCE(
               (SELECT contact_id FROM contact_identities
                WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_1),
               (SELECT contact_id FROM contact_identities
                WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_2),
               (SELECT contact_id FROM contact_identities
                WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_3),
               NEW.contact_id),
           NEW.at
    FROM (SELECT NEW.identity_1 AS identity UNION ALL SELECT NEW.identity_2
          UNION ALL SELECT NEW.identity_3) AS key
    WHERE key.identity IS NOT NULL
    ON CONFLICT (tenant_id, identity) DO NOTHING;

    UPDATE contacts SET name = COALESCE(NEW.name, name),
                        phone_e164 = COALESCE(phone_e164, NEW.phone_e164), updated_at = NEW.at
    WHERE id = COALESCE(
                   (SELECT contact_id FROM contact_identities
                    WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_1),
                   (SELECT contact_id FROM contact_identities
                    WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_2),
                   (SELECT contact_id FROM contact_identities
                    WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_3))
      AND ((NEW.name IS NOT NULL AND name IS NOT NEW.name)
           OR (phone_e164 IS NULL AND NEW.phone_e164 IS NOT NULL));

    INSERT INTO conversations (id, tenant_id, channel_id, contact_id, last_activity_at, created_at)
    SELECT NEW.conversation_id, NEW.tenant_id, NEW.channel_id,
           COALESCE(
               (SELECT contact_id FROM contact_identities
                WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_1),
               (SELECT contact_id FROM contact_identities
                WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_2),
               (SELECT contact_id FROM contact_identities
                WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_3)),
           0, NEW.at
    WHERE true
    ON CONFLICT (channel_id, contact_id) DO NOTHING;
END;

CREATE VIEW message_arrivals AS
SELECT NULL AS contact_id, NULL AS conversation_id, NULL AS tenant_id, NULL AS channel_id,
       NULL AS identity_1, NULL AS identity_2, NULL AS identity_3, NULL AS name,
       NULL AS phone_e164, NULL AS at,
       NULL AS id, NULL AS provider_message_id, NULL AS direction, NULL AS type, NULL AS text,
       NULL AS content, NULL AS preview, NULL AS context, NULL AS referral,
       NULL AS reply_to_provider_id, NULL AS provider_ts, NULL AS status, NULL AS status_rank,
       NULL AS status_at
WHERE 0;

-- The same two steps as 0005: the contact arrives, then the message is stored once in the
-- contact's conversation on the channel. A NULL conversation still fails the batch loudly.
CREATE TRIGGER message_arrivals_insert INSTEAD OF INSERT ON message_arrivals
BEGIN
    INSERT INTO contact_arrivals (contact_id, conversation_id, tenant_id, channel_id, identity_1,
                                  identity_2, identity_3, name, phone_e164, at)
    VALUES (NEW.contact_id, NEW.conversation_id, NEW.tenant_id, NEW.channel_id, NEW.identity_1,
            NEW.identity_2, NEW.identity_3, NEW.name, NEW.phone_e164, NEW.at);

    INSERT INTO messages (id, tenant_id, channel_id, conversation_id, provider_message_id,
                          direction, type, text, content, preview, context, referral,
                          reply_to_provider_id, provider_ts, received_at, status, status_rank,
                          status_at)
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
           NEW.status, NEW.status_rank, NEW.status_at
    WHERE true
    ON CONFLICT (channel_id, provider_message_id) DO NOTHING;
END;
