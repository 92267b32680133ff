//! Retention's statements: each takes at most `limit` of the oldest rows past a cutoff, so a run
//! does a bounded amount of work and a backlog is cleared over several runs.
//!
//! These are the deployment's housekeeping, not a tenant's request: they read across tenants,
//! by age alone, and change nothing but what has expired.

use serde::Deserialize;
use serde_json::Value;
use worker::D1Database;

use super::{int, text};
use crate::problem::ApiError;

/// An event whose raw body is due to go: inline in its row, or in R2 under `body_r2_key`.
#[derive(Debug, Deserialize)]
pub struct ExpiredBody {
    pub seq: i64,
    pub body_r2_key: Option<String>,
}

/// Events received before `cutoff` that still hold a body, oldest first.
pub async fn expired_bodies(
    db: &D1Database,
    cutoff: i64,
    limit: u32,
) -> Result<Vec<ExpiredBody>, ApiError> {
    // The conditions repeat the partial index's own, so that it serves this query.
    let result = db
        .prepare(
            "SELECT seq, body_r2_key FROM webhook_events \
             WHERE received_at < ?1 AND body_purged_at IS NULL \
             AND (body IS NOT NULL OR body_r2_key IS NOT NULL) \
             ORDER BY received_at LIMIT ?2",
        )
        .bind(&[int(cutoff), int(i64::from(limit))])?
        .all()
        .await?;
    Ok(result.results()?)
}

/// Drops the bodies of these events (their R2 objects already deleted) and marks when; the
/// rows themselves stay in the log.
pub async fn mark_bodies_purged(
    db: &D1Database,
    seqs: &[i64],
    now: i64,
) -> Result<usize, ApiError> {
    let seqs = serde_json::to_string(seqs).map_err(|e| ApiError::internal(e.to_string()))?;
    returned_rows(
        db,
        "UPDATE webhook_events SET body = NULL, body_r2_key = NULL, body_purged_at = ?2 \
         WHERE seq IN (SELECT value FROM json_each(?1)) AND body_purged_at IS NULL RETURNING seq",
        &[text(&seqs), int(now)],
    )
    .await
}

/// Statuses still waiting, before `cutoff`, for a message that never came.
pub async fn delete_pending_statuses(
    db: &D1Database,
    cutoff: i64,
    limit: u32,
) -> Result<usize, ApiError> {
    returned_rows(
        db,
        "DELETE FROM pending_statuses WHERE (channel_id, provider_message_id, status) IN \
         (SELECT channel_id, provider_message_id, status FROM pending_statuses \
          WHERE received_at < ?1 ORDER BY received_at LIMIT ?2) RETURNING status",
        &[int(cutoff), int(i64::from(limit))],
    )
    .await
}

/// Idempotency keys made before `cutoff`: the same key after that sends again.
pub async fn delete_idempotency_keys(
    db: &D1Database,
    cutoff: i64,
    limit: u32,
) -> Result<usize, ApiError> {
    returned_rows(
        db,
        "DELETE FROM idempotency_keys WHERE (tenant_id, key) IN \
         (SELECT tenant_id, key FROM idempotency_keys \
          WHERE created_at < ?1 ORDER BY created_at LIMIT ?2) RETURNING key",
        &[int(cutoff), int(i64::from(limit))],
    )
    .await
}

/// Dead letters recorded before `cutoff` (their messages stay, `failed`).
pub async fn delete_dead_letters(
    db: &D1Database,
    cutoff: i64,
    limit: u32,
) -> Result<usize, ApiError> {
    returned_rows(
        db,
        "DELETE FROM dead_letters WHERE seq IN \
         (SELECT seq FROM dead_letters WHERE created_at < ?1 ORDER BY created_at LIMIT ?2) \
         RETURNING seq",
        &[int(cutoff), int(i64::from(limit))],
    )
    .await
}

/// How many rows a statement with `RETURNING` touched.
async fn returned_rows(
    db: &D1Database,
    sql: &str,
    values: &[wasm_bindgen::JsValue],
) -> Result<usize, ApiError> {
    let result = db.prepare(sql).bind(values)?.all().await?;
    Ok(result.results::<Value>()?.len())
}
