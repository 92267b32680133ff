//! One webhook's writes as one D1 batch (one transaction): contacts and their identities,
//! conversations, messages exactly once, statuses only forward.
//!
//! Every decision (does this contact exist? is this message new?) is taken inside the batch by the
//! SQL itself, so two deliveries of the same webhook racing each other cannot both insert.

mod aliases;
mod avatars;
mod changes;
mod in_place;
mod watermarks;

use ponte_core::identity::{ContactRef, MAX_IDENTITY_KEYS};
use ponte_core::ids::new_id;
use ponte_core::model::{Direction, InboundBatch, NormalizedMessage};
use ponte_core::status::DeliveryStatus;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

pub use changes::Changes;

use super::channels;
use super::media::{self, MediaJob};
use super::read::{conversation_columns, message_columns};
use super::{int, opt_int, opt_text, text};
use crate::problem::ApiError;

pub struct Target<'a> {
    pub tenant_id: &'a str,
    pub channel_id: &'a str,
    pub received_at: i64,
}

/// Finds or creates the contact and its conversation on the channel: the view's trigger
/// (migrations/0004_contact_arrivals.sql, keys as columns since 0006) runs the four statements
/// that takes.
const CONTACT_ARRIVES: &str = "INSERT INTO contact_arrivals (contact_id, conversation_id, \
     tenant_id, channel_id, identity_1, identity_2, identity_3, name, phone_e164, at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/// The contact arrives and the message is stored once (migrations/0005_message_arrivals.sql,
/// keys as columns since 0006). The message was new exactly when a row with the id `?11` exists
/// after the batch.
const MESSAGE_ARRIVES: &str = "INSERT INTO message_arrivals (contact_id, conversation_id, \
     tenant_id, channel_id, identity_1, identity_2, identity_3, name, phone_e164, at, id, \
     provider_message_id, direction, type, text, content, preview, context, referral, \
     reply_to_provider_id, provider_ts, status, status_rank, status_at, sender) VALUES (?1, ?2, \
     ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, \
     ?23, ?24, ?25)";

/// A contact's identity keys as the arrival views take them: three columns, most specific first,
/// unused ones NULL. The first key that already belongs to a contact decides who it is.
pub(crate) struct ArrivalKeys([Option<String>; MAX_IDENTITY_KEYS]);

impl ArrivalKeys {
    /// The contact's keys, or, with no usable id at all, the channel's one anonymous contact.
    fn of(to: &Target, contact: &ContactRef) -> Self {
        let mut keys = contact.identity_keys().into_iter();
        let first = keys
            .next()
            .unwrap_or_else(|| format!("anonymous:{}", to.channel_id));
        // Three columns for at most three keys: a change to either stops this compiling.
        Self([Some(first), keys.next(), keys.next()])
    }

    pub(crate) fn one(key: String) -> Self {
        Self([Some(key), None, None])
    }

    fn bound(&self) -> [JsValue; MAX_IDENTITY_KEYS] {
        self.0.each_ref().map(|key| opt_text(key.as_deref()))
    }
}

/// The messages whose ids are `?1` (a JSON array), in tenant `?2`, as they are now.
const MESSAGES_BY_ID: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages WHERE tenant_id = ?2 AND id IN (SELECT value FROM json_each(?1))"
);

/// The conversations of the messages whose ids are `?1` (a JSON array), in tenant `?2`.
const TOUCHED_CONVERSATIONS: &str = concat!(
    "SELECT ",
    conversation_columns!(),
    " FROM conversations c JOIN contacts ct ON ct.id = c.contact_id ",
    "WHERE c.tenant_id = ?2 AND c.id IN (SELECT conversation_id FROM messages ",
    "WHERE id IN (SELECT value FROM json_each(?1)))"
);

/// A file that came inside a webhook, base64, for the attachment `media_id` of `message_id`.
pub struct InlineMedia {
    pub media_id: String,
    pub message_id: String,
    pub base64: String,
    pub content_type: Option<String>,
    /// What the provider said the file hashes to.
    pub sha256: Option<String>,
}

