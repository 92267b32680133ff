-- A contact seen on a channel, in one statement instead of four: inserting into the
-- `contact_arrivals` view finds or creates the contact known by any of its identities (a JSON
-- array), adds the identities it lacks, refreshes its name and phone, and makes sure it has a
-- conversation on the channel. Every statement of a D1 batch costs a round of binding and
-- result-building, and this runs for every message of every webhook.
CREATE VIEW contact_arrivals AS
SELECT NULL AS contact_id, NULL AS conversation_id, NULL AS tenant_id, NULL AS channel_id,
       NULL AS identities, NULL AS name, NULL AS phone_e164, NULL AS at
WHERE 0;

CREATE TRIGGER contact_arrivals_insert INSTEAD OF INSERT ON contact_arrivals
BEGIN
    INSERT INTO contacts (id, tenant_id, name, phone_e164, created_at, updated_at)
    SELECT NEW.contact_id, NEW.tenant_id, NEW.name, NEW.phone_e164, NEW.at, NEW.at
    WHERE NOT EXISTS (SELECT 1 FROM contact_identities WHERE tenant_id = NEW.tenant_id
                      AND identity IN (SELECT value FROM json_each(NEW.identities)));

    INSERT INTO contact_identities (tenant_id, identity, contact_id, created_at)
    SELECT NEW.tenant_id, j.value,
           COALESCE((SELECT contact_id FROM contact_identities WHERE tenant_id = NEW.tenant_id
                     AND identity IN (SELECT value FROM json_each(NEW.identities)) LIMIT 1),
                    NEW.contact_id),
           NEW.at
    FROM json_each(NEW.identities) AS j WHERE true
    ON CONFLICT (tenant_id, identity) DO NOTHING;

    UPDATE contacts SET name = COALESCE(NEW.name, name),
                        phone_e164 = COALESCE(phone_e164, NEW.phone_e164), updated_at = NEW.at
    WHERE id = (SELECT contact_id FROM contact_identities WHERE tenant_id = NEW.tenant_id
                AND identity IN (SELECT value FROM json_each(NEW.identities)) LIMIT 1)
      AND ((NEW.name IS NOT NULL AND name IS NOT NEW.name)
           OR (phone_e164 IS NULL AND NEW.phone_e164 IS NOT NULL));

    -- Activity starts at 0: the message inserted right after moves it to its provider timestamp.
    INSERT INTO conversations (id, tenant_id, channel_id, contact_id, last_activity_at, created_at)
    SELECT NEW.conversation_id, NEW.tenant_id, NEW.channel_id,
           (SELECT contact_id FROM contact_identities WHERE tenant_id = NEW.tenant_id
            AND identity IN (SELECT value FROM json_each(NEW.identities)) LIMIT 1),
           0, NEW.at
    WHERE true
    ON CONFLICT (channel_id, contact_id) DO NOTHING;
END;
