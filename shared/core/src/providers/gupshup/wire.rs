//! GupShup's v2 callback bodies, as documented: <https://docs.gupshup.io/docs/types-of-payload>
//! and <https://partner-docs.gupshup.io/docs/v3-message-events>. Fields Ponte does not read are
//! not declared, so they are skipped unread.

use serde::Deserialize;
use serde_json::Value;

/// `{"app","timestamp","version":2,"type","payload"}`: `type` says what `payload` is.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub app: Option<String>,
    /// Milliseconds.
    #[serde(default)]
    pub timestamp: Option<i64>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub payload: Value,
}

/// `type: "message"`: what the customer sent.
#[derive(Debug, Deserialize)]
pub struct Message {
    /// WhatsApp's id of the message.
    pub id: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub payload: Value,
    #[serde(default)]
    pub sender: Option<Sender>,
    #[serde(default)]
    pub context: Option<Context>,
}

#[derive(Debug, Deserialize)]
pub struct Sender {
    /// Digits with the country code, no `+`.
    pub phone: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// The message this one replies to: WhatsApp's id and, for our sends, GupShup's.
#[derive(Debug, Deserialize)]
pub struct Context {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, rename = "gsId")]
    pub gs_id: Option<String>,
}

/// `type: "message-event"`: what became of one of our sends. `id` is GupShup's id for
/// `enqueued` and `failed`, WhatsApp's for the others, which then carry GupShup's as `gsId`
/// (for a week: later events name WhatsApp's alone).
#[derive(Debug, Deserialize)]
pub struct MessageEvent {
    pub id: String,
    #[serde(default, rename = "gsId")]
    pub gs_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub destination: Option<String>,
    #[serde(default)]
    pub payload: EventDetail,
}

/// The part of an event's `payload` Ponte reads: WhatsApp's id (`enqueued`), the time
/// (`sent`, `delivered`, `read`: seconds) and the reason (`failed`).
#[derive(Debug, Default, Deserialize)]
pub struct EventDetail {
    #[serde(default, rename = "whatsappMessageId")]
    pub whatsapp_message_id: Option<String>,
    #[serde(default)]
    pub ts: Option<i64>,
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `text`: `{"text":"Hi"}`.
#[derive(Debug, Deserialize)]
pub struct Text {
    pub text: String,
}

/// `image`, `file`, `audio`, `video`, `sticker`: a short-lived `url` on GupShup's file
/// manager.
#[derive(Debug, Deserialize)]
pub struct Media {
    pub url: String,
    #[serde(default, rename = "contentType")]
    pub content_type: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// `location`.
#[derive(Debug, Deserialize)]
pub struct Location {
    pub latitude: Value,
    pub longitude: Value,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

/// `button_reply` and `list_reply`: the option the customer chose from our buttons or list.
#[derive(Debug, Deserialize)]
pub struct Choice {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub reply: Option<String>,
    #[serde(default, rename = "postbackText")]
    pub postback_text: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `quick_reply`: a tap on a template's quick-reply button.
#[derive(Debug, Deserialize)]
pub struct QuickReply {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub payload: Option<String>,
}

/// `contact`: the shared cards, kept as sent.
#[derive(Debug, Deserialize)]
pub struct Contacts {
    #[serde(default)]
    pub contacts: Vec<Value>,
}

/// A v3 body's status: Meta's shape plus GupShup's `gs_id`.
#[derive(Debug, Deserialize)]
pub struct V3Status {
    pub id: String,
    #[serde(default)]
    pub gs_id: Option<String>,
}
