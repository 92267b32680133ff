//! Changes an agent makes to a conversation: its status, and having read it.

use serde::Deserialize;
use worker::D1Database;

use super::read::{conversation, Conversation};
use super::text;
use crate::problem::ApiError;

pub async fn set_status(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    status: &str,
) -> Result<Option<Conversation>, ApiError> {
    db.prepare("UPDATE conversations SET status = ?3 WHERE id = ?1 AND tenant_id = ?2")
        .bind(&[text(id), text(tenant_id), text(status)])?
        .run()
        .await?;
    conversation(db, tenant_id, id).await
}

/// The provider id of the contact's latest message, the one a read receipt names.
pub async fn last_inbound_provider_id(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        provider_message_id: Option<String>,
    }
    let row: Option<Row> = db
        .prepare(
            "SELECT provider_message_id FROM messages WHERE conversation_id = ?1 AND tenant_id = ?2 \
             AND direction = 'inbound' ORDER BY provider_ts DESC, seq DESC LIMIT 1",
        )
        .bind(&[text(id), text(tenant_id)])?
        .first(None)
        .await?;
    Ok(row.and_then(|r| r.provider_message_id))
}

pub async fn mark_read(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Conversation>, ApiError> {
    db.prepare("UPDATE conversations SET unread_count = 0 WHERE id = ?1 AND tenant_id = ?2")
        .bind(&[text(id), text(tenant_id)])?
        .run()
        .await?;
    conversation(db, tenant_id, id).await
}