/// A webhook's statements and where, among their results, the changes can be read back.
pub struct InboundWrite {
    pub statements: Vec<D1PreparedStatement>,
    /// The ids the messages arrived with, in the webhook's order (see [`MESSAGE_ARRIVES`]).
    message_ids: Vec<String>,
    /// Attachments to copy into R2, one per message with media. Each job finds its row only if
    /// the message was new; a redelivery's jobs find nothing and end there.
    pub media_jobs: Vec<MediaJob>,
    /// Attachments whose file came inside the webhook: stored into R2 right after the batch.
    pub inline_media: Vec<InlineMedia>,
    /// Statements whose returned rows (or ids) are messages they changed: statuses, deletions.
    moved_at: Vec<usize>,
    /// Where each group of statements that must commit together begins (see
    /// `ponte_core::batching`): a message with its attachment, a status with its waiting copy.
    pub unit_starts: Vec<usize>,
    /// The statement that recorded the session's state, if the webhook reported one.
    connection_at: Option<usize>,
    /// Built for a tenant expected to listen: status updates return whole rows, and the batch
    /// itself reads the new messages back at `read_at`, followed by their conversations.
    listening: bool,
    read_at: Option<usize>,
    /// When the batch may have merged contacts (`merged_contacts.at`), for the realtime event.
    pub merges_at: Option<i64>,
}

/// Statements for `batch`, in the order they must run: messages with their contacts, then
/// statuses (a status may refer to a message stored by this same webhook). With `listening`, the
/// statuses return whole rows and the batch ends by reading the new messages and their
/// conversations, for the realtime events; without it, nothing is read back.
pub fn statements(
    db: &D1Database,
    to: &Target,
    batch: &InboundBatch,
    listening: bool,
) -> Result<InboundWrite, ApiError> {
    let mut out = Vec::with_capacity(batch.messages.len() + batch.statuses.len() * 2 + 2);
    let mut message_ids = Vec::with_capacity(batch.messages.len());
    let mut media_jobs = Vec::new();
    let mut inline_media = Vec::new();
    let mut unit_starts = Vec::with_capacity(out.capacity());
    for message in &batch.messages {
        unit_starts.push(out.len());
        let id = new_id("msg");
        out.push(message_statement(db, to, &id, message)?);
        if let Some(source) = message.content.media() {
            let media_id = new_id("med");
            let inline = source.inline_base64.clone();
            out.push(media::arrival_statement(
                db,
                to.tenant_id,
                to.channel_id,
                &media_id,
                &id,
                source,
                to.received_at,
            )?);
            match inline {
                Some(base64) => inline_media.push(InlineMedia {
                    media_id,
                    message_id: id.clone(),
                    base64,
                    content_type: source.mime_type.clone(),
                    sha256: source.sha256.clone(),
                }),
                None => media_jobs.push(MediaJob {
                    tenant_id: to.tenant_id.to_string(),
                    media_id,
                }),
            }
        }
        message_ids.push(id);
    }
    // A message with several keys may merge contacts as it arrives (migrations/0018).
    let merges_at = batch
        .messages
        .iter()
        .any(|m| m.contact.keys().len() > 1)
        .then_some(to.received_at);
    // After the messages, whose contacts then exist; a profile alone never creates one.
    let contacts = batch.messages.iter().map(|m| &m.contact);
    let avatars = contacts.chain(&batch.profiles).filter_map(|contact| {
        let url = contact.avatar_url.as_deref()?;
        Some((contact.keys().first()?.to_string(), url))
    });
    for avatar in avatars::avatar_statements(db, to, avatars)? {
        unit_starts.push(out.len());
        out.push(avatar);
    }
    // Before the statuses, which may name a message by the alias this same delivery gives it.
    for alias in &batch.aliases {
        unit_starts.push(out.len());
        out.push(aliases::alias_statement(db, to, alias)?);
    }
    let mut moved_at =
        Vec::with_capacity(batch.status_count() + batch.deletions.len() + batch.edits.len());
    for status in &batch.statuses {
        unit_starts.push(out.len());
        moved_at.push(out.len());
        out.extend(in_place::status_statements(db, to, status, listening)?);
    }
    for deleted in &batch.deletions {
        unit_starts.push(out.len());
        moved_at.push(out.len());
        out.push(in_place::deletion_statement(db, to, deleted, listening)?);
    }
    // After the messages: an edit of a message first seen in this delivery finds it stored.
    for edit in &batch.edits {
        unit_starts.push(out.len());
        moved_at.push(out.len());
        out.extend(in_place::edit_statements(db, to, edit, listening)?);
    }
    // After the messages, like the statuses: an echo stored by this delivery can move too.
    for watermark in &batch.watermarks {
        unit_starts.push(out.len());
        moved_at.push(out.len());
        out.push(watermarks::watermark_statement(
            db, to, watermark, listening,
        )?);
    }
    let mut connection_at = None;
    if let Some(update) = &batch.connection {
        unit_starts.push(out.len());
        connection_at = Some(out.len());
        out.push(channels::connection_statement(
            db,
            to.tenant_id,
            to.channel_id,
            update,
            to.received_at,
        )?);
    }
    let mut read_at = None;
    if listening && !message_ids.is_empty() {
        unit_starts.push(out.len());
        read_at = Some(out.len());
        out.extend(read_back(db, to.tenant_id, &message_ids)?);
    }
    Ok(InboundWrite {
        statements: out,
        message_ids,
        media_jobs,
        inline_media,
        moved_at,
        unit_starts,
        connection_at,
        listening,
        read_at,
        merges_at,
    })
}

