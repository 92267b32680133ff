//! One webhook's writes as one D1 batch (one transaction): contacts and their identities,
//! conversations, messages exactly once, statuses only forward.
//!
//! Every decision (does this contact exist? is this message new?) is taken inside the batch by the
//! SQL itself, so two deliveries of the same webhook racing each other cannot both insert.

use std::collections::BTreeMap;

use ponte_core::identity::ContactRef;
use ponte_core::ids::new_id;
use ponte_core::model::{Direction, InboundBatch, NormalizedMessage, StatusUpdate};
use ponte_core::status::DeliveryStatus;
use worker::{D1Database, D1PreparedStatement, D1Result};

use super::read::{
    conversations_of, messages_of, Conversation, Message, CONVERSATION_COLUMNS, MESSAGE_COLUMNS,
};
use super::{int, opt_int, opt_text, text};
use crate::problem::ApiError;

pub struct Target<'a> {
    pub tenant_id: &'a str,
    pub channel_id: &'a str,
    pub received_at: i64,
}

/// The contact whose identities (`?3`, a JSON array) are known in tenant `?2`.
macro_rules! resolve_contact {
    () => {
        "(SELECT contact_id FROM contact_identities WHERE tenant_id = ?2 \
          AND identity IN (SELECT value FROM json_each(?3)) LIMIT 1)"
    };
}

/// Finds or creates the contact and its conversation on the channel: the view's trigger
/// (migrations/0004_contact_arrivals.sql) runs the four statements that takes.
const CONTACT_ARRIVES: &str =
    "INSERT INTO contact_arrivals (contact_id, conversation_id, tenant_id, \
     channel_id, identities, name, phone_e164, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// A NULL conversation (which would mean a bug above) violates NOT NULL and fails the whole
/// batch loudly, so the provider retries, rather than silently dropping the message. Returns the
/// row only when it was really inserted: a redelivery reads nothing back.
const INSERT_MESSAGE: &str = concat!(
    "INSERT INTO messages (id, tenant_id, channel_id, conversation_id, provider_message_id, direction, type, ",
    "text, content, preview, context, referral, reply_to_provider_id, provider_ts, received_at, ",
    "status, status_rank, status_at) VALUES (?1, ?2, ?4, ",
    "(SELECT id FROM conversations WHERE channel_id = ?4 AND contact_id = ",
    resolve_contact!(),
    "), ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) ",
    "ON CONFLICT (channel_id, provider_message_id) DO NOTHING RETURNING "
);

fn insert_message_sql() -> String {
    format!("{INSERT_MESSAGE}{MESSAGE_COLUMNS}")
}

/// Returns the message only when its status really moved, so a repeated status publishes nothing.
fn apply_status_sql() -> String {
    format!(
        "UPDATE messages SET status = ?3, status_rank = ?4, status_at = ?5, error_code = ?6, error_title = ?7 \
         WHERE channel_id = ?1 AND provider_message_id = ?2 AND status_rank < ?4 RETURNING {MESSAGE_COLUMNS}"
    )
}

fn touched_conversations_sql() -> String {
    format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations c JOIN contacts ct ON ct.id = c.contact_id \
         WHERE c.tenant_id = ?2 AND c.id IN (SELECT conversation_id FROM messages \
         WHERE id IN (SELECT value FROM json_each(?1)))"
    )
}

const KEEP_PENDING_STATUS: &str =
    "INSERT INTO pending_statuses (channel_id, provider_message_id, status, \
     status_rank, status_at, error_code, error_title, received_at) \
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE NOT EXISTS \
     (SELECT 1 FROM messages WHERE channel_id = ?1 AND provider_message_id = ?2) \
     ON CONFLICT (channel_id, provider_message_id, status) DO NOTHING";

/// A webhook's statements and where, among their results, the changes can be read back.
pub struct InboundWrite {
    pub statements: Vec<D1PreparedStatement>,
    message_at: Vec<usize>,
    status_at: Vec<usize>,
    conversations_at: Option<usize>,
    /// The new messages' ids (a JSON array), for reading their conversations after the batch.
    message_ids: Option<String>,
}

