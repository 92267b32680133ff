//! A message as the read API shows it: the columns it is read from, its attachment's copy in
//! R2 with a signed link, and the provider's error.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::D1Result;

use crate::problem::ApiError;

/// The columns a [`Message`] is read from; a macro so that statements can be `concat!`ed constants.
macro_rules! message_columns {
    () => {
        "seq, id, conversation_id, channel_id, provider_message_id, direction, type, text, \
         content, preview, context, referral, provider_ts, received_at, status, status_at, \
         error_code, error_title, sender, deleted_at, edited_at, from_blocked_contact, \
         (SELECT json_object('id', md.id, 'status', \
         md.status, 'content_type', md.content_type, 'size', md.size, 'sha256', md.sha256, \
         'filename', md.filename, 'error', md.error) FROM media md \
         WHERE md.message_id = messages.id) AS media"
    };
}
pub(crate) use message_columns;
pub(crate) const MESSAGE_COLUMNS: &str = message_columns!();

#[derive(Deserialize)]
struct MessageRow {
    seq: i64,
    id: String,
    conversation_id: String,
    channel_id: String,
    provider_message_id: Option<String>,
    direction: String,
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
    content: String,
    preview: String,
    context: Option<String>,
    referral: Option<String>,
    provider_ts: i64,
    received_at: i64,
    status: Option<String>,
    status_at: Option<i64>,
    error_code: Option<i64>,
    error_title: Option<String>,
    sender: Option<String>,
    deleted_at: Option<i64>,
    edited_at: Option<i64>,
    from_blocked_contact: i64,
    media: Option<String>,
}

/// A message's attachment as copied into R2: `pending`, `ready` with a signed link to it, or
/// `failed` with the reason.
#[derive(Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    pub filename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Attachment {
    fn of(raw: Option<String>) -> Option<Self> {
        let mut attachment: Attachment = serde_json::from_str(&raw?).ok()?;
        if attachment.status == "ready" {
            attachment.url = crate::media_links::signed_path(&attachment.id);
        }
        if attachment.status != "failed" {
            attachment.error = None;
        }
        Some(attachment)
    }
}

#[derive(Serialize)]
pub struct ProviderErrorOut {
    /// The provider's error code, when it gave one (a timeout or an HTML 502 has none).
    pub code: Option<i64>,
    pub title: Option<String>,
}

#[derive(Serialize)]
pub struct Message {
    #[serde(skip)]
    pub seq: i64,
    pub id: String,
    pub conversation_id: String,
    pub channel_id: String,
    /// `None` until the provider has accepted an outbound message.
    pub provider_message_id: Option<String>,
    pub direction: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
    pub content: Value,
    pub preview: String,
    pub context: Option<Value>,
    pub referral: Option<Value>,
    /// The provider's time of the message.
    pub timestamp: i64,
    pub received_at: i64,
    pub status: Option<String>,
    pub status_at: Option<i64>,
    pub error: Option<ProviderErrorOut>,
    /// Who in a group wrote it: `{id, phone, name}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<Value>,
    /// When its author deleted it for everyone; the message stays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
    /// When its author last edited it; `content` is the edited one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<i64>,
    /// Its attachment's copy into R2, for messages that carry media.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Attachment>,
    /// It came from a contact the business had blocked: stored, not counted as unread.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub from_blocked_contact: bool,
}

fn parse_json(raw: Option<String>) -> Option<Value> {
    raw.and_then(|s| serde_json::from_str(&s).ok())
}

impl From<MessageRow> for Message {
    fn from(r: MessageRow) -> Self {
        Self {
            seq: r.seq,
            content: parse_json(Some(r.content)).unwrap_or(Value::Null),
            context: parse_json(r.context),
            referral: parse_json(r.referral),
            sender: parse_json(r.sender),
            deleted_at: r.deleted_at,
            edited_at: r.edited_at,
            media: Attachment::of(r.media),
            from_blocked_contact: r.from_blocked_contact != 0,
            error: (r.error_code.is_some() || r.error_title.is_some()).then_some(
                ProviderErrorOut {
                    code: r.error_code,
                    title: r.error_title,
                },
            ),
            id: r.id,
            conversation_id: r.conversation_id,
            channel_id: r.channel_id,
            provider_message_id: r.provider_message_id,
            direction: r.direction,
            kind: r.kind,
            text: r.text,
            preview: r.preview,
            timestamp: r.provider_ts,
            received_at: r.received_at,
            status: r.status,
            status_at: r.status_at,
        }
    }
}

/// The rows of a statement that selected (or returned) [`MESSAGE_COLUMNS`].
pub(crate) fn messages_of(result: &D1Result) -> Result<Vec<Message>, ApiError> {
    let rows: Vec<MessageRow> = result.results()?;
    Ok(rows.into_iter().map(Message::from).collect())
}
