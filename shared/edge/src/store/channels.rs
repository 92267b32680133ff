//! Channels: created by tenants, found by webhook token on the hot path (KV cache, D1 fallback).

use ponte_core::providers::meta::{MetaConfig, MetaSecrets};
use serde::{Deserialize, Serialize};
use worker::{D1Database, Env};

use super::{int, text};
use crate::bindings::{master_key, CACHE};
use crate::problem::ApiError;

pub const META: &str = "meta";

/// A channel row as stored. `secrets_sealed` is only ever opened by the function that needs it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelRecord {
    pub id: String,
    pub tenant_id: String,
    pub provider: String,
    pub name: String,
    pub webhook_token: String,
    pub config: String,
    pub secrets_sealed: String,
    pub created_at: i64,
}

const CACHE_TTL_SECONDS: u64 = 300;

fn cache_key(token: &str) -> String {
    format!("channel-by-token:{token}")
}

pub async fn insert(db: &D1Database, c: &ChannelRecord) -> Result<(), ApiError> {
    db.prepare(
        "INSERT INTO channels (id, tenant_id, provider, name, webhook_token, config, secrets_sealed, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .bind(&[
        text(&c.id),
        text(&c.tenant_id),
        text(&c.provider),
        text(&c.name),
        text(&c.webhook_token),
        text(&c.config),
        text(&c.secrets_sealed),
        int(c.created_at),
    ])?
    .run()
    .await?;
    Ok(())
}

pub async fn list(db: &D1Database, tenant_id: &str) -> Result<Vec<ChannelRecord>, ApiError> {
    let result = db
        .prepare("SELECT * FROM channels WHERE tenant_id = ?1 ORDER BY created_at, id")
        .bind(&[text(tenant_id)])?
        .all()
        .await?;
    Ok(result.results()?)
}

pub async fn find_by_token(
    env: &Env,
    db: &D1Database,
    token: &str,
) -> Result<Option<ChannelRecord>, ApiError> {
    // The cache is an optimization: if KV fails or holds garbage, D1 still answers.
    let kv = env.kv(CACHE).ok();
    if let Some(kv) = &kv {
        if let Ok(Some(cached)) = kv.get(&cache_key(token)).json::<ChannelRecord>().await {
            return Ok(Some(cached));
        }
    }
    let found: Option<ChannelRecord> = db
        .prepare("SELECT * FROM channels WHERE webhook_token = ?1")
        .bind(&[text(token)])?
        .first(None)
        .await?;
    if let (Some(kv), Some(channel)) = (&kv, &found) {
        if let Ok(put) = kv.put(&cache_key(token), channel) {
            let _ = put.expiration_ttl(CACHE_TTL_SECONDS).execute().await;
        }
    }
    Ok(found)
}

pub async fn find(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ChannelRecord>, ApiError> {
    Ok(db
        .prepare("SELECT * FROM channels WHERE id = ?1 AND tenant_id = ?2")
        .bind(&[text(id), text(tenant_id)])?
        .first(None)
        .await?)
}

/// A Meta channel with its configuration parsed and its secrets opened.
pub struct MetaChannel {
    pub record: ChannelRecord,
    pub config: MetaConfig,
    pub secrets: MetaSecrets,
}

/// Opens a stored channel as a Meta channel. What was stored by Ponte itself must open; failing
/// to is a bug or a rotated master key, never the caller's fault.
pub fn open_meta(env: &Env, record: ChannelRecord) -> Result<MetaChannel, ApiError> {
    if record.provider != META {
        return Err(ApiError::internal(format!(
            "channel {} is a {} channel, not meta",
            record.id, record.provider
        )));
    }
    let config: MetaConfig = serde_json::from_str(&record.config)
        .map_err(|e| ApiError::internal(format!("channel {} config: {e}", record.id)))?;
    let opened = master_key(env)?
        .secret_box()
        .open(&record.secrets_sealed, record.id.as_bytes())
        .map_err(|_| ApiError::internal(format!("channel {} secrets do not decrypt", record.id)))?;
    let secrets: MetaSecrets = serde_json::from_slice(&opened).map_err(|_| {
        ApiError::internal(format!("channel {} secrets are not readable", record.id))
    })?;
    Ok(MetaChannel {
        record,
        config,
        secrets,
    })
}
