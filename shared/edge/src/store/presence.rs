//! Whether anyone listens to a tenant's realtime hub (`realtime_presence`), so that publishers
//! can skip the hub, a Durable Object round trip, when no inbox is open. A webhook reads the flag
//! inside its own batch (`webhook_events::insert_reading_presence`).
//!
//! Why skipping is safe: the hub raises the flag and waits for D1 before a socket gets its
//! `ready` frame. A batch that committed before that saw the flag down, but its rows were
//! already in D1 when the client fetched its initial state after `ready`; a batch that commits
//! after it sees the flag up and publishes.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::Deserialize;
use worker::{D1Database, D1Result};

use super::{int, text};
use crate::problem::ApiError;

const SET: &str = "INSERT INTO realtime_presence (tenant_id, listening, version, updated_at) \
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id) DO UPDATE SET listening = excluded.listening, \
     version = excluded.version, updated_at = excluded.updated_at \
     WHERE excluded.version > realtime_presence.version";

/// The flag of the tenant bound as `?2`, as a scalar subquery (NULL: no socket ever connected),
/// for a statement of the publisher's batch to return; read it with [`listening`].
macro_rules! listening_of_tenant_2 {
    () => {
        "(SELECT listening FROM realtime_presence WHERE tenant_id = ?2)"
    };
}
pub(crate) use listening_of_tenant_2;

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

thread_local! {
    /// What the last batch of each tenant found, in this isolate. Only a hint for what to read
    /// inside a batch: what gets published is decided by the flag read in the batch itself.
    static LAST_SEEN: RefCell<HashMap<String, bool>> = RefCell::new(HashMap::new());
}
/// Tenants remembered per isolate before the hints start over.
const HINTS_KEPT: usize = 10_000;

/// Whether the tenant listened at its last batch in this isolate; unknown counts as yes.
pub fn probably_listening(tenant_id: &str) -> bool {
    LAST_SEEN.with(|seen| seen.borrow().get(tenant_id).copied().unwrap_or(true))
}

pub fn remember(tenant_id: &str, listening: bool) {
    LAST_SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        if seen.len() >= HINTS_KEPT && !seen.contains_key(tenant_id) {
            seen.clear();
        }
        seen.insert(tenant_id.to_string(), listening);
    });
}

/// Reads a statement's `listening` column.
pub fn listening(result: &D1Result) -> Result<bool, ApiError> {
    let rows: Vec<Row> = result.results()?;
    Ok(rows
        .first()
        .and_then(|r| r.listening)
        .is_some_and(|l| l != 0))
}
