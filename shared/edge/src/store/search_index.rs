//! Message text enters the search index in bulk (migrations/0019_search_catch_up.sql): every
//! message after the index's mark is indexed in one statement, and the mark moves past them in
//! the same batch. A search runs this first, so it never misses a message; the every-minute job
//! runs it too, so that a search's catch-up stays small.

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use crate::problem::ApiError;

/// Indexes the text of every message after the mark.
const INDEX_NEW_MESSAGES: &str = "INSERT INTO messages_fts (rowid, text) \
     SELECT seq, text FROM messages \
     WHERE seq > (SELECT indexed_seq FROM search_progress) AND text IS NOT NULL";

/// Moves the mark past the newest message. Never back: the newest messages may have been deleted.
const MOVE_MARK: &str = "UPDATE search_progress \
     SET indexed_seq = MAX(indexed_seq, COALESCE((SELECT MAX(seq) FROM messages), 0))";

/// The statements that bring the index up to date; they must run first in the batch they join.
pub fn catch_up_statements(db: &D1Database) -> [D1PreparedStatement; 2] {
    [db.prepare(INDEX_NEW_MESSAGES), db.prepare(MOVE_MARK)]
}

#[derive(Deserialize)]
struct Mark {
    indexed_seq: i64,
}

/// Brings the index up to date on its own; answers how far the mark moved (in message seqs, so
/// messages without text count too), for the job's log.
pub async fn catch_up(db: &D1Database) -> Result<i64, ApiError> {
    let read_mark = || db.prepare("SELECT indexed_seq FROM search_progress");
    let [index, mark] = catch_up_statements(db);
    let results = db
        .batch(vec![read_mark(), index, mark, read_mark()])
        .await?;
    let seq_at = |i: usize| -> Result<i64, ApiError> {
        let marks: Vec<Mark> = results
            .get(i)
            .ok_or_else(|| ApiError::internal("the search index's batch answered short"))?
            .results()?;
        Ok(marks.first().map_or(0, |m| m.indexed_seq))
    };
    Ok(seq_at(3)? - seq_at(0)?)
}
