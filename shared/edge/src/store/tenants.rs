//! Tenants and their API keys.

use ponte_core::auth::hash_api_key;
use serde::Deserialize;
use worker::D1Database;

use super::{int, text};
use crate::problem::ApiError;

pub async fn create(
    db: &D1Database,
    tenant_id: &str,
    name: &str,
    api_key: &str,
    now: i64,
) -> Result<(), ApiError> {
    let key_id = ponte_core::ids::new_id("key");
    db.batch(vec![
        db.prepare("INSERT INTO tenants (id, name, created_at) VALUES (?1, ?2, ?3)")
            .bind(&[text(tenant_id), text(name), int(now)])?,
        db.prepare(
            "INSERT INTO api_keys (id, tenant_id, key_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(&[
            text(&key_id),
            text(tenant_id),
            text(&hash_api_key(api_key)),
            int(now),
        ])?,
    ])
    .await?;
    Ok(())
}

pub async fn tenant_for_api_key(
    db: &D1Database,
    key_hash: &str,
) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        tenant_id: String,
    }
    let row: Option<Row> = db
        .prepare("SELECT tenant_id FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL")
        .bind(&[text(key_hash)])?
        .first(None)
        .await?;
    Ok(row.map(|r| r.tenant_id))
}
