//! Re-sealing channel secrets under the current master key, after a rotation.
//!
//! The only statements that read channels across tenants: the operator re-seals the whole
//! deployment, and each row is written back under its own tenant.

use serde::Deserialize;
use worker::{D1Database, Env};

use super::{int, opt_text, text};
use crate::bindings::CACHE;
use crate::problem::ApiError;
use crate::store::channels::cache_key;

#[derive(Debug, Deserialize)]
pub struct SealedChannel {
    pub id: String,
    pub tenant_id: String,
    pub webhook_token: String,
    pub secrets_sealed: String,
}

/// Up to `limit` channels after `after_id`, in id order, so that runs can go page by page.
pub async fn page(
    db: &D1Database,
    after_id: Option<&str>,
    limit: u32,
) -> Result<Vec<SealedChannel>, ApiError> {
    let result = db
        .prepare(
            "SELECT id, tenant_id, webhook_token, secrets_sealed FROM channels \
             WHERE (?1 IS NULL OR id > ?1) ORDER BY id LIMIT ?2",
        )
        .bind(&[opt_text(after_id), int(i64::from(limit))])?
        .all()
        .await?;
    Ok(result.results()?)
}

/// Writes `resealed` in place of the value that was read; `false` when the row changed since,
/// so a concurrent run's work is never overwritten with an older reading.
pub async fn replace(
    db: &D1Database,
    channel: &SealedChannel,
    resealed: &str,
) -> Result<bool, ApiError> {
    let written: Option<serde_json::Value> = db
        .prepare(
            "UPDATE channels SET secrets_sealed = ?4 \
             WHERE id = ?1 AND tenant_id = ?2 AND secrets_sealed = ?3 RETURNING id",
        )
        .bind(&[
            text(&channel.id),
            text(&channel.tenant_id),
            text(&channel.secrets_sealed),
            text(resealed),
        ])?
        .first(None)
        .await?;
    Ok(written.is_some())
}

/// Drops the channel's cached copy, which still holds the old sealed value. Best effort: a copy
/// that outlives this (KV is eventually consistent) is passed over for not being sealed under
/// the current key.
pub async fn forget_cached(env: &Env, channel: &SealedChannel) {
    if let Ok(kv) = env.kv(CACHE) {
        let _ = kv.delete(&cache_key(&channel.webhook_token)).await;
    }
}
