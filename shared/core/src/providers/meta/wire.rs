//! Meta's webhook body as it arrives, field for field. Every field Ponte does not require is
//! optional: Meta adds fields over time and old payloads lack new ones.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::providers::lenient::Lenient;

#[derive(Deserialize)]
pub struct Webhook<'a> {
    pub object: Option<String>,
    #[serde(borrow)]
    pub entry: Vec<Entry<'a>>,
}

#[derive(Deserialize)]
pub struct Entry<'a> {
    #[serde(default, borrow)]
    pub changes: Vec<Change<'a>>,
}

#[derive(Deserialize)]
pub struct Change<'a> {
    #[serde(default)]
    pub field: String,
    /// Parsed later, and only for the fields Ponte acts on.
    #[serde(borrow)]
    pub value: Option<&'a RawValue>,
}

#[derive(Deserialize)]
pub struct MessagesValue {
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub messages: Vec<Lenient<Message>>,
    #[serde(default)]
    pub message_echoes: Vec<Lenient<Message>>,
    #[serde(default)]
    pub statuses: Vec<Lenient<Status>>,
    #[serde(default)]
    pub errors: Vec<Error>,
}

#[derive(Deserialize)]
pub struct Metadata {
    pub phone_number_id: Option<String>,
}

#[derive(Deserialize)]
pub struct Contact {
    pub profile: Option<Profile>,
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
}

#[derive(Deserialize)]
pub struct Profile {
    pub name: Option<String>,
    pub username: Option<String>,
}

/// One message, inbound or echoed. The same shape (without `id`) is nested inside `edit`.
#[derive(Deserialize)]
pub struct Message {
    pub id: Option<String>,
    pub from: Option<String>,
    pub from_user_id: Option<String>,
    pub to: Option<String>,
    pub to_user_id: Option<String>,
    #[serde(default, deserialize_with = "unix_seconds")]
    pub timestamp: Option<i64>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub context: Option<Context>,
    pub referral: Option<Value>,
    #[serde(default)]
    pub errors: Vec<Error>,

    pub text: Option<Text>,
    pub image: Option<Media>,
    pub audio: Option<Media>,
    pub video: Option<Media>,
    pub document: Option<Media>,
    pub sticker: Option<Media>,
    pub location: Option<Location>,
    pub contacts: Option<Vec<Value>>,
    pub interactive: Option<Interactive>,
    pub button: Option<Button>,
    pub reaction: Option<Reaction>,
    pub order: Option<Value>,
    pub system: Option<System>,
    pub revoke: Option<Revoke>,
    pub edit: Option<Edit>,
    pub unsupported: Option<Unsupported>,
}

#[derive(Deserialize)]
pub struct Context {
    pub id: Option<String>,
    pub from: Option<String>,
    #[serde(default)]
    pub forwarded: bool,
    #[serde(default)]
    pub frequently_forwarded: bool,
}

#[derive(Deserialize)]
pub struct Text {
    #[serde(default)]
    pub body: String,
}

#[derive(Deserialize)]
pub struct Media {
    pub id: Option<String>,
    pub url: Option<String>,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub caption: Option<String>,
    pub filename: Option<String>,
    pub voice: Option<bool>,
    pub animated: Option<bool>,
}

#[derive(Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
    pub url: Option<String>,
}

#[derive(Deserialize)]
pub struct Interactive {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub button_reply: Option<Reply>,
    pub list_reply: Option<Reply>,
    pub nfm_reply: Option<FlowReply>,
    pub call_permission_reply: Option<CallPermissionReply>,
}

#[derive(Deserialize)]
pub struct Reply {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub title: String,
    pub description: Option<String>,
}

#[derive(Deserialize)]
pub struct FlowReply {
    pub name: Option<String>,
    pub body: Option<String>,
    /// A JSON document encoded as a string.
    pub response_json: Option<String>,
}

#[derive(Deserialize)]
pub struct CallPermissionReply {
    #[serde(default)]
    pub response: String,
}

#[derive(Deserialize)]
pub struct Button {
    #[serde(default)]
    pub payload: String,
    #[serde(default)]
    pub text: String,
}

#[derive(Deserialize)]
pub struct Reaction {
    #[serde(default)]
    pub message_id: String,
    pub emoji: Option<String>,
}

#[derive(Deserialize)]
pub struct System {
    pub body: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Deserialize)]
pub struct Revoke {
    #[serde(default)]
    pub original_message_id: String,
}

#[derive(Deserialize)]
pub struct Edit {
    #[serde(default)]
    pub original_message_id: String,
    pub message: Option<Box<Message>>,
}

#[derive(Deserialize)]
pub struct Unsupported {
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Deserialize)]
pub struct Status {
    pub id: String,
    pub status: String,
    #[serde(default, deserialize_with = "unix_seconds")]
    pub timestamp: Option<i64>,
    pub recipient_id: Option<String>,
    #[serde(default)]
    pub errors: Vec<Error>,
}

#[derive(Deserialize)]
pub struct Error {
    #[serde(default)]
    pub code: i64,
    pub title: Option<String>,
    pub message: Option<String>,
    pub error_data: Option<ErrorData>,
}

#[derive(Deserialize)]
pub struct ErrorData {
    pub details: Option<String>,
}

/// Meta sends unix seconds as a string (`"1697043223"`); some relays send a number.
fn unix_seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StringOrNumber {
        String(String),
        Number(i64),
    }
    Ok(match Option::<StringOrNumber>::deserialize(deserializer)? {
        Some(StringOrNumber::Number(n)) => Some(n),
        Some(StringOrNumber::String(s)) => s.trim().parse().ok(),
        None => None,
    })
}
