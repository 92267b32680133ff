-- A contact's profile picture, as a provider last linked it (Z-API's `photo`, WPPConnect's
-- sender picture, Evolution's address book). A link on the provider's CDN, shown as it is,
-- never copied.
ALTER TABLE contacts ADD COLUMN avatar_url TEXT;

-- The merge (0016's trigger) again: a survivor without a picture takes the merged-away contact's.
DROP TRIGGER contact_merges_insert;

CREATE TRIGGER contact_merges_insert INSTEAD OF INSERT ON contact_merges
WHEN NEW.survivor_id IS NOT NULL AND NEW.other_id IS NOT NULL AND NEW.survivor_id <> NEW.other_id
     AND EXISTS (SELECT 1 FROM contacts WHERE id = NEW.survivor_id AND tenant_id = NEW.tenant_id)
     AND EXISTS (SELECT 1 FROM contacts WHERE id = NEW.other_id AND tenant_id = NEW.tenant_id)
BEGIN
    -- Conversations on a channel both have: the other's is combined into the survivor's.
    INSERT INTO merged_conversations (tenant_id, old_id, new_id, at)
    SELECT NEW.tenant_id, o.id, s.id, NEW.at
    FROM conversations o JOIN conversations s ON s.channel_id = o.channel_id
    WHERE o.contact_id = NEW.other_id AND s.contact_id = NEW.survivor_id;

    -- Earlier merges into a conversation combined now follow it to the survivor's.
    UPDATE merged_conversations SET new_id =
        (SELECT x.new_id FROM merged_conversations x WHERE x.old_id = merged_conversations.new_id)
    WHERE new_id IN (SELECT old_id FROM merged_conversations WHERE at = NEW.at
                     AND tenant_id = NEW.tenant_id);

    -- (Triggers take no UPDATE … FROM: each column reads the other's row by a subquery.)
    UPDATE conversations SET
        unread_count = unread_count + (SELECT o.unread_count FROM conversations o
            WHERE o.contact_id = NEW.other_id AND o.channel_id = conversations.channel_id),
        last_activity_at = MAX(last_activity_at, (SELECT o.last_activity_at FROM conversations o
            WHERE o.contact_id = NEW.other_id AND o.channel_id = conversations.channel_id)),
        last_inbound_at = NULLIF(MAX(COALESCE(last_inbound_at, -1), (SELECT COALESCE(o.last_inbound_at, -1)
            FROM conversations o WHERE o.contact_id = NEW.other_id
            AND o.channel_id = conversations.channel_id)), -1),
        last_message_id = COALESCE((SELECT o.last_message_id FROM conversations o
            WHERE o.contact_id = NEW.other_id AND o.channel_id = conversations.channel_id
            AND COALESCE(o.last_message_at, -1) > COALESCE(conversations.last_message_at, -1)),
            last_message_id),
        last_message_preview = COALESCE((SELECT o.last_message_preview FROM conversations o
            WHERE o.contact_id = NEW.other_id AND o.channel_id = conversations.channel_id
            AND COALESCE(o.last_message_at, -1) > COALESCE(conversations.last_message_at, -1)),
            last_message_preview),
        last_message_at = NULLIF(MAX(COALESCE(last_message_at, -1), (SELECT COALESCE(o.last_message_at, -1)
            FROM conversations o WHERE o.contact_id = NEW.other_id
            AND o.channel_id = conversations.channel_id)), -1),
        status = CASE WHEN status = 'open' OR EXISTS (SELECT 1 FROM conversations o
                          WHERE o.contact_id = NEW.other_id AND o.channel_id = conversations.channel_id
                          AND o.status = 'open') THEN 'open'
                      WHEN status = 'pending' OR EXISTS (SELECT 1 FROM conversations o
                          WHERE o.contact_id = NEW.other_id AND o.channel_id = conversations.channel_id
                          AND o.status = 'pending') THEN 'pending'
                      ELSE status END,
        created_at = MIN(created_at, (SELECT o.created_at FROM conversations o
            WHERE o.contact_id = NEW.other_id AND o.channel_id = conversations.channel_id))
    WHERE contact_id = NEW.survivor_id
      AND channel_id IN (SELECT channel_id FROM conversations WHERE contact_id = NEW.other_id);

    UPDATE messages SET conversation_id =
        (SELECT m.new_id FROM merged_conversations m WHERE m.old_id = messages.conversation_id)
    WHERE conversation_id IN (SELECT o.id FROM conversations o JOIN conversations s
                              ON s.channel_id = o.channel_id AND s.contact_id = NEW.survivor_id
                              WHERE o.contact_id = NEW.other_id);

    DELETE FROM conversations WHERE contact_id = NEW.other_id
        AND channel_id IN (SELECT channel_id FROM conversations WHERE contact_id = NEW.survivor_id);

    -- The rest of the other's conversations, on channels the survivor is not on, are now its.
    UPDATE conversations SET contact_id = NEW.survivor_id WHERE contact_id = NEW.other_id;
    UPDATE contact_identities SET contact_id = NEW.survivor_id
        WHERE contact_id = NEW.other_id AND tenant_id = NEW.tenant_id;
    UPDATE contact_external_refs SET contact_id = NEW.survivor_id
        WHERE contact_id = NEW.other_id AND tenant_id = NEW.tenant_id;

    -- What the survivor lacks it takes from the other; its own attributes win a clash.
    UPDATE contacts SET
        name = COALESCE(name, (SELECT o.name FROM contacts o WHERE o.id = NEW.other_id)),
        phone_e164 = COALESCE(phone_e164, (SELECT o.phone_e164 FROM contacts o WHERE o.id = NEW.other_id)),
        email = COALESCE(email, (SELECT o.email FROM contacts o WHERE o.id = NEW.other_id)),
        avatar_url = COALESCE(avatar_url, (SELECT o.avatar_url FROM contacts o WHERE o.id = NEW.other_id)),
        attributes = COALESCE(json_patch((SELECT o.attributes FROM contacts o WHERE o.id = NEW.other_id),
                                         COALESCE(attributes, '{}')), attributes),
        blocked_at = COALESCE(blocked_at, (SELECT o.blocked_at FROM contacts o WHERE o.id = NEW.other_id)),
        created_at = MIN(created_at, (SELECT o.created_at FROM contacts o WHERE o.id = NEW.other_id)),
        updated_at = NEW.at
    WHERE id = NEW.survivor_id;

    INSERT INTO merged_contacts (tenant_id, old_id, new_id, at)
    VALUES (NEW.tenant_id, NEW.other_id, NEW.survivor_id, NEW.at);
    UPDATE merged_contacts SET new_id = NEW.survivor_id WHERE new_id = NEW.other_id;

    DELETE FROM contacts WHERE id = NEW.other_id;
END;
