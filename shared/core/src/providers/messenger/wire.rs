//! The Messenger Platform's webhook objects Ponte reads, as Meta posts them for Facebook Pages
//! (`object: "page"`) and Instagram professional accounts (`object: "instagram"`).
//!
//! Reference: <https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events>.
//! Only what Ponte uses is declared and nearly all of it is optional: one event carries exactly
//! one of `message`, `postback`, `reaction`, `message_edit`, `delivery`, `read`, and the platform
//! adds kinds over time; anything else stays in `rest`, which is how it is named when ignored.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::providers::lenient::Lenient;

#[derive(Deserialize)]
pub struct Envelope {
    /// `page` or `instagram`.
    pub object: Option<String>,
    #[serde(default)]
    pub entry: Vec<Lenient<Entry>>,
}

#[derive(Deserialize)]
pub struct Entry {
    /// The page's (or Instagram account's) id.
    #[serde(deserialize_with = "graph_id")]
    pub id: String,
    /// Milliseconds.
    pub time: Option<i64>,
    /// Absent when the entry carries something else (`standby`, `changes`).
    #[serde(default)]
    pub messaging: Vec<Lenient<Event>>,
}

#[derive(Deserialize)]
pub struct Event {
    pub sender: Option<Party>,
    pub recipient: Option<Party>,
    /// Milliseconds; delivery events carry none.
    pub timestamp: Option<i64>,
    pub message: Option<Message>,
    pub postback: Option<Postback>,
    pub reaction: Option<Reaction>,
    pub message_edit: Option<Edit>,
    pub delivery: Option<Delivery>,
    /// Instagram names its read receipts `messaging_seen` in some payloads.
    #[serde(alias = "messaging_seen")]
    pub read: Option<Read>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl Event {
    /// What the event is about, for an event Ponte does not act on.
    pub fn kind(&self) -> String {
        self.rest
            .keys()
            .next()
            .cloned()
            .unwrap_or_else(|| "an event of no kind".into())
    }
}

#[derive(Deserialize)]
pub struct Party {
    /// Absent for the chat plugin's guests, who have only a `user_ref`.
    #[serde(default, deserialize_with = "optional_graph_id")]
    pub id: Option<String>,
}

#[derive(Deserialize)]
pub struct Message {
    pub mid: String,
    pub text: Option<String>,
    pub quick_reply: Option<QuickReply>,
    pub reply_to: Option<ReplyTo>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Sent by the page (or account) itself: sender and recipient are swapped.
    #[serde(default)]
    pub is_echo: bool,
    /// Instagram: the sender took the message back.
    #[serde(default)]
    pub is_deleted: bool,
    #[serde(default)]
    pub is_unsupported: bool,
}

#[derive(Deserialize)]
pub struct QuickReply {
    pub payload: Option<String>,
}

#[derive(Deserialize)]
pub struct ReplyTo {
    /// Absent when the reply is to an Instagram story (`story: {url, id}`).
    pub mid: Option<String>,
}

#[derive(Deserialize)]
pub struct Attachment {
    #[serde(rename = "type")]
    pub kind: String,
    pub payload: Option<AttachmentPayload>,
}

#[derive(Deserialize)]
pub struct AttachmentPayload {
    pub url: Option<String>,
    pub title: Option<String>,
    /// Present when an `image` is a Messenger sticker.
    pub sticker_id: Option<Value>,
    pub coordinates: Option<Coordinates>,
}

#[derive(Deserialize)]
pub struct Coordinates {
    pub lat: f64,
    pub long: f64,
}

#[derive(Deserialize)]
pub struct Postback {
    pub title: Option<String>,
    pub payload: Option<String>,
    pub mid: Option<String>,
}

#[derive(Deserialize)]
pub struct Reaction {
    pub mid: String,
    /// `react` or `unreact`.
    pub action: Option<String>,
    /// A name for it: `love`, `like`, `smile`, … or `other`.
    pub reaction: Option<String>,
    pub emoji: Option<String>,
}

#[derive(Deserialize)]
pub struct Edit {
    pub mid: String,
    pub text: Option<String>,
}

#[derive(Deserialize)]
pub struct Delivery {
    /// Which messages were delivered; older clients send only the watermark.
    #[serde(default)]
    pub mids: Vec<String>,
    /// Every message sent before this moment (milliseconds) was delivered.
    pub watermark: Option<i64>,
}

#[derive(Deserialize)]
pub struct Read {
    /// Every message sent at or before this moment (milliseconds) was read.
    pub watermark: Option<i64>,
    /// Instagram names the message read instead.
    pub mid: Option<String>,
}

/// Graph ids are strings, and numbers in some hand-written payloads: both are read as text.
fn graph_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, found {other}"
        ))),
    }
}

fn optional_graph_id<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    graph_id(deserializer).map(Some)
}
