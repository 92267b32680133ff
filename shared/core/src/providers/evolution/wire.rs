//! Evolution API v2's webhook `data`, field for field, as its Baileys channel prepares it. Every
//! field is optional: versions differ (v2.3 rewrites `extendedTextMessage` into `conversation`),
//! and a record that lacks what Ponte needs is ignored with a reason rather than rejected.
//!
//! Only what Ponte reads is declared: the inline `base64` media body, thumbnails and media keys
//! are skipped by serde and never reach the model.

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// The webhook body. `data` stays raw until the event says what it holds, so that an inline
/// media body is skipped rather than copied.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    pub event: Option<Value>,
    pub instance: Option<Value>,
    #[serde(borrow)]
    pub data: Option<&'a RawValue>,
}

/// How older releases batch messages: `{"messages":[…]}` instead of one message.
#[derive(Debug, Deserialize)]
pub struct Batch<'a> {
    #[serde(borrow)]
    pub messages: Option<Vec<&'a RawValue>>,
    pub key: Option<IgnoredAny>,
}

/// A message's address: which chat, who sent it, its id.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Key {
    pub id: Option<String>,
    pub remote_jid: Option<String>,
    pub from_me: Option<bool>,
    /// The group member who wrote it.
    pub participant: Option<String>,
    /// The chat's other address: the phone JID when `remote_jid` is an `@lid`, or the reverse.
    pub remote_jid_alt: Option<String>,
    pub participant_alt: Option<String>,
    /// Older v2 releases name the phone and linked id of an `@lid` chat this way.
    pub sender_pn: Option<String>,
    pub sender_lid: Option<String>,
    pub participant_pn: Option<String>,
}

/// One message of `messages.upsert` or `send.message`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record<'a> {
    pub key: Option<Key>,
    pub push_name: Option<String>,
    /// Read twice: as a [`Message`], and for its [`ContentKeys`].
    #[serde(borrow)]
    pub message: Option<&'a RawValue>,
    /// Evolution's copy of the content's own `contextInfo`.
    pub context_info: Option<ContextInfo>,
    pub message_type: Option<String>,
    #[serde(default, deserialize_with = "unix_seconds")]
    pub message_timestamp: Option<i64>,
}

/// WhatsApp's message object: one content key per kind.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub conversation: Option<String>,
    pub extended_text_message: Option<ExtendedText>,
    pub image_message: Option<MediaMessage>,
    pub video_message: Option<MediaMessage>,
    pub ptv_message: Option<MediaMessage>,
    pub audio_message: Option<MediaMessage>,
    pub document_message: Option<MediaMessage>,
    pub sticker_message: Option<MediaMessage>,
    pub document_with_caption_message: Option<Wrapper>,
    pub ephemeral_message: Option<Wrapper>,
    pub view_once_message: Option<Wrapper>,
    pub view_once_message_v2: Option<Wrapper>,
    pub location_message: Option<LocationMessage>,
    pub live_location_message: Option<LocationMessage>,
    /// Kept as sent: a shared contact card.
    pub contact_message: Option<Value>,
    pub contacts_array_message: Option<ContactsArray>,
    pub reaction_message: Option<ReactionMessage>,
    pub list_response_message: Option<ListResponse>,
    pub buttons_response_message: Option<ButtonsResponse>,
    pub template_button_reply_message: Option<TemplateButtonReply>,
    pub protocol_message: Option<ProtocolMessage>,
    /// The media's copy in the server's S3 bucket, when S3 is enabled: a plain download, unlike
    /// WhatsApp's encrypted `url`.
    pub media_url: Option<String>,
    /// The file itself in base64, when the server is set to send it (`WEBHOOK_BASE64`).
    pub base64: Option<String>,
}