/// The messages with these ids as they are now, then the conversations they are in.
fn read_back(
    db: &D1Database,
    tenant_id: &str,
    message_ids: &[String],
) -> Result<[D1PreparedStatement; 2], ApiError> {
    let ids = serde_json::to_string(message_ids).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok([
        db.prepare(MESSAGES_BY_ID)
            .bind(&[text(&ids), text(tenant_id)])?,
        db.prepare(TOUCHED_CONVERSATIONS)
            .bind(&[text(&ids), text(tenant_id)])?,
    ])
}

/// Finds or creates the contact known by any of `keys`, adds the keys it lacks, and makes sure it
/// has a conversation on the channel, all inside the batch.
pub(crate) fn contact_statement(
    db: &D1Database,
    to: &Target,
    keys: &ArrivalKeys,
    name: Option<&str>,
    phone: Option<&str>,
) -> Result<D1PreparedStatement, ApiError> {
    let [key_1, key_2, key_3] = keys.bound();
    Ok(db.prepare(CONTACT_ARRIVES).bind(&[
        text(&new_id("ct")),
        text(&new_id("con")),
        text(to.tenant_id),
        text(to.channel_id),
        key_1,
        key_2,
        key_3,
        opt_text(name),
        opt_text(phone),
        int(to.received_at),
    ])?)
}

fn message_statement(
    db: &D1Database,
    to: &Target,
    message_id: &str,
    m: &NormalizedMessage,
) -> Result<D1PreparedStatement, ApiError> {
    let [key_1, key_2, key_3] = ArrivalKeys::of(to, &m.contact).bound();
    let name = m.contact.name.as_deref().filter(|n| !n.is_empty());
    let content =
        serde_json::to_string(&m.content).map_err(|e| ApiError::internal(e.to_string()))?;
    let context = m
        .context
        .as_ref()
        .and_then(|c| serde_json::to_string(c).ok());
    let referral = m.referral.as_ref().map(|r| r.to_string());
    let reply_to = m.context.as_ref().and_then(|c| c.message_id.as_deref());
    let phone = m.contact.phone().map(|p| p.e164());
    let sender = m
        .sender
        .as_ref()
        .and_then(|s| serde_json::to_string(s).ok());
    // Echoes of messages sent from the business's phone were sent by definition.
    let status = (m.direction == Direction::Outbound).then_some(DeliveryStatus::Sent);
    Ok(db.prepare(MESSAGE_ARRIVES).bind(&[
        text(&new_id("ct")),
        text(&new_id("con")),
        text(to.tenant_id),
        text(to.channel_id),
        key_1,
        key_2,
        key_3,
        opt_text(name),
        opt_text(phone.as_deref()),
        int(to.received_at),
        text(message_id),
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
        opt_text(status.map(DeliveryStatus::as_str)),
        int(status.map_or(-1, DeliveryStatus::rank)),
        opt_int(status.map(|_| m.timestamp_ms)),
        opt_text(sender.as_deref()),
    ])?)
}