/// What a webhook really changed: the rows to publish.
#[derive(Default)]
pub struct Changes {
    pub created: Vec<Message>,
    /// Messages whose status moved, in the order the statuses were applied.
    pub updated: Vec<Message>,
    /// The conversations of the created messages, after the change; read only for a tenant
    /// that listens.
    pub conversations: Vec<Conversation>,
}

impl InboundWrite {
    /// `results` are the batch results of exactly [`Self::statements`], in order.
    pub fn changes(&self, results: &[D1Result]) -> Result<Changes, ApiError> {
        let at = |i: usize| {
            results
                .get(i)
                .ok_or_else(|| ApiError::internal("batch returned fewer results than statements"))
        };
        let mut changes = Changes::default();
        for &i in &self.message_at {
            changes.created.extend(messages_of(at(i)?)?);
        }
        if let Some(i) = self.conversations_at {
            changes.conversations = conversations_of(at(i)?)?;
        }
        for &i in &self.status_at {
            changes.updated.extend(messages_of(at(i)?)?);
        }
        Ok(changes)
    }

    /// Reads the conversations of the new messages when the batch did not: it was built for a
    /// tenant thought not to listen, and the batch found that it does.
    pub async fn read_conversations_after(
        &self,
        db: &D1Database,
        tenant_id: &str,
        changes: &mut Changes,
    ) -> Result<(), ApiError> {
        if let (None, Some(ids)) = (self.conversations_at, &self.message_ids) {
            let result = touched_conversations(db, ids, tenant_id)?.all().await?;
            changes.conversations = conversations_of(&result)?;
        }
        Ok(())
    }
}

fn touched_conversations(
    db: &D1Database,
    message_ids: &str,
    tenant_id: &str,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(touched_conversations_sql())
        .bind(&[text(message_ids), text(tenant_id)])?)
}

/// Statements for `batch`, in the order they must run: contacts, conversations, messages, then
/// statuses (a status may refer to a message stored by this same webhook), then, if
/// `conversations_in_batch`, the touched conversations, read back for the realtime events.
pub fn statements(
    db: &D1Database,
    to: &Target,
    batch: &InboundBatch,
    conversations_in_batch: bool,
) -> Result<InboundWrite, ApiError> {
    let mut out = Vec::with_capacity(batch.messages.len() * 3 + batch.statuses.len() * 2 + 1);
    let identities: Vec<String> = batch
        .messages
        .iter()
        .map(|m| identities_json(to, &m.contact))
        .collect();

    // One set of contact statements per distinct contact in this delivery.
    let mut contacts: BTreeMap<&str, &ContactRef> = BTreeMap::new();
    for (message, ids) in batch.messages.iter().zip(&identities) {
        let seen = contacts.entry(ids.as_str()).or_insert(&message.contact);
        if seen.name.is_none() && message.contact.name.is_some() {
            *seen = &message.contact;
        }
    }
    for (ids, contact) in &contacts {
        let name = contact.name.as_deref().filter(|n| !n.is_empty());
        let phone = contact.phone().map(|p| p.e164());
        out.push(contact_statement(db, to, ids, name, phone.as_deref())?);
    }
    let mut message_ids = Vec::with_capacity(batch.messages.len());
    let mut message_at = Vec::with_capacity(batch.messages.len());
    for (message, ids) in batch.messages.iter().zip(&identities) {
        let id = new_id("msg");
        message_at.push(out.len());
        out.push(message_statement(db, to, &id, ids, message)?);
        message_ids.push(id);
    }
    let mut status_at = Vec::with_capacity(batch.statuses.len());
    for status in &batch.statuses {
        status_at.push(out.len());
        out.extend(status_statements(db, to, status)?);
    }
    let mut conversations_at = None;
    let mut ids = None;
    if !message_ids.is_empty() {
        let json =
            serde_json::to_string(&message_ids).map_err(|e| ApiError::internal(e.to_string()))?;
        if conversations_in_batch {
            conversations_at = Some(out.len());
            out.push(touched_conversations(db, &json, to.tenant_id)?);
        }
        ids = Some(json);
    }
    Ok(InboundWrite {
        statements: out,
        message_at,
        status_at,
        conversations_at,
        message_ids: ids,
    })
}

