//! The webhook event log: every signed-or-not POST to a known channel, with its outcome.

use serde::{Deserialize, Serialize};
use worker::{D1Database, D1PreparedStatement};

use super::{int, opt_int, opt_text, text};
use crate::problem::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Verified and stored (duplicates included: storing them again is a no-op).
    Stored,
    /// The signature was missing or wrong; nothing was stored.
    Rejected,
    /// Signed, but not JSON or not the provider's shape.
    Malformed,
    /// Verified, but storage failed; the provider was told to retry.
    StorageFailed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Rejected => "rejected",
            Self::Malformed => "malformed",
            Self::StorageFailed => "storage_failed",
        }
    }
}

pub struct NewEvent<'a> {
    pub id: String,
    pub tenant_id: &'a str,
    pub channel_id: &'a str,
    pub provider: &'a str,
    pub received_at: i64,
    pub signature_ok: bool,
    pub outcome: Outcome,
    pub http_status: u16,
    pub counts: (usize, usize, usize),
    pub error: Option<String>,
    pub body_bytes: usize,
    /// Inline body, when small enough for a row.
    pub body: Option<&'a str>,
    pub body_r2_key: Option<String>,
}

macro_rules! insert_event {
    () => {
        "INSERT INTO webhook_events (id, tenant_id, channel_id, provider, received_at, signature_ok, outcome, \
         http_status, message_count, status_count, ignored_count, error, body_bytes, body, body_r2_key) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    };
}

/// The same insert, answering whether the tenant (`?2`) listens for realtime events: a stored
/// webhook's batch learns it without a statement of its own. Read it with `presence::listening`.
const INSERT_READING_PRESENCE: &str = concat!(
    insert_event!(),
    " RETURNING ",
    super::presence::listening_of_tenant_2!(),
    " AS listening"
);

pub fn insert(db: &D1Database, e: &NewEvent) -> Result<D1PreparedStatement, ApiError> {
    bound(db.prepare(insert_event!()), e)
}

/// [`insert`], returning one row that says whether the tenant listens (see `store::presence`).
pub fn insert_reading_presence(
    db: &D1Database,
    e: &NewEvent,
) -> Result<D1PreparedStatement, ApiError> {
    bound(db.prepare(INSERT_READING_PRESENCE), e)
}

fn bound(statement: D1PreparedStatement, e: &NewEvent) -> Result<D1PreparedStatement, ApiError> {
    Ok(statement.bind(&[
        text(&e.id),
        text(e.tenant_id),
        text(e.channel_id),
        text(e.provider),
        int(e.received_at),
        int(i64::from(e.signature_ok)),
        text(e.outcome.as_str()),
        int(i64::from(e.http_status)),
        int(e.counts.0 as i64),
        int(e.counts.1 as i64),
        int(e.counts.2 as i64),
        opt_text(e.error.as_deref()),
        int(e.body_bytes as i64),
        opt_text(e.body),
        opt_text(e.body_r2_key.as_deref()),
    ])?)
}

#[derive(Debug, Serialize, Deserialize)]
pub struct EventRow {
    #[serde(skip_serializing)]
    pub seq: i64,
    pub id: String,
    pub channel_id: String,
    pub provider: String,
    pub received_at: i64,
    #[serde(deserialize_with = "crate::store::read::sqlite_bool")]
    pub signature_ok: bool,
    pub outcome: String,
    pub http_status: i64,
    pub message_count: i64,
    pub status_count: i64,
    pub ignored_count: i64,
    pub error: Option<String>,
    pub body_bytes: i64,
    pub body_r2_key: Option<String>,
}

pub async fn list(
    db: &D1Database,
    tenant_id: &str,
    channel_id: Option<&str>,
    before_seq: Option<i64>,
    limit: u32,
) -> Result<Vec<EventRow>, ApiError> {
    let result = db
        .prepare(
            "SELECT seq, id, channel_id, provider, received_at, signature_ok, outcome, http_status, message_count, \
             status_count, ignored_count, error, body_bytes, body_r2_key FROM webhook_events \
             WHERE tenant_id = ?1 AND (?2 IS NULL OR channel_id = ?2) AND (?3 IS NULL OR seq < ?3) \
             ORDER BY seq DESC LIMIT ?4",
        )
        .bind(&[text(tenant_id), opt_text(channel_id), opt_int(before_seq), int(i64::from(limit))])?
        .all()
        .await?;
    Ok(result.results()?)
}
