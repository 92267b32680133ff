-- A message its author edited (Telegram's edited_message) shows its new content in place; when it
-- was edited keeps an older edit, delivered late, from replacing a newer one.
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
