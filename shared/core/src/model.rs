//! The one message model every provider is normalized into.

use serde::Serialize;
use serde_json::Value;

use crate::identity::ContactRef;
use crate::providers::ConnectionUpdate;
use crate::status::DeliveryStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the contact to the business.
    Inbound,
    /// From the business, including messages sent from the business's own phone app (echoes).
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }
}

/// A provider's reference to a media object; the bytes are fetched later by media-fetch.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Media {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Audio recorded as a voice note (push-to-talk).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub animated: Option<bool>,
    /// The file itself, base64, when the provider sent it inside the webhook (Evolution and
    /// WPPConnect can): decoded into R2 on arrival, never kept in a row.
    #[serde(skip)]
    pub inline_base64: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InteractiveReply {
    ButtonReply {
        id: String,
        title: String,
    },
    ListReply {
        id: String,
        title: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    /// A WhatsApp Flow completed by the user; `response` is the flow's answer object.
    FlowReply {
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        response: Value,
    },
    /// The user's answer to a call-permission request.
    CallPermission {
        response: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderError {
    pub code: i64,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What a message carries. Serialized with its `type` as the tag, as stored in D1 and returned by
/// the API: `{"type":"image","id":"…","mime_type":"image/jpeg","caption":"…"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    Text {
        body: String,
    },
    Image(Media),
    Audio(Media),
    Video(Media),
    Document(Media),
    Sticker(Media),
    Location {
        latitude: f64,
        longitude: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        address: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    /// Shared contact cards, kept as the provider sent them.
    Contacts {
        contacts: Vec<Value>,
    },
    Interactive {
        reply: InteractiveReply,
    },
    /// A tap on a template's quick-reply button.
    Button {
        payload: String,
        text: String,
    },
    /// `emoji: None` means the reaction was removed.
    Reaction {
        message_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        emoji: Option<String>,
    },
    Order {
        order: Value,
    },
    /// A pre-approved template sent by the business; `components` fill its parameters, as Meta
    /// takes them.
    Template {
        name: String,
        language: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        components: Vec<Value>,
    },
    System {
        #[serde(skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
    },
    Revoke {
        original_message_id: String,
    },
    Edit {
        original_message_id: String,
        content: Box<Content>,
    },
    /// A type Ponte does not model, or one the provider could not deliver: kept, never dropped.
    Unsupported {
        original_type: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        errors: Vec<ProviderError>,
    },
}

impl Content {
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::Image(_) => "image",
            Self::Audio(_) => "audio",
            Self::Video(_) => "video",
            Self::Document(_) => "document",
            Self::Sticker(_) => "sticker",
            Self::Location { .. } => "location",
            Self::Contacts { .. } => "contacts",
            Self::Interactive { .. } => "interactive",
            Self::Button { .. } => "button",
            Self::Reaction { .. } => "reaction",
            Self::Order { .. } => "order",
            Self::Template { .. } => "template",
            Self::System { .. } => "system",
            Self::Revoke { .. } => "revoke",
            Self::Edit { .. } => "edit",
            Self::Unsupported { .. } => "unsupported",
        }
    }

    pub fn media(&self) -> Option<&Media> {
        match self {
            Self::Image(m)
            | Self::Audio(m)
            | Self::Video(m)
            | Self::Document(m)
            | Self::Sticker(m) => Some(m),
            _ => None,
        }
    }

    /// The text a human would read: a body, a caption, a button title. Searchable and shown in
    /// previews.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text { body } => Some(body),
            Self::Image(m) | Self::Video(m) | Self::Document(m) => m.caption.as_deref(),
            Self::Button { text, .. } => Some(text),
            Self::Interactive { reply } => match reply {
                InteractiveReply::ButtonReply { title, .. }
                | InteractiveReply::ListReply { title, .. } => Some(title),
                InteractiveReply::FlowReply { body, .. } => body.as_deref(),
                InteractiveReply::CallPermission { response } => Some(response),
            },
            Self::Location { name, .. } => name.as_deref(),
            Self::System { body, .. } => body.as_deref(),
            _ => None,
        }
    }

    /// A one-line summary for conversation lists.
    pub fn preview(&self) -> String {
        const MAX_CHARS: usize = 120;
        let text: String = match (self, self.text()) {
            (Self::Reaction { emoji: Some(e), .. }, _) => format!("Reacted {e}"),
            (Self::Reaction { emoji: None, .. }, _) => "Removed a reaction".to_string(),
            (Self::Audio(m), _) if m.voice == Some(true) => "[voice message]".to_string(),
            (Self::Template { name, .. }, _) => format!("[template] {name}"),
            (Self::Document(m), None) => m
                .filename
                .clone()
                .unwrap_or_else(|| "[document]".to_string()),
            (Self::Text { .. }, Some(t)) => t.to_string(),
            (_, Some(t)) if !t.is_empty() => format!("[{}] {t}", self.type_name()),
            _ => format!("[{}]", self.type_name()),
        };
        if text.chars().count() > MAX_CHARS {
            let mut cut: String = text.chars().take(MAX_CHARS - 1).collect();
            cut.push('…');
            cut
        } else {
            text
        }
    }
}

