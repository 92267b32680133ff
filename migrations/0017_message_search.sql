-- Conversation search finds words of a message's text through an FTS5 index over `messages`,
-- kept in step by triggers (an external-content table: the text is stored once, in `messages`).
-- Accents are folded, so "pedido" finds "Pédido" and "nao" finds "não".
CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, content = 'messages', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN NEW.text IS NOT NULL
BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (NEW.seq, NEW.text);
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN OLD.text IS NOT NULL
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', OLD.seq, OLD.text);
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text)
    SELECT 'delete', OLD.seq, OLD.text WHERE OLD.text IS NOT NULL;
    INSERT INTO messages_fts (rowid, text) SELECT NEW.seq, NEW.text WHERE NEW.text IS NOT NULL;
END;