/// A message nested inside another (view-once, disappearing, document with caption).
#[derive(Debug, Deserialize)]
pub struct Wrapper {
    pub message: Option<Box<Message>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtendedText {
    pub text: Option<String>,
    pub context_info: Option<ContextInfo>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextInfo {
    /// The id of the quoted message.
    pub stanza_id: Option<String>,
    /// The quoted message's author.
    pub participant: Option<String>,
    pub is_forwarded: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaMessage {
    /// WhatsApp's CDN address of the encrypted file.
    pub url: Option<String>,
    pub mimetype: Option<String>,
    /// A base64 string, or the bytes as an index-keyed object when Evolution serialized a buffer.
    pub file_sha256: Option<Value>,
    pub caption: Option<String>,
    pub file_name: Option<String>,
    /// Push-to-talk: a voice note.
    pub ptt: Option<bool>,
    pub is_animated: Option<bool>,
    pub context_info: Option<ContextInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationMessage {
    pub degrees_latitude: Option<f64>,
    pub degrees_longitude: Option<f64>,
    pub name: Option<String>,
    pub address: Option<String>,
    pub url: Option<String>,
    pub context_info: Option<ContextInfo>,
}

#[derive(Debug, Deserialize)]
pub struct ContactsArray {
    #[serde(default)]
    pub contacts: Vec<Value>,
}

#[derive(Debug, Deserialize)]
pub struct ReactionMessage {
    /// The key of the message reacted to.
    pub key: Option<Key>,
    /// The emoji; empty when the reaction is removed.
    pub text: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse {
    pub title: Option<String>,
    pub description: Option<String>,
    pub single_select_reply: Option<SingleSelectReply>,
    pub context_info: Option<ContextInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SingleSelectReply {
    pub selected_row_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ButtonsResponse {
    pub selected_button_id: Option<String>,
    pub selected_display_text: Option<String>,
    pub context_info: Option<ContextInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateButtonReply {
    pub selected_id: Option<String>,
    pub selected_display_text: Option<String>,
    pub context_info: Option<ContextInfo>,
}

#[derive(Debug, Deserialize)]
pub struct ProtocolMessage {
    pub key: Option<Key>,
    /// `"REVOKE"`, or its protobuf number `0`.
    #[serde(rename = "type")]
    pub kind: Option<Value>,
}

/// One item of `messages.update`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusRecord {
    pub key_id: Option<String>,
    /// Some versions nest the id in a key instead of `keyId`.
    pub key: Option<Key>,
    pub remote_jid: Option<String>,
    pub from_me: Option<bool>,
    /// A name such as `DELIVERY_ACK`, or Baileys' number for it.
    pub status: Option<Value>,
}

/// `messages.delete`: the deleted message's key, or a stored message carrying it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedRecord {
    pub id: Option<String>,
    pub remote_jid: Option<String>,
    pub key: Option<Key>,
}

#[derive(Debug, Deserialize)]
pub struct ConnectionRecord {
    pub state: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct QrRecord {
    pub qrcode: Option<QrCode>,
    /// Set instead of `qrcode` once the QR limit is reached.
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct QrCode {
    pub code: Option<String>,
    /// A `data:image/png;base64,…` URL.
    pub base64: Option<String>,
}

/// The keys of a message object, naming a type Ponte does not model; their values are skipped.
#[derive(Debug, Default)]
pub struct ContentKeys(pub Vec<String>);

impl<'de> Deserialize<'de> for ContentKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = ContentKeys;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ContentKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<IgnoredAny>()?;
                    keys.push(key);
                }
                Ok(ContentKeys(keys))
            }
        }
        deserializer.deserialize_map(Keys)
    }
}

/// Unix seconds as Evolution sends them: a number, a numeric string, or a protobuf `Long`
/// (`{"low":…,"high":…}`, Baileys' own form, which Evolution normally converts). Anything else is
/// no timestamp.
fn unix_seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(seconds_of(&Value::deserialize(deserializer)?))
}

pub fn seconds_of(value: &Value) -> Option<i64> {
    let seconds = match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(long) => {
            let low = long.get("low")?.as_i64()?;
            let high = long.get("high").and_then(Value::as_i64).unwrap_or(0);
            Some((high << 32) | (low & 0xFFFF_FFFF))
        }
        _ => None,
    }?;
    (seconds > 0).then_some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_come_in_three_forms() {
        assert_eq!(seconds_of(&json!(1717604327)), Some(1717604327));
        assert_eq!(seconds_of(&json!("1717689097")), Some(1717689097));
        assert_eq!(
            seconds_of(&json!({"low": 1717604327, "high": 0, "unsigned": true})),
            Some(1717604327)
        );
        assert_eq!(seconds_of(&json!("soon")), None);
        assert_eq!(seconds_of(&json!(-5)), None);
        assert_eq!(seconds_of(&json!({"high": 1})), None);
    }
}
