//! Sends that exhausted their attempts, as recorded by the dead letter queue's consumer.

use serde::{Deserialize, Serialize};
use worker::D1Database;

use super::{int, opt_int, text};
use crate::problem::ApiError;

/// The attempts come from the message itself, which counts each claim.
pub async fn record(
    db: &D1Database,
    tenant_id: &str,
    message_id: &str,
    reason: &str,
    now: i64,
) -> Result<(), ApiError> {
    db.prepare(
        "INSERT INTO dead_letters (tenant_id, message_id, attempts, reason, created_at) \
         SELECT ?1, ?2, COALESCE((SELECT send_attempts FROM messages WHERE id = ?2 AND tenant_id = ?1), 0), ?3, ?4",
    )
    .bind(&[text(tenant_id), text(message_id), text(reason), int(now)])?
    .run()
    .await?;
    Ok(())
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DeadLetter {
    pub seq: i64,
    pub message_id: String,
    pub attempts: i64,
    pub reason: String,
    pub created_at: i64,
}

/// Newest first; `before` continues after a seq.
pub async fn list(
    db: &D1Database,
    tenant_id: &str,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<DeadLetter>, ApiError> {
    Ok(db
        .prepare(
            "SELECT seq, message_id, attempts, reason, created_at FROM dead_letters WHERE tenant_id = ?1 \
             AND (?2 IS NULL OR seq < ?2) ORDER BY seq DESC LIMIT ?3",
        )
        .bind(&[text(tenant_id), opt_int(before), int(i64::from(limit) + 1)])?
        .all()
        .await?
        .results()?)
}
