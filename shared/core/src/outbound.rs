//! The body of `POST /v1/messages`, parsed into a [`SendRequest`] that can only hold a message
//! WhatsApp would accept. It mirrors Meta's message object, addressed by our ids:
//! `{"conversation_id":"con_…","type":"text","text":{"body":"Olá"},"reply_to":"msg_…"}`.
//!
//! The JSON is walked by hand rather than derived so that every error names its exact field
//! (`image.link`, `template.components[1].type`), which is what an API caller needs to fix it.

mod fields;

use std::fmt;

use serde_json::Value;

use self::fields::Fields;
use crate::identity::WrittenNumber;
use crate::model::{Content, Media};

/// WhatsApp's customer-service window: 24 h after the contact's last inbound message.
pub const SERVICE_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

const MAX_TEXT_CHARS: usize = 4096;
const MAX_TEMPLATE_NAME_CHARS: usize = 512;
const MAX_FILENAME_CHARS: usize = 255;
/// Room for the longest emoji sequences (families, flags with modifiers), not for words.
const MAX_EMOJI_CHARS: usize = 32;
const TYPE_NAMES: [&str; 9] = [
    "text", "image", "audio", "sticker", "video", "document", "location", "reaction", "template",
];

/// Whether a free-form message may be sent now: strictly less than 24 h since the contact last
/// wrote. A contact who never wrote has no window; only templates reach them.
pub fn window_open(last_inbound_at_ms: Option<i64>, now_ms: i64) -> bool {
    last_inbound_at_ms.is_some_and(|last| now_ms.saturating_sub(last) < SERVICE_WINDOW_MS)
}

/// Who receives the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendTarget {
    /// An existing conversation: its channel and contact are already known.
    Conversation(String),
    /// A phone number on one of the tenant's channels, possibly never contacted before, as the
    /// caller wrote it: read once the channel is known, in its default country
    /// ([`crate::identity::PhoneNumber::read_in`]).
    Phone {
        channel_id: String,
        to: WrittenNumber,
    },
}

/// What is sent, one variant per Meta message type Ponte can send.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboundBody {
    Text {
        body: String,
        preview_url: bool,
    },
    Image {
        link: String,
        caption: Option<String>,
    },
    Audio {
        link: String,
    },
    /// WhatsApp wants a WebP; the provider refuses anything else.
    Sticker {
        link: String,
    },
    Video {
        link: String,
        caption: Option<String>,
    },
    Document {
        link: String,
        caption: Option<String>,
        filename: Option<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
    /// `message_id` is our stored message id; an empty `emoji` removes the reaction.
    Reaction {
        message_id: String,
        emoji: String,
    },
    Template {
        name: String,
        language: String,
        components: Vec<Value>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SendRequest {
    pub target: SendTarget,
    pub body: OutboundBody,
    /// Our id of the message this one quotes.
    pub reply_to: Option<String>,
    /// The upload (`med_…`) a media body sends, instead of a link.
    pub upload: Option<String>,
}

/// A bad request, naming the field: `field` like "text.body", "to", "type", "image.link", "reply_to".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for FieldError {}

impl SendRequest {
    pub fn parse(body: &[u8]) -> Result<SendRequest, FieldError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| FieldError::new("body", format!("is not valid JSON: {e}")))?;
        // The object named by `type` is not an unknown field even when the type is unknown: the
        // error belongs to `type`.
        let declared_type = value
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut allowed = vec!["conversation_id", "channel_id", "to", "type", "reply_to"];
        allowed.extend(TYPE_NAMES);
        allowed.extend(declared_type.as_deref());
        let mut fields = Fields::new("", "body", value, &allowed)?;
        let target = parse_target(&mut fields)?;
        let kind = fields.required_string("type")?;
        if !TYPE_NAMES.contains(&kind.as_str()) {
            let expected = TYPE_NAMES.join(", ");
            let reason = format!("unknown type {kind:?}; expected one of {expected}");
            return Err(FieldError::new("type", reason));
        }
        if let Some(other) = TYPE_NAMES
            .iter()
            .find(|name| **name != kind && fields.has(name))
        {
            return Err(FieldError::new(
                *other,
                format!("does not match type {kind:?}"),
            ));
        }
        let object = fields
            .take(&kind)
            .ok_or_else(|| FieldError::new(&kind, format!("is required for type {kind:?}")))?;
        let (body, upload) = parse_body(&kind, object)?;
        let reply_to = fields.optional_id("reply_to")?;
        Ok(SendRequest {
            target,
            body,
            reply_to,
            upload,
        })
    }
}

