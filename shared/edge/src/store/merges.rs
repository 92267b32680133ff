//! Merges asked for by hand, and the ids merges left behind: a merged-away contact or
//! conversation is found again as the one it became (migrations/0016_contact_merges.sql).

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use super::{int, text};
use crate::problem::ApiError;

#[derive(Deserialize)]
pub struct Merge {
    pub old_id: String,
    pub new_id: String,
}

/// The contact `id` became, when it was merged away.
pub async fn contact_now(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<String>, ApiError> {
    let found: Option<Merge> = db
        .prepare("SELECT old_id, new_id FROM merged_contacts WHERE old_id = ?1 AND tenant_id = ?2")
        .bind(&[text(id), text(tenant_id)])?
        .first(None)
        .await?;
    Ok(found.map(|m| m.new_id))
}

/// The conversation `id` became, when it was combined into another.
pub async fn conversation_now(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<String>, ApiError> {
    let found: Option<Merge> = db
        .prepare(
            "SELECT old_id, new_id FROM merged_conversations WHERE old_id = ?1 AND tenant_id = ?2",
        )
        .bind(&[text(id), text(tenant_id)])?
        .first(None)
        .await?;
    Ok(found.map(|m| m.new_id))
}

/// The contacts merged at `at`, for the realtime event.
pub async fn contacts_merged_at(
    db: &D1Database,
    tenant_id: &str,
    at: i64,
) -> Result<Vec<Merge>, ApiError> {
    Ok(db
        .prepare("SELECT old_id, new_id FROM merged_contacts WHERE tenant_id = ?1 AND at = ?2")
        .bind(&[text(tenant_id), int(at)])?
        .all()
        .await?
        .results()?)
}

/// Merges `other` into `survivor`, as an agent asked (deliveries merge inside their contact's
/// arrival, migrations/0018_contact_arrivals.sql).
pub fn merge_statement(
    db: &D1Database,
    tenant_id: &str,
    survivor: &str,
    other: &str,
    at: i64,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(
            "INSERT INTO contact_merges (tenant_id, survivor_id, other_id, at) \
             VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(&[text(tenant_id), text(survivor), text(other), int(at)])?)
}
