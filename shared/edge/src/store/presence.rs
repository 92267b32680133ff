//! Whether anyone listens to a tenant's realtime hub (`realtime_presence`), so that publishers
//! can skip the hub, a Durable Object round trip, when no inbox is open. A webhook reads the flag
//! inside its own batch (`webhook_events::insert_reading_presence`).
//!
//! Why skipping is safe: the hub raises the flag and waits for D1 before a socket gets its
//! `ready` frame. A batch that committed before that saw the flag down, but its rows were
//! already in D1 when the client fetched its initial state after `ready`; a batch that commits
//! after it sees the flag up and publishes.

use serde::Deserialize;
use worker::{D1Database, D1Result};

use super::{int, text};
use crate::problem::ApiError;

const SET: &str = "INSERT INTO realtime_presence (tenant_id, listening, version, updated_at) \
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id) DO UPDATE SET listening = excluded.listening, \
     version = excluded.version, updated_at = excluded.updated_at \
     WHERE excluded.version > realtime_presence.version";

/// A condition for read-backs that only events need: true while the tenant in `?2` listens.
pub(crate) const LISTENING_GUARD: &str =
    "EXISTS (SELECT 1 FROM realtime_presence WHERE tenant_id = ?2 AND listening = 1)";

#[derive(Deserialize)]
struct Row {
    /// NULL when the tenant has no row: no socket ever connected.
    listening: Option<i64>,
}

/// Records the hub's view; a write older (lower `version`) than the stored one changes nothing.
pub async fn set(
    db: &D1Database,
    tenant_id: &str,
    listening: bool,
    version: i64,
    now: i64,
) -> Result<(), ApiError> {
    db.prepare(SET)
        .bind(&[
            text(tenant_id),
            int(i64::from(listening)),
            int(version),
            int(now),
        ])?
        .run()
        .await?;
    Ok(())
}

/// Reads a statement's `listening` column.
pub fn listening(result: &D1Result) -> Result<bool, ApiError> {
    let rows: Vec<Row> = result.results()?;
    Ok(rows
        .first()
        .and_then(|r| r.listening)
        .is_some_and(|l| l != 0))
}
