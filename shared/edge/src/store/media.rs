//! Attachments copied into R2 (migrations/0008_media.sql): their rows from the webhook that
//! brought them to the copy's outcome.

use ponte_core::model::Media;
use serde::{Deserialize, Serialize};
use worker::{D1Database, D1PreparedStatement};

use super::{int, opt_text, text};
use crate::problem::ApiError;

/// A new attachment, inserted only when its message was new in this same batch (`?4` exists):
/// a redelivered webhook inserts no message and so no attachment.
const MEDIA_ARRIVES: &str = "INSERT INTO media (id, tenant_id, channel_id, message_id, source, \
     status, created_at, updated_at) SELECT ?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6 \
     WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?4) ON CONFLICT (message_id) DO NOTHING";

pub fn arrival_statement(
    db: &D1Database,
    tenant_id: &str,
    channel_id: &str,
    media_id: &str,
    message_id: &str,
    source: &Media,
    at: i64,
) -> Result<D1PreparedStatement, ApiError> {
    let source = serde_json::to_string(source).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(db.prepare(MEDIA_ARRIVES).bind(&[
        text(media_id),
        text(tenant_id),
        text(channel_id),
        text(message_id),
        text(&source),
        int(at),
    ])?)
}

/// A copy job, as it travels through the media queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MediaJob {
    pub tenant_id: String,
    pub media_id: String,
}

/// An attachment's row.
#[derive(Debug, Clone, Deserialize)]
pub struct MediaRow {
    pub id: String,
    pub tenant_id: String,
    /// `None` for an upload not sent yet.
    pub channel_id: Option<String>,
    pub message_id: Option<String>,
    pub source: String,
    pub status: String,
    pub attempts: i64,
    pub error: Option<String>,
    pub r2_key: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    pub filename: Option<String>,
}

impl MediaRow {
    pub fn source(&self) -> Media {
        serde_json::from_str::<SourceMedia>(&self.source)
            .map(Media::from)
            .unwrap_or_default()
    }
}

/// `Media` as stored: the model only serializes.
#[derive(Deserialize, Default)]
struct SourceMedia {
    id: Option<String>,
    url: Option<String>,
    mime_type: Option<String>,
    sha256: Option<String>,
    caption: Option<String>,
    filename: Option<String>,
    voice: Option<bool>,
    animated: Option<bool>,
}

impl From<SourceMedia> for Media {
    fn from(s: SourceMedia) -> Self {
        Media {
            id: s.id,
            url: s.url,
            mime_type: s.mime_type,
            sha256: s.sha256,
            caption: s.caption,
            filename: s.filename,
            voice: s.voice,
            animated: s.animated,
            inline_base64: None,
        }
    }
}

const COLUMNS: &str = "id, tenant_id, channel_id, message_id, source, status, attempts, error, \
     r2_key, content_type, size, sha256, filename";

