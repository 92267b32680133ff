-- Message text enters the search index (0017) in bulk rather than by a trigger per message:
-- FTS5 writes a new index segment for each transaction that adds to it, which made every
-- delivery with text pay for one. `search_progress` is the last message seq indexed; a search
-- first indexes everything after it in its own batch (so it never misses a message), and the
-- every-minute job does the same (so that catch-up stays small). `seq` is AUTOINCREMENT, so a
-- message never takes a seq at or below the mark.
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;

CREATE TABLE search_progress (
    only_row     INTEGER PRIMARY KEY CHECK (only_row = 1),
    indexed_seq  INTEGER NOT NULL
);
-- Until now the triggers indexed every message as it arrived.
INSERT INTO search_progress (only_row, indexed_seq)
VALUES (1, COALESCE((SELECT MAX(seq) FROM messages), 0));

-- A message already indexed leaves the index with its row, and an edit of its text replaces
-- its words; one not yet indexed is indexed as it is when its turn comes.
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN OLD.text IS NOT NULL AND OLD.seq <= (SELECT indexed_seq FROM search_progress)
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', OLD.seq, OLD.text);
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
WHEN OLD.seq <= (SELECT indexed_seq FROM search_progress)
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text)
    SELECT 'delete', OLD.seq, OLD.text WHERE OLD.text IS NOT NULL;
    INSERT INTO messages_fts (rowid, text) SELECT NEW.seq, NEW.text WHERE NEW.text IS NOT NULL;
END;