fn parse_target(fields: &mut Fields) -> Result<SendTarget, FieldError> {
    let conversation_id = fields.optional_id("conversation_id")?;
    let channel_id = fields.optional_id("channel_id")?;
    let to = fields.optional_string("to")?;
    match (conversation_id, channel_id, to) {
        (Some(id), None, None) => Ok(SendTarget::Conversation(id)),
        (None, Some(channel_id), Some(to)) => {
            let to = WrittenNumber::parse(&to).map_err(|e| FieldError::new("to", e.to_string()))?;
            Ok(SendTarget::Phone { channel_id, to })
        }
        (Some(_), _, _) => Err(FieldError::new(
            "conversation_id",
            "give either conversation_id, or channel_id and to, not both",
        )),
        (None, Some(_), None) => Err(FieldError::new("to", "is required with channel_id")),
        (None, None, Some(_)) => Err(FieldError::new("channel_id", "is required with to")),
        (None, None, None) => Err(FieldError::new(
            "conversation_id",
            "is required, or channel_id and to",
        )),
    }
}

fn parse_body(kind: &str, object: Value) -> Result<(OutboundBody, Option<String>), FieldError> {
    let mut upload = None;
    let body = match kind {
        "text" => {
            let mut f = Fields::new(kind, kind, object, &["body", "preview_url"])?;
            let body = f.required_string("body")?;
            if body.trim().is_empty() {
                return Err(f.error("body", "must not be empty"));
            }
            f.check_length("body", &body, MAX_TEXT_CHARS)?;
            let preview_url = f.optional_bool("preview_url")?.unwrap_or(false);
            OutboundBody::Text { body, preview_url }
        }
        "image" | "video" => {
            let mut f = Fields::new(kind, kind, object, &["link", "id", "caption"])?;
            let (link, uploaded) = f.link_or_upload()?;
            upload = uploaded;
            let caption = f.caption()?;
            match kind {
                "image" => OutboundBody::Image { link, caption },
                _ => OutboundBody::Video { link, caption },
            }
        }
        "audio" => {
            let mut f = Fields::new(kind, kind, object, &["link", "id"])?;
            let (link, uploaded) = f.link_or_upload()?;
            upload = uploaded;
            OutboundBody::Audio { link }
        }
        "sticker" => {
            let mut f = Fields::new(kind, kind, object, &["link", "id"])?;
            let (link, uploaded) = f.link_or_upload()?;
            upload = uploaded;
            OutboundBody::Sticker { link }
        }
        "document" => {
            let allowed = ["link", "id", "caption", "filename"];
            let mut f = Fields::new(kind, kind, object, &allowed)?;
            let (link, uploaded) = f.link_or_upload()?;
            upload = uploaded;
            let caption = f.caption()?;
            let filename = f.optional_string("filename")?;
            if let Some(name) = &filename {
                f.check_length("filename", name, MAX_FILENAME_CHARS)?;
            }
            OutboundBody::Document {
                link,
                caption,
                filename,
            }
        }
        "location" => {
            let allowed = ["latitude", "longitude", "name", "address"];
            let mut f = Fields::new(kind, kind, object, &allowed)?;
            OutboundBody::Location {
                latitude: f.coordinate("latitude", 90.0)?,
                longitude: f.coordinate("longitude", 180.0)?,
                name: f.optional_string("name")?,
                address: f.optional_string("address")?,
            }
        }
        "reaction" => {
            let mut f = Fields::new(kind, kind, object, &["message_id", "emoji"])?;
            let message_id = f
                .optional_id("message_id")?
                .ok_or_else(|| f.error("message_id", "is required"))?;
            let emoji = f
                .optional_string("emoji")?
                .ok_or_else(|| f.error("emoji", "is required (\"\" removes the reaction)"))?;
            if emoji.chars().any(char::is_whitespace) {
                return Err(f.error("emoji", "must be a single emoji, or \"\""));
            }
            f.check_length("emoji", &emoji, MAX_EMOJI_CHARS)?;
            OutboundBody::Reaction { message_id, emoji }
        }
        "template" => parse_template(object)?,
        other => return Err(FieldError::new("type", format!("unknown type {other:?}"))),
    };
    Ok((body, upload))
}

