-- A blocked contact's messages are still stored, but marked, and they neither count as unread
-- nor reopen a resolved conversation: the business chose not to hear from them.
ALTER TABLE messages ADD COLUMN from_blocked_contact INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER messages_mark_blocked_sender AFTER INSERT ON messages
WHEN NEW.direction = 'inbound'
     AND (SELECT ct.blocked_at FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
          WHERE c.id = NEW.conversation_id) IS NOT NULL
BEGIN
    UPDATE messages SET from_blocked_contact = 1 WHERE seq = NEW.seq;
END;

-- As 0002, but a message from a blocked contact moves the conversation without asking for an
-- agent: it is not unread and does not reopen it.
DROP TRIGGER messages_touch_conversation;
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
        unread_count = unread_count + (NEW.direction = 'inbound'
            AND (SELECT blocked_at FROM contacts WHERE id = conversations.contact_id) IS NULL),
        status = CASE WHEN NEW.direction = 'inbound' AND status = 'resolved'
                           AND (SELECT blocked_at FROM contacts WHERE id = conversations.contact_id) IS NULL
                      THEN 'open' ELSE status END
    WHERE id = NEW.conversation_id;
END;