/// The message this one replies to, and whether it was forwarded.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReplyContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub forwarded: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub frequently_forwarded: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedMessage {
    pub provider_message_id: String,
    pub direction: Direction,
    /// The other party: the sender of an inbound message, the recipient of an outbound one.
    pub contact: ContactRef,
    /// The provider's timestamp, in milliseconds since the epoch.
    pub timestamp_ms: i64,
    pub content: Content,
    pub context: Option<ReplyContext>,
    /// Click-to-WhatsApp ad or post that started the conversation, as the provider sent it.
    pub referral: Option<Value>,
    /// Who in a group wrote it, when the conversation is a group's.
    pub sender: Option<Sender>,
}

/// The member of a group who wrote a message: the conversation's contact is the group itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Sender {
    /// The provider's id of the member, e.g. `5511987654321@s.whatsapp.net`.
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub provider_message_id: String,
    pub status: DeliveryStatus,
    pub timestamp_ms: i64,
    pub recipient_id: Option<String>,
    pub error: Option<ProviderError>,
}

/// A message's new content, as its author edited it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageEdit {
    pub provider_message_id: String,
    pub content: Content,
    /// When it was edited, in milliseconds: of two edits, the later one stays whatever order
    /// they arrive in.
    pub edited_at_ms: i64,
}

/// A provider's "everything up to here": every outbound message of the conversation with
/// `contact` on the channel, sent at or before `up_to_ms`, reached `status` (Messenger's delivery
/// and read watermarks, which name no message). Applied forward only, like any status.
#[derive(Debug, Clone, PartialEq)]
pub struct Watermark {
    pub contact: ContactRef,
    pub status: DeliveryStatus,
    /// In milliseconds since the epoch, on the provider's clock.
    pub up_to_ms: i64,
}

/// A provider's second id for a message it already named: GupShup names our sends by its own id
/// and, from a week on, only by WhatsApp's. A status naming either finds the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageAlias {
    pub provider_message_id: String,
    pub alias: String,
}

/// Everything one webhook delivery told us.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InboundBatch {
    pub messages: Vec<NormalizedMessage>,
    pub statuses: Vec<StatusUpdate>,
    /// Events accepted but not acted on (account updates, calls, other numbers' events...).
    pub ignored: Vec<String>,
    /// Provider ids of messages deleted for everyone: marked deleted, never removed.
    pub deletions: Vec<String>,
    /// Messages whose author changed them (Telegram's `edited_message`): applied to the stored
    /// message in place, never over a later edit.
    pub edits: Vec<MessageEdit>,
    /// Statuses that name no message but a moment (see [`Watermark`]).
    pub watermarks: Vec<Watermark>,
    /// Second ids of stored messages, recorded before this delivery's statuses are applied.
    pub aliases: Vec<MessageAlias>,
    /// What a provider told about contacts outside any message (Evolution's `contacts.upsert`,
    /// a whole address book on a session's first sync): applied to contacts already known by a
    /// key, never creating one.
    pub profiles: Vec<ContactRef>,
    /// A change of the channel's session (WhatsApp Web gateways: connected, QR code to scan).
    pub connection: Option<ConnectionUpdate>,
    /// Why parts of a signed delivery could not be read. The rest is stored; the delivery can be
    /// replayed once a fixed adapter reads them.
    pub unreadable: Vec<String>,
}

impl InboundBatch {
    /// How many status reports the delivery carried, per message or as watermarks.
    pub fn status_count(&self) -> usize {
        self.statuses.len() + self.watermarks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_serializes_with_its_type_tag() {
        let image = Content::Image(Media {
            id: Some("m1".into()),
            caption: Some("look".into()),
            ..Default::default()
        });
        assert_eq!(
            serde_json::to_value(&image).unwrap(),
            serde_json::json!({"type": "image", "id": "m1", "caption": "look"})
        );
        let removed = Content::Reaction {
            message_id: "w1".into(),
            emoji: None,
        };
        assert_eq!(
            serde_json::to_value(&removed).unwrap(),
            serde_json::json!({"type": "reaction", "message_id": "w1"})
        );
    }

    #[test]
    fn previews_summarise_every_kind() {
        assert_eq!(Content::Text { body: "oi".into() }.preview(), "oi");
        let voice = Content::Audio(Media {
            voice: Some(true),
            ..Default::default()
        });
        assert_eq!(voice.preview(), "[voice message]");
        let captioned = Content::Image(Media {
            caption: Some("cat".into()),
            ..Default::default()
        });
        assert_eq!(captioned.preview(), "[image] cat");
        assert_eq!(Content::Sticker(Media::default()).preview(), "[sticker]");
        let reaction = Content::Reaction {
            message_id: "x".into(),
            emoji: Some("👍".into()),
        };
        assert_eq!(reaction.preview(), "Reacted 👍");
        let template = Content::Template {
            name: "order_update".into(),
            language: "pt_BR".into(),
            components: Vec::new(),
        };
        assert_eq!(template.preview(), "[template] order_update");
        assert_eq!(
            serde_json::to_value(&template).unwrap(),
            serde_json::json!({"type": "template", "name": "order_update", "language": "pt_BR"})
        );
        let long = Content::Text {
            body: "a".repeat(500),
        };
        assert_eq!(long.preview().chars().count(), 120);
    }
}
