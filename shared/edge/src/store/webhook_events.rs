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
    /// Signed, but all or part of it could not be read: answered 200 (the same bytes will never
    /// read better, and a provider retries any other answer for days), kept for a replay.
    Unprocessable,
    /// Verified, but storage failed; the provider was told to retry.
    StorageFailed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Rejected => "rejected",
            Self::Unprocessable => "unprocessable",
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
    /// The URL's path after the channel token, which some adapters read.
    pub path_rest: &'a str,
}

macro_rules! insert_event {
    () => {
        "INSERT INTO webhook_events (id, tenant_id, channel_id, provider, received_at, signature_ok, outcome, \
         http_status, message_count, status_count, ignored_count, error, body_bytes, body, body_r2_key, path_rest) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
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
        opt_text(Some(e.path_rest).filter(|rest| !rest.is_empty())),
    ])?)
}

/// The columns of [`EventRow`], for the list and for one event.
macro_rules! event_select {
    () => {
        "SELECT seq, id, channel_id, provider, received_at, signature_ok, outcome, http_status, \
         message_count, status_count, ignored_count, error, body_bytes, body_r2_key, replayed_at, \
         body_purged_at FROM webhook_events"
    };
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
    /// Shown as whether the body is in R2 at all: the key itself is Ponte's own business.
    #[serde(rename(serialize = "body_in_r2"), serialize_with = "is_some")]
    pub body_r2_key: Option<String>,
    pub replayed_at: Option<i64>,
    /// When retention deleted the raw body; the row itself stays in the log.
    pub body_purged_at: Option<i64>,
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
            concat!(
            event_select!(),
            " WHERE tenant_id = ?1 AND (?2 IS NULL OR channel_id = ?2) AND (?3 IS NULL OR seq < ?3) \
             ORDER BY seq DESC LIMIT ?4"
        ),
        )
        .bind(&[text(tenant_id), opt_text(channel_id), opt_int(before_seq), int(i64::from(limit))])?
        .all()
        .await?;
    Ok(result.results()?)
}

/// What a replay needs of a stored delivery.
#[derive(Debug, Deserialize)]
pub struct StoredDelivery {
    pub id: String,
    pub channel_id: String,
    pub provider: String,
    pub received_at: i64,
    #[serde(deserialize_with = "crate::store::read::sqlite_bool")]
    pub signature_ok: bool,
    pub body: Option<String>,
    pub body_r2_key: Option<String>,
    pub path_rest: Option<String>,
}

pub async fn stored_delivery(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<StoredDelivery>, ApiError> {
    Ok(db
        .prepare(
            "SELECT id, channel_id, provider, received_at, signature_ok, body, body_r2_key, path_rest \
             FROM webhook_events WHERE id = ?1 AND tenant_id = ?2",
        )
        .bind(&[text(id), text(tenant_id)])?
        .first(None)
        .await?)
}

/// The event row after a replay read its delivery: the outcome and counts of today's adapter.
/// Runs as the lead statement of the replay's own batches (see `ingest::commit`).
pub fn replayed(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    outcome: Outcome,
    counts: (usize, usize, usize),
    error: Option<&str>,
    now: i64,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(
            "UPDATE webhook_events SET outcome = ?3, http_status = 200, message_count = ?4, \
             status_count = ?5, ignored_count = ?6, error = ?7, replayed_at = ?8 \
             WHERE id = ?1 AND tenant_id = ?2",
        )
        .bind(&[
            text(id),
            text(tenant_id),
            text(outcome.as_str()),
            int(counts.0 as i64),
            int(counts.1 as i64),
            int(counts.2 as i64),
            opt_text(error),
            int(now),
        ])?)
}

/// The event as the API shows it.
pub async fn event(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<EventRow>, ApiError> {
    Ok(db
        .prepare(concat!(
            event_select!(),
            " WHERE id = ?1 AND tenant_id = ?2"
        ))
        .bind(&[text(id), text(tenant_id)])?
        .first(None)
        .await?)
}

fn is_some<T, S: serde::Serializer>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bool(value.is_some())
}