fn identities_json(to: &Target, contact: &ContactRef) -> String {
    let mut keys = contact.identity_keys();
    if keys.is_empty() {
        // No usable id at all: keep the message under one anonymous contact per channel.
        keys.push(format!("anonymous:{}", to.channel_id));
    }
    serde_json::to_string(&keys).unwrap_or_else(|_| "[]".into())
}

/// Finds or creates the contact known by any of `ids` (a JSON array of identity keys), adds the
/// keys it lacks, and makes sure it has a conversation on the channel, all inside the batch.
pub(crate) fn contact_statement(
    db: &D1Database,
    to: &Target,
    ids: &str,
    name: Option<&str>,
    phone: Option<&str>,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(db.prepare(CONTACT_ARRIVES).bind(&[
        text(&new_id("ct")),
        text(&new_id("con")),
        text(to.tenant_id),
        text(to.channel_id),
        text(ids),
        opt_text(name),
        opt_text(phone),
        int(to.received_at),
    ])?)
}

fn message_statement(
    db: &D1Database,
    to: &Target,
    message_id: &str,
    ids: &str,
    m: &NormalizedMessage,
) -> Result<D1PreparedStatement, ApiError> {
    let content =
        serde_json::to_string(&m.content).map_err(|e| ApiError::internal(e.to_string()))?;
    let context = m
        .context
        .as_ref()
        .and_then(|c| serde_json::to_string(c).ok());
    let referral = m.referral.as_ref().map(|r| r.to_string());
    let reply_to = m.context.as_ref().and_then(|c| c.message_id.as_deref());
    // Echoes of messages sent from the business's phone were sent by definition.
    let status = (m.direction == Direction::Outbound).then_some(DeliveryStatus::Sent);
    Ok(db.prepare(insert_message_sql()).bind(&[
        text(message_id),
        text(to.tenant_id),
        text(ids),
        text(to.channel_id),
        text(&m.provider_message_id),
        text(m.direction.as_str()),
        text(m.content.type_name()),
        opt_text(m.content.text()),
        text(&content),
        text(&m.content.preview()),
        opt_text(context.as_deref()),
        opt_text(referral.as_deref()),
        opt_text(reply_to),
        int(m.timestamp_ms),
        int(to.received_at),
        opt_text(status.map(DeliveryStatus::as_str)),
        int(status.map_or(-1, DeliveryStatus::rank)),
        opt_int(status.map(|_| m.timestamp_ms)),
    ])?)
}

fn status_statements(
    db: &D1Database,
    to: &Target,
    s: &StatusUpdate,
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    let code = s.error.as_ref().map(|e| e.code);
    let title = s.error.as_ref().map(|e| e.title.as_str());
    // KEEP_PENDING_STATUS takes APPLY_STATUS's parameters plus the arrival time.
    let mut args = vec![
        text(to.channel_id),
        text(&s.provider_message_id),
        text(s.status.as_str()),
        int(s.status.rank()),
        int(s.timestamp_ms),
        opt_int(code),
        opt_text(title),
    ];
    let apply = db.prepare(apply_status_sql()).bind(&args)?;
    args.push(int(to.received_at));
    Ok(vec![apply, db.prepare(KEEP_PENDING_STATUS).bind(&args)?])
}

/// `RETURNING` shows a row as inserted, before triggers. Only an outbound echo can have been
/// changed by one (a status that arrived before it), so only those are read again: rare, and
/// never on the path of an ordinary inbound message.
pub async fn settle_echoes(
    db: &D1Database,
    tenant_id: &str,
    changes: &mut Changes,
) -> Result<(), ApiError> {
    for message in changes
        .created
        .iter_mut()
        .filter(|m| m.direction == "outbound")
    {
        if let Some(current) = super::read::message(db, tenant_id, &message.id).await? {
            *message = current;
        }
    }
    Ok(())
}
