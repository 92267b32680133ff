//! Z-API's webhook bodies as they arrive: flat JSON objects told apart by `type`.
//!
//! Only the fields Ponte reads are declared; every one is optional, since Z-API adds fields over
//! time and leaves others out per event. Flags and timestamps are read leniently (`null` is
//! false, a number may come as a string): a gateway's loose typing should not cost a message.
//!
//! Fields: <https://developer.z-api.io/en/webhooks/on-message-received>.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// What every Z-API webhook carries.
#[derive(Deserialize)]
pub struct Envelope {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(rename = "instanceId")]
    pub instance_id: Option<String>,
}

/// `ReceivedCallback`: a message in a chat, received or sent from the connected phone (`fromMe`),
/// or a WhatsApp notification (`notification`) in its place.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Received {
    pub message_id: Option<String>,
    /// The chat: the contact's number, `…@lid`, `…-group`, `…-broadcast` or `…@newsletter`.
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub from_me: bool,
    #[serde(default, deserialize_with = "flag")]
    pub is_group: bool,
    #[serde(default, deserialize_with = "flag")]
    pub is_newsletter: bool,
    #[serde(default, deserialize_with = "flag")]
    pub broadcast: bool,
    #[serde(default, deserialize_with = "flag")]
    pub waiting_message: bool,
    #[serde(default, deserialize_with = "flag")]
    pub forwarded: bool,
    /// Milliseconds since the epoch.
    #[serde(default, deserialize_with = "number")]
    pub momment: Option<f64>,
    /// The spelling some of Z-API's documented examples use instead of `momment`.
    #[serde(default, deserialize_with = "number")]
    pub moment: Option<f64>,
    pub chat_name: Option<String>,
    pub sender_name: Option<String>,
    /// The chat's picture: in a one-to-one chat, the contact's.
    pub photo: Option<String>,
    /// The writer's picture (the business's own on a message it sent).
    pub sender_photo: Option<String>,
    pub chat_lid: Option<String>,
    pub sender_lid: Option<String>,
    pub participant_phone: Option<String>,
    pub participant_lid: Option<String>,
    pub reference_message_id: Option<String>,
    pub notification: Option<String>,

    pub text: Option<Text>,
    pub image: Option<MediaObject>,
    pub audio: Option<MediaObject>,
    pub video: Option<MediaObject>,
    pub document: Option<MediaObject>,
    pub sticker: Option<MediaObject>,
    pub location: Option<Location>,
    /// A shared contact card, kept as sent.
    pub contact: Option<Value>,
    pub reaction: Option<Reaction>,
    pub buttons_response_message: Option<ButtonsResponse>,
    pub list_response_message: Option<ListResponse>,
}

#[derive(Deserialize)]
pub struct Text {
    pub message: Option<String>,
}

/// `image`, `audio`, `video`, `document` and `sticker` share one shape, each with its own URL
/// field.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaObject {
    pub image_url: Option<String>,
    pub audio_url: Option<String>,
    pub video_url: Option<String>,
    pub document_url: Option<String>,
    pub sticker_url: Option<String>,
    pub mime_type: Option<String>,
    pub caption: Option<String>,
    pub file_name: Option<String>,
    pub title: Option<String>,
    /// A voice note recorded in the app (push-to-talk).
    #[serde(default, deserialize_with = "optional_flag")]
    pub ptt: Option<bool>,
}

#[derive(Deserialize)]
pub struct Location {
    #[serde(default, deserialize_with = "number")]
    pub latitude: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    pub longitude: Option<f64>,
    pub name: Option<String>,
    pub address: Option<String>,
    pub url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reaction {
    /// The emoji; empty when the reaction was taken back.
    pub value: Option<String>,
    pub referenced_message: Option<ReferencedMessage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferencedMessage {
    pub message_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ButtonsResponse {
    pub button_id: Option<String>,
    pub message: Option<String>,
}

/// A row picked from an option list: `title` and `message` are the row's title and description.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse {
    pub selected_row_id: Option<String>,
    pub title: Option<String>,
    pub message: Option<String>,
}

/// `MessageStatusCallback`: one status for one or more messages of a chat.
#[derive(Deserialize)]
pub struct StatusCallback {
    pub status: Option<String>,
    pub ids: Option<Vec<String>>,
    /// The field name Z-API's attribute table gives, next to examples that use `ids`.
    pub id: Option<String>,
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "number")]
    pub momment: Option<f64>,
}

/// `DeliveryCallback` (on-message-send): the gateway's outcome of a message sent through it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryCallback {
    pub message_id: Option<String>,
    pub phone: Option<String>,
    /// Why the message could not be sent; absent or null when it was.
    pub error: Option<Value>,
    #[serde(default, deserialize_with = "number")]
    pub momment: Option<f64>,
}

/// `true`/`false`, with `null` read as false.
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(deserializer)?.unwrap_or(false))
}

fn optional_flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    Option::<bool>::deserialize(deserializer)
}

/// A number, or a string holding one (`"-23.5489"`); anything else is no value rather than a
/// malformed body.
fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|n| n.is_finite()))
}
