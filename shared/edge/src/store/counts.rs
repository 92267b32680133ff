//! Totals over a tenant's conversations, for what a page of the list cannot tell.

use serde::{Deserialize, Serialize};
use worker::D1Database;

use super::text;
use crate::problem::ApiError;

/// How many conversations the tenant has in each status, and how many have unread messages.
#[derive(Debug, Default, Serialize)]
pub struct ConversationCounts {
    pub open: i64,
    pub pending: i64,
    pub resolved: i64,
    pub unread: i64,
}

#[derive(Deserialize)]
struct CountRow {
    status: String,
    total: i64,
    unread: i64,
}

pub async fn conversation_counts(
    db: &D1Database,
    tenant_id: &str,
) -> Result<ConversationCounts, ApiError> {
    let rows: Vec<CountRow> = db
        .prepare(
            "SELECT status, COUNT(*) AS total, SUM(unread_count > 0) AS unread \
             FROM conversations WHERE tenant_id = ?1 GROUP BY status",
        )
        .bind(&[text(tenant_id)])?
        .all()
        .await?
        .results()?;
    let mut counts = ConversationCounts::default();
    for row in rows {
        counts.unread += row.unread;
        match row.status.as_str() {
            "open" => counts.open = row.total,
            "pending" => counts.pending = row.total,
            "resolved" => counts.resolved = row.total,
            _ => {}
        }
    }
    Ok(counts)
}