fn parse_template(object: Value) -> Result<OutboundBody, FieldError> {
    let mut f = Fields::new(
        "template",
        "template",
        object,
        &["name", "language", "components"],
    )?;
    let name = f.required_string("name")?;
    let well_formed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
    if name.is_empty() || !name.chars().all(well_formed) {
        return Err(f.error("name", "must be lowercase letters, digits and underscores"));
    }
    f.check_length("name", &name, MAX_TEMPLATE_NAME_CHARS)?;

    let language = f
        .take("language")
        .ok_or_else(|| f.error("language", "is required, like {\"code\":\"pt_BR\"}"))?;
    let mut language = Fields::new(
        "template.language",
        "template.language",
        language,
        &["code"],
    )?;
    let code = language.required_string("code")?;
    let is_code = |c: char| c.is_ascii_alphabetic() || c == '_';
    if code.is_empty() || code.len() > 16 || !code.chars().all(is_code) {
        return Err(language.error("code", "must be a language code like \"pt_BR\""));
    }

    let components = match f.take("components") {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(f.error("components", "must be an array")),
    };
    for (i, component) in components.iter().enumerate() {
        let field = format!("template.components[{i}]");
        match component.as_object().map(|c| c.get("type")) {
            None => return Err(FieldError::new(field, "must be an object")),
            Some(Some(Value::String(_))) => {}
            Some(_) => return Err(FieldError::new(format!("{field}.type"), "must be a string")),
        }
    }
    Ok(OutboundBody::Template {
        name,
        language: code,
        components,
    })
}

impl OutboundBody {
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::Image { .. } => "image",
            Self::Audio { .. } => "audio",
            Self::Sticker { .. } => "sticker",
            Self::Video { .. } => "video",
            Self::Document { .. } => "document",
            Self::Location { .. } => "location",
            Self::Reaction { .. } => "reaction",
            Self::Template { .. } => "template",
        }
    }

    /// Free-form messages need WhatsApp's 24-hour customer-service window; templates do not.
    pub fn needs_open_window(&self) -> bool {
        !matches!(self, Self::Template { .. })
    }

    /// The stored form, in the one message model (reaction: message_id stays our id).
    pub fn to_content(&self) -> Content {
        let media = |link: &str, caption: &Option<String>, filename: &Option<String>| Media {
            url: Some(link.to_string()),
            caption: caption.clone(),
            filename: filename.clone(),
            ..Default::default()
        };
        match self {
            Self::Text { body, .. } => Content::Text { body: body.clone() },
            Self::Image { link, caption } => Content::Image(media(link, caption, &None)),
            Self::Audio { link } => Content::Audio(media(link, &None, &None)),
            Self::Sticker { link } => Content::Sticker(media(link, &None, &None)),
            Self::Video { link, caption } => Content::Video(media(link, caption, &None)),
            Self::Document {
                link,
                caption,
                filename,
            } => Content::Document(media(link, caption, filename)),
            Self::Location {
                latitude,
                longitude,
                name,
                address,
            } => Content::Location {
                latitude: *latitude,
                longitude: *longitude,
                name: name.clone(),
                address: address.clone(),
                url: None,
            },
            Self::Reaction { message_id, emoji } => Content::Reaction {
                message_id: message_id.clone(),
                emoji: Some(emoji.clone()).filter(|e| !e.is_empty()),
            },
            Self::Template {
                name,
                language,
                components,
            } => Content::Template {
                name: name.clone(),
                language: language.clone(),
                components: components.clone(),
            },
        }
    }

    /// Points a media body at `link`: an upload's link, made once the upload is known.
    pub fn set_link(&mut self, new_link: String) {
        match self {
            Self::Image { link, .. }
            | Self::Audio { link }
            | Self::Sticker { link }
            | Self::Video { link, .. }
            | Self::Document { link, .. } => *link = new_link,
            _ => {}
        }
    }

    /// Our message id this body refers to (reaction.message_id), if any.
    pub fn referenced_message(&self) -> Option<&str> {
        match self {
            Self::Reaction { message_id, .. } => Some(message_id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
