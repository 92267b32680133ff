-- The contact arrival (0006's trigger) again, with two changes:
-- - A message whose keys two contacts hold merges them inside its own arrival (the last step)
--   rather than by a statement of its own after it: a delivery with several keys, as every
--   Cloud API message has, no longer pays a second statement per message to find that no merge
--   was needed.
-- - A name the business gave a contact (PATCH /v1/contacts/{id}) stays: the profile name a
--   provider sends with every message no longer overwrites it. Clearing the name (null) gives it
--   back to the provider.
ALTER TABLE contacts ADD COLUMN name_from_business INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER contact_arrivals_insert;

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

    UPDATE contacts SET name = CASE WHEN name_from_business THEN name ELSE COALESCE(NEW.name, name) END,
                        phone_e164 = COALESCE(phone_e164, NEW.phone_e164), updated_at = NEW.at
    WHERE id = COALESCE(
                   (SELECT contact_id FROM contact_identities
                    WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_1),
                   (SELECT contact_id FROM contact_identities
                    WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_2),
                   (SELECT contact_id FROM contact_identities
                    WHERE tenant_id = NEW.tenant_id AND identity = NEW.identity_3))
      AND ((NEW.name IS NOT NULL AND name IS NOT NEW.name AND NOT name_from_business)
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

    -- The keys two contacts held show one person: the contact of another key is merged into
    -- the first key's (which the steps above just gave every key it lacked; 0016 merges). With
    -- one key there is nothing to compare, and the step ends before reading anything.
    INSERT INTO contact_merges (tenant_id, survivor_id, other_id, at)
    SELECT DISTINCT NEW.tenant_id, s.contact_id, o.contact_id, NEW.at
    FROM contact_identities s, contact_identities o
    WHERE NEW.identity_2 IS NOT NULL
      AND s.tenant_id = NEW.tenant_id AND s.identity = NEW.identity_1
      AND o.tenant_id = NEW.tenant_id AND o.identity IN (NEW.identity_2, NEW.identity_3)
      AND o.contact_id <> s.contact_id;
END;

-- The merges a delivery made, read back for the realtime event by the delivery's time.
CREATE INDEX merged_contacts_by_time ON merged_contacts(tenant_id, at);