pub async fn find(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<MediaRow>, ApiError> {
    Ok(db
        .prepare(format!(
            "SELECT {COLUMNS} FROM media WHERE id = ?1 AND tenant_id = ?2"
        ))
        .bind(&[text(id), text(tenant_id)])?
        .first(None)
        .await?)
}

/// A file a client uploaded to send, in R2 already.
pub async fn insert_upload(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    copied: &Copied<'_>,
    now: i64,
) -> Result<(), ApiError> {
    db.prepare(
        "INSERT INTO media (id, tenant_id, source, status, r2_key, content_type, size, sha256, \
         filename, created_at, updated_at) VALUES (?1, ?2, '{}', 'ready', ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )
    .bind(&[
        text(id),
        text(tenant_id),
        text(copied.r2_key),
        text(copied.content_type),
        int(copied.size as i64),
        text(copied.sha256),
        opt_text(copied.filename),
        int(now),
    ])?
    .run()
    .await?;
    Ok(())
}

/// An upload becomes the attachment of the message that sends it; an upload is sent once.
pub fn attach_statement(
    db: &D1Database,
    tenant_id: &str,
    media_id: &str,
    message_id: &str,
    channel_id: &str,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(
            "UPDATE media SET message_id = ?3, channel_id = ?4 WHERE id = ?1 AND tenant_id = ?2 \
             AND message_id IS NULL AND status = 'ready'",
        )
        .bind(&[
            text(media_id),
            text(tenant_id),
            text(message_id),
            text(channel_id),
        ])?)
}

/// An attachment by its id alone: a signed link names only the attachment, and its row says
/// whose it is.
pub async fn find_signed(db: &D1Database, id: &str) -> Result<Option<MediaRow>, ApiError> {
    Ok(db
        .prepare(format!("SELECT {COLUMNS} FROM media WHERE id = ?1"))
        .bind(&[text(id)])?
        .first(None)
        .await?)
}

/// Takes a pending attachment for one copy attempt, unless another copier holds it.
pub async fn claim(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    now: i64,
    lease_ms: i64,
) -> Result<Option<MediaRow>, ApiError> {
    Ok(db
        .prepare(format!(
            "UPDATE media SET attempts = attempts + 1, claimed_until = ?3, updated_at = ?4 \
             WHERE id = ?1 AND tenant_id = ?2 AND status = 'pending' \
             AND (claimed_until IS NULL OR claimed_until < ?4) RETURNING {COLUMNS}"
        ))
        .bind(&[text(id), text(tenant_id), int(now + lease_ms), int(now)])?
        .first(None)
        .await?)
}

/// When the copier holding a still-pending attachment lets go of it, if one holds it now.
pub async fn held_until(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<Option<i64>, ApiError> {
    #[derive(Deserialize)]
    struct Held {
        claimed_until: i64,
    }
    let held: Option<Held> = db
        .prepare(
            "SELECT claimed_until FROM media WHERE id = ?1 AND tenant_id = ?2 \
             AND status = 'pending' AND claimed_until >= ?3",
        )
        .bind(&[text(id), text(tenant_id), int(now)])?
        .first(None)
        .await?;
    Ok(held.map(|h| h.claimed_until))
}

/// What a finished copy recorded.
pub struct Copied<'a> {
    pub r2_key: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub sha256: &'a str,
    pub filename: Option<&'a str>,
}

/// The attachment is in R2: ready, if its row is there and still pending. A copy holds its
/// claim, and a file stored straight from a redelivered webhook finds no row; returns the id
/// only when it was made ready.
pub fn ready_statement(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    copied: &Copied,
    now: i64,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(
            "UPDATE media SET status = 'ready', r2_key = ?3, content_type = ?4, size = ?5, \
             sha256 = ?6, filename = ?7, error = NULL, claimed_until = NULL, updated_at = ?8 \
             WHERE id = ?1 AND tenant_id = ?2 AND status = 'pending' RETURNING id",
        )
        .bind(&[
            text(id),
            text(tenant_id),
            text(copied.r2_key),
            text(copied.content_type),
            int(copied.size as i64),
            text(copied.sha256),
            opt_text(copied.filename),
            int(now),
        ])?)
}

pub fn failed_statement(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    reason: &str,
    now: i64,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(
            "UPDATE media SET status = 'failed', error = ?3, claimed_until = NULL, updated_at = ?4 \
             WHERE id = ?1 AND tenant_id = ?2 AND status <> 'ready'",
        )
        .bind(&[text(id), text(tenant_id), text(reason), int(now)])?)
}

/// Lets the next attempt claim it, keeping the last reason.
pub fn release_statement(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    reason: &str,
    now: i64,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(
            "UPDATE media SET claimed_until = NULL, error = ?3, updated_at = ?4 \
             WHERE id = ?1 AND tenant_id = ?2 AND status = 'pending'",
        )
        .bind(&[text(id), text(tenant_id), text(reason), int(now)])?)
}

/// A failed attachment back to pending, for `POST /v1/messages/{id}/media/retry`. Returns its id.
pub async fn retry_failed(
    db: &D1Database,
    tenant_id: &str,
    message_id: &str,
    now: i64,
) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let row: Option<Id> = db
        .prepare(
            "UPDATE media SET status = 'pending', attempts = 0, error = NULL, claimed_until = NULL, \
             updated_at = ?3 WHERE message_id = ?1 AND tenant_id = ?2 AND status = 'failed' \
             RETURNING id",
        )
        .bind(&[text(message_id), text(tenant_id), int(now)])?
        .first(None)
        .await?;
    Ok(row.map(|r| r.id))
}

/// The attachment of a message, whatever its state: `None` when it has none.
pub async fn of_message(
    db: &D1Database,
    tenant_id: &str,
    message_id: &str,
) -> Result<Option<MediaRow>, ApiError> {
    Ok(db
        .prepare(format!(
            "SELECT {COLUMNS} FROM media WHERE message_id = ?1 AND tenant_id = ?2"
        ))
        .bind(&[text(message_id), text(tenant_id)])?
        .first(None)
        .await?)
}
