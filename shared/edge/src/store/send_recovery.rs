//! Sends whose outcome was never recorded: an attempt that died holding its lease, a retry whose
//! queue job went missing, an attempt the provider left without an answer. Found by the
//! scheduled re-drive (functions/send-message/src/redrive.rs) and by the sender itself.

use ponte_core::status::DeliveryStatus;
use serde::Deserialize;
use worker::D1Database;

use super::outbound::then_read;
use super::read::Message;
use super::{int, text};
use crate::problem::ApiError;

/// A message named across tenants, as the re-drive finds them.
#[derive(Debug, Deserialize)]
pub struct MessageKey {
    pub tenant_id: String,
    pub id: String,
}

/// Queued messages free to claim whose retry was due before `due_before`: their queue job is
/// late or lost. The last attempt's failure was known, so sending again is safe.
pub async fn owed_retries(
    db: &D1Database,
    due_before: i64,
    limit: u32,
) -> Result<Vec<MessageKey>, ApiError> {
    let rows = db
        .prepare(
            "SELECT tenant_id, id FROM messages WHERE status = 'queued' \
             AND send_claimed_until IS NULL AND COALESCE(send_retry_at, received_at) < ?1 \
             ORDER BY send_retry_at LIMIT ?2",
        )
        .bind(&[int(due_before), int(i64::from(limit))])?
        .all()
        .await?;
    Ok(rows.results()?)
}

/// Queued messages whose lease ran out before `expired_before`: the attempt holding them died
/// somewhere between storing the message and recording the provider's answer, so the provider
/// may have it. They become `unknown`, never sent again blindly.
pub async fn expire_dead_attempts(
    db: &D1Database,
    expired_before: i64,
    now: i64,
    limit: u32,
) -> Result<Vec<MessageKey>, ApiError> {
    let unknown = DeliveryStatus::Unknown;
    let rows = db
        .prepare(
            "UPDATE messages SET status = ?2, status_rank = ?3, status_at = ?4, error_code = NULL, \
             error_title = ?5, send_claimed_until = NULL \
             WHERE id IN (SELECT id FROM messages WHERE status = 'queued' \
             AND send_claimed_until < ?1 LIMIT ?6) \
             RETURNING tenant_id, id",
        )
        .bind(&[
            int(expired_before),
            text(unknown.as_str()),
            int(unknown.rank()),
            int(now),
            text(DIED_MIDWAY),
            int(i64::from(limit)),
        ])?
        .all()
        .await?;
    Ok(rows.results()?)
}

const DIED_MIDWAY: &str = "outcome unknown: the attempt to send this was interrupted, and the \
    provider may have delivered it; check with the contact before sending it again";

/// The provider gave no answer to an attempt: it may have taken the message. `reason` says why.
pub async fn mark_unknown(
    db: &D1Database,
    tenant_id: &str,
    message_id: &str,
    reason: &str,
    now: i64,
) -> Result<Message, ApiError> {
    let unknown = DeliveryStatus::Unknown;
    let title = format!(
        "outcome unknown: {reason}, and it may have delivered the message; check with the \
         contact before sending it again"
    );
    let statement = db
        .prepare(
            "UPDATE messages SET status = ?3, status_rank = ?4, status_at = ?5, error_code = NULL, \
             error_title = ?6, send_claimed_until = NULL \
             WHERE id = ?1 AND tenant_id = ?2 AND status = 'queued'",
        )
        .bind(&[
            text(message_id),
            text(tenant_id),
            text(unknown.as_str()),
            int(unknown.rank()),
            int(now),
            text(&title),
        ])?;
    then_read(db, tenant_id, message_id, vec![statement]).await
}
