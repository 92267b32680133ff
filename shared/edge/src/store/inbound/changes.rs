//! What a webhook's batch really changed, read back for the realtime events.

use std::collections::HashMap;

use serde::Deserialize;
use worker::{D1Database, D1Result};

use super::{read_back, InboundWrite};
use crate::problem::ApiError;
use crate::store::read::{conversations_of, messages_of, Conversation, Message};

/// The rows to publish.
#[derive(Default)]
pub struct Changes {
    /// New messages, in the webhook's order.
    pub created: Vec<Message>,
    /// Messages whose status moved, in the order the statuses were applied.
    pub updated: Vec<Message>,
    /// The conversations of the created messages, after the change.
    pub conversations: Vec<Conversation>,
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

impl InboundWrite {
    /// What the batch changed. `results` are the batch results of exactly
    /// [`InboundWrite::statements`], in order. A batch built for a tenant thought not to listen
    /// read nothing back; its changes are read here, after it.
    pub async fn changes(
        &self,
        db: &D1Database,
        tenant_id: &str,
        results: &[D1Result],
    ) -> Result<Changes, ApiError> {
        let at = |i: usize| {
            results
                .get(i)
                .ok_or_else(|| ApiError::internal("batch returned fewer results than statements"))
        };
        if self.listening {
            let mut changes = Changes::default();
            for &i in &self.status_at {
                changes.updated.extend(messages_of(at(i)?)?);
            }
            if let Some(i) = self.read_at {
                changes.created = in_order(&self.message_ids, messages_of(at(i)?)?);
                changes.conversations = conversations_of(at(i + 1)?)?;
            }
            return Ok(changes);
        }
        let mut moved = Vec::new();
        for &i in &self.status_at {
            let rows: Vec<IdRow> = at(i)?.results()?;
            moved.extend(rows.into_iter().map(|r| r.id));
        }
        if self.message_ids.is_empty() && moved.is_empty() {
            return Ok(Changes::default());
        }
        let mut ids = self.message_ids.clone();
        ids.extend(moved.iter().cloned());
        let reads = db.batch(read_back(db, tenant_id, &ids)?.into()).await?;
        let (Some(messages), Some(conversations)) = (reads.first(), reads.get(1)) else {
            return Err(ApiError::internal(
                "batch returned fewer results than statements",
            ));
        };
        let messages = messages_of(messages)?;
        Ok(Changes {
            created: in_order(&self.message_ids, messages.clone()),
            updated: in_order(&moved, messages),
            // Those of the updated messages too: harmless, the events only use the created ones'.
            conversations: conversations_of(conversations)?,
        })
    }
}

/// The rows whose ids are in `ids`, in that order; ids without a row (a message that was already
/// stored) are left out, and an id listed twice (a message updated twice) gives its row twice.
fn in_order(ids: &[String], rows: Vec<Message>) -> Vec<Message> {
    let by_id: HashMap<String, Message> = rows.into_iter().map(|m| (m.id.clone(), m)).collect();
    ids.iter().filter_map(|id| by_id.get(id).cloned()).collect()
}
