//! What a webhook's batch really changed, read back for the realtime events.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;
use worker::{D1Database, D1Result};

use super::{read_back, InboundWrite};
use crate::problem::ApiError;
use crate::store::read::{conversations_of, messages_of, Conversation, Message};

/// The rows to publish.
#[derive(Default)]
pub struct Changes {
    /// New messages, in the webhook's order.
    pub created: Vec<Message>,
    /// Messages whose status moved, in the order the statuses were applied; never one that is new
    /// in this batch, whose row in `created` already shows the statuses. When they are read after
    /// the batch, each message is here once, as it is now.
    pub updated: Vec<Message>,
    /// The conversations of the created messages, after the change.
    pub conversations: Vec<Conversation>,
    /// The channel's session state as the webhook left it, when it changed: `{state, qr}`, at.
    pub connection: Option<(Value, i64)>,
}

#[derive(Deserialize)]
struct ConnectionRow {
    connection: String,
    connection_at: i64,
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
        let at = |i: usize| result_at(results, i);
        let connection = match self.connection_at {
            Some(i) => {
                let rows: Vec<ConnectionRow> = at(i)?.results()?;
                rows.into_iter().next().map(|row| {
                    let state = serde_json::from_str(&row.connection).unwrap_or(Value::Null);
                    (state, row.connection_at)
                })
            }
            None => None,
        };
        if self.listening {
            let mut changes = Changes {
                connection,
                ..Changes::default()
            };
            for &i in &self.moved_at {
                changes.updated.extend(messages_of(at(i)?)?);
            }
            if let Some(i) = self.read_at {
                let mut rows = by_id(messages_of(at(i)?)?);
                changes.created = take_in_order(&self.message_ids, &mut rows);
                changes.conversations = conversations_of(at(i + 1)?)?;
            }
            // A status's row shows the message as that status left it, earlier than the created
            // row read at the end: publishing both would step the client's status back.
            let created = &changes.created;
            changes
                .updated
                .retain(|m| !created.iter().any(|c| c.id == m.id));
            return Ok(changes);
        }
        let mut moved = Vec::new();
        for &i in &self.moved_at {
            let rows: Vec<IdRow> = at(i)?.results()?;
            moved.extend(rows.into_iter().map(|r| r.id));
        }
        if self.message_ids.is_empty() && moved.is_empty() {
            return Ok(Changes {
                connection,
                ..Changes::default()
            });
        }
        let ids = [self.message_ids.as_slice(), moved.as_slice()].concat();
        let reads = db.batch(read_back(db, tenant_id, &ids)?.into()).await?;
        let mut rows = by_id(messages_of(result_at(&reads, 0)?)?);
        Ok(Changes {
            created: take_in_order(&self.message_ids, &mut rows),
            updated: take_in_order(&moved, &mut rows),
            // Those of the updated messages too: harmless, the events only use the created ones'.
            conversations: conversations_of(result_at(&reads, 1)?)?,
            connection,
        })
    }
}

fn result_at(results: &[D1Result], i: usize) -> Result<&D1Result, ApiError> {
    results
        .get(i)
        .ok_or_else(|| ApiError::internal("batch returned fewer results than statements"))
}

fn by_id(rows: Vec<Message>) -> HashMap<String, Message> {
    rows.into_iter().map(|m| (m.id.clone(), m)).collect()
}

/// The rows of `ids`, in that order, each taken out of `rows` once: an id without a row left (a
/// message that was already stored, or one already taken) is skipped.
fn take_in_order(ids: &[String], rows: &mut HashMap<String, Message>) -> Vec<Message> {
    ids.iter().filter_map(|id| rows.remove(id)).collect()
}
