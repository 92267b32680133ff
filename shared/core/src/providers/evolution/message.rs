//! One message record of `messages.upsert` / `send.message` → a [`NormalizedMessage`].

use base64::Engine;
use serde_json::Value;

use super::jid::{member, person, Jid};
use super::wire::{self, ContentKeys, ContextInfo, Key, Message, Record};
use crate::model::{
    Content, Direction, InteractiveReply, Media, NormalizedMessage, ReplyContext, Sender,
};

/// What one record turned out to be.
#[derive(Debug)]
pub enum Outcome {
    Message(Box<NormalizedMessage>),
    /// A revoke that arrived as a message: the id of the message deleted for everyone.
    Deletion(String),
    Ignored(String),
}

/// Keys of a message object that accompany its content rather than being it.
const NOT_CONTENT: [&str; 5] = [
    "messageContextInfo",
    "mediaUrl",
    "base64",
    "speechToText",
    "contextInfo",
];

/// `sent_by_api` is for `send.message`, whose records are ours even when `fromMe` is missing.
pub fn normalize_record(
    record: Record,
    sent_by_api: bool,
    include_groups: bool,
    received_at_ms: i64,
) -> Outcome {
    let key = record.key.unwrap_or_default();
    let Some(id) = non_empty(key.id.as_deref()) else {
        return Outcome::Ignored("a message without key.id".into());
    };
    let Some(chat_raw) = non_empty(key.remote_jid.as_deref()) else {
        return Outcome::Ignored(format!("message {id} has no chat (key.remoteJid)"));
    };
    let Some(chat) = Jid::parse(chat_raw) else {
        return Outcome::Ignored(format!("message {id}: {chat_raw} is not a WhatsApp chat"));
    };
    if let Some(kind) = chat.shared_kind().filter(|_| !include_groups) {
        return Outcome::Ignored(format!(
            "{kind} message {id} dropped: include_groups is off"
        ));
    }
    let Some(raw_message) = record.message else {
        return Outcome::Ignored(format!("message {id} has no content"));
    };
    let message: Message = match serde_json::from_str(raw_message.get()) {
        Ok(message) => message,
        Err(e) => return Outcome::Ignored(format!("message {id}: content not understood ({e})")),
    };
    let original_type = record
        .message_type
        .clone()
        .filter(|t| !t.is_empty() && t != "unknown")
        .or_else(|| first_content_key(raw_message.get()))
        .unwrap_or_else(|| "unknown".into());
    let media_url = message.media_url.clone().filter(|u| !u.is_empty());
    let message = unwrap_nested(message);
    if let Some(protocol) = &message.protocol_message {
        return protocol_outcome(id, protocol);
    }

    let direction = if key.from_me.unwrap_or(sent_by_api) {
        Direction::Outbound
    } else {
        Direction::Inbound
    };
    // A fromMe record's pushName is the business's own profile name.
    let name = (direction == Direction::Inbound)
        .then(|| non_empty(record.push_name.as_deref()).map(str::to_string))
        .flatten();
    let (contact, sender) = match chat.shared_kind() {
        Some(_) => (person(&chat, &[]), group_sender(&key, direction, name)),
        None => {
            let alternates = [
                key.remote_jid_alt.as_deref(),
                key.sender_pn.as_deref(),
                key.sender_lid.as_deref(),
            ];
            let mut contact = person(&chat, &alternates);
            contact.name = name;
            (contact, None)
        }
    };
    let context = reply_context(record.context_info.as_ref())
        .or_else(|| inner_contexts(&message).into_iter().find_map(reply_context));
    let content = match content_of(message, media_url, original_type) {
        Ok(content) => content,
        Err(reason) => return Outcome::Ignored(format!("message {id}: {reason}")),
    };
    let timestamp_ms = record
        .message_timestamp
        .and_then(|s| s.checked_mul(1000))
        .unwrap_or(received_at_ms);
    Outcome::Message(Box::new(NormalizedMessage {
        provider_message_id: id.to_string(),
        direction,
        contact,
        timestamp_ms,
        content,
        context,
        referral: None,
        sender,
    }))
}

pub fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn first_content_key(raw_message: &str) -> Option<String> {
    let ContentKeys(keys) = serde_json::from_str(raw_message).ok()?;
    keys.into_iter()
        .find(|key| !NOT_CONTENT.contains(&key.as_str()))
}

/// The member who wrote in a group: none for the business's own messages.
fn group_sender(key: &Key, direction: Direction, name: Option<String>) -> Option<Sender> {
    if direction == Direction::Outbound {
        return None;
    }
    let participant = non_empty(key.participant.as_deref())?;
    let alternates = [
        key.participant_alt.as_deref(),
        key.participant_pn.as_deref(),
        key.sender_pn.as_deref(),
    ];
    Some(member(participant, &alternates, name))
}

/// The content inside view-once, disappearing and captioned-document wrappers.
fn unwrap_nested(mut message: Message) -> Message {
    loop {
        let wrapper = message
            .ephemeral_message
            .take()
            .or_else(|| message.view_once_message.take())
            .or_else(|| message.view_once_message_v2.take())
            .or_else(|| message.document_with_caption_message.take());
        match wrapper.and_then(|w| w.message) {
            Some(inner) => message = *inner,
            None => return message,
        }
    }
}

fn protocol_outcome(id: &str, protocol: &wire::ProtocolMessage) -> Outcome {
    let revoked = protocol
        .key
        .as_ref()
        .and_then(|k| non_empty(k.id.as_deref()));
    let kind = match &protocol.kind {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => "REVOKE".into(),
        Some(other) => other.to_string(),
        None => "unknown".into(),
    };
    match (kind.as_str(), revoked) {
        ("REVOKE", Some(revoked)) => Outcome::Deletion(revoked.to_string()),
        _ => Outcome::Ignored(format!("message {id}: protocol message {kind}")),
    }
}

/// The `contextInfo` in its original place, inside the content object: not every release
/// copies it onto the record.
fn inner_contexts(m: &Message) -> [Option<&ContextInfo>; 11] {
    fn media(x: &Option<wire::MediaMessage>) -> Option<&ContextInfo> {
        x.as_ref().and_then(|x| x.context_info.as_ref())
    }
    [
        m.extended_text_message
            .as_ref()
            .and_then(|x| x.context_info.as_ref()),
        media(&m.image_message),
        media(&m.video_message),
        media(&m.ptv_message),
        media(&m.audio_message),
        media(&m.document_message),
        media(&m.sticker_message),
        m.location_message
            .as_ref()
            .and_then(|x| x.context_info.as_ref()),
        m.list_response_message
            .as_ref()
            .and_then(|x| x.context_info.as_ref()),
        m.buttons_response_message
            .as_ref()
            .and_then(|x| x.context_info.as_ref()),
        m.template_button_reply_message
            .as_ref()
            .and_then(|x| x.context_info.as_ref()),
    ]
}

/// Only a quote or a forward makes a context; Evolution attaches `contextInfo` to plain
/// messages too (disappearing-message settings, mentions).
fn reply_context(info: Option<&ContextInfo>) -> Option<ReplyContext> {
    let info = info?;
    let quoted = non_empty(info.stanza_id.as_deref()).map(str::to_string);
    let forwarded = info.is_forwarded.unwrap_or(false);
    if quoted.is_none() && !forwarded {
        return None;
    }
    // The quoted message's author, as a status names a recipient: digits for a phone.
    let from = non_empty(info.participant.as_deref()).map(|raw| match Jid::parse(raw) {
        Some(jid) => jid.recipient_id().to_string(),
        None => raw.to_string(),
    });
    Some(ReplyContext {
        from: quoted.as_ref().and(from),
        message_id: quoted,
        forwarded,
        frequently_forwarded: false,
    })
}

/// The content a message carries. A type Ponte does not model becomes `Unsupported`: kept,
/// never dropped. `Err` is a message too broken to keep (a reaction to nothing).
fn content_of(
    mut m: Message,
    media_url: Option<String>,
    original_type: String,
) -> Result<Content, String> {
    if let Some(reaction) = m.reaction_message.take() {
        let target = reaction
            .key
            .as_ref()
            .and_then(|k| non_empty(k.id.as_deref()))
            .ok_or("a reaction without the reacted message's key.id")?;
        return Ok(Content::Reaction {
            message_id: target.to_string(),
            emoji: reaction.text.filter(|e| !e.is_empty()),
        });
    }
    // With base64 on and no S3, the file itself rides along in the webhook; an S3 copy is
    // preferred when there is one.
    let inline = m
        .base64
        .take()
        .filter(|b| media_url.is_none() && !b.trim().is_empty());
    let media_of = |media: wire::MediaMessage, is_audio: bool| Media {
        id: None,
        url: media_url.clone().or(media.url).filter(|u| !u.is_empty()),
        mime_type: media.mimetype,
        sha256: media.file_sha256.as_ref().and_then(sha256_base64),
        caption: media.caption.filter(|c| !c.is_empty()),
        filename: media.file_name,
        voice: is_audio.then(|| media.ptt.unwrap_or(false)),
        animated: media.is_animated,
        inline_base64: inline.clone(),
    };
    let content = if let Some(body) = m.conversation.take() {
        Content::Text { body }
    } else if let Some(text) = m.extended_text_message.take().and_then(|e| e.text) {
        Content::Text { body: text }
    } else if let Some(media) = m.image_message.take() {
        Content::Image(media_of(media, false))
    } else if let Some(media) = m.video_message.take().or(m.ptv_message.take()) {
        Content::Video(media_of(media, false))
    } else if let Some(media) = m.audio_message.take() {
        Content::Audio(media_of(media, true))
    } else if let Some(media) = m.document_message.take() {
        Content::Document(media_of(media, false))
    } else if let Some(media) = m.sticker_message.take() {
        Content::Sticker(media_of(media, false))
    } else if let Some(location) = m.location_message.take().or(m.live_location_message.take()) {
        match (location.degrees_latitude, location.degrees_longitude) {
            (Some(latitude), Some(longitude)) => Content::Location {
                latitude,
                longitude,
                name: location.name,
                address: location.address,
                url: location.url,
            },
            _ => unsupported(original_type),
        }
    } else if let Some(card) = m.contact_message.take() {
        Content::Contacts {
            contacts: vec![card],
        }
    } else if let Some(cards) = m.contacts_array_message.take() {
        Content::Contacts {
            contacts: cards.contacts,
        }
    } else if let Some(list) = m.list_response_message.take() {
        Content::Interactive {
            reply: InteractiveReply::ListReply {
                id: list
                    .single_select_reply
                    .and_then(|r| r.selected_row_id)
                    .unwrap_or_default(),
                title: list.title.unwrap_or_default(),
                description: list.description,
            },
        }
    } else if let Some(button) = m.buttons_response_message.take() {
        Content::Interactive {
            reply: InteractiveReply::ButtonReply {
                id: button.selected_button_id.unwrap_or_default(),
                title: button.selected_display_text.unwrap_or_default(),
            },
        }
    } else if let Some(button) = m.template_button_reply_message.take() {
        Content::Button {
            payload: button.selected_id.unwrap_or_default(),
            text: button.selected_display_text.unwrap_or_default(),
        }
    } else {
        unsupported(original_type)
    };
    Ok(content)
}

fn unsupported(original_type: String) -> Content {
    Content::Unsupported {
        original_type,
        errors: Vec::new(),
    }
}

/// The file's SHA-256 in base64: as given when it is a string, encoded when Evolution serialized
/// the bytes as an array or an index-keyed object.
fn sha256_base64(value: &Value) -> Option<String> {
    let byte = |v: &Value| v.as_u64().and_then(|n| u8::try_from(n).ok());
    let bytes: Option<Vec<u8>> = match value {
        Value::String(s) if !s.is_empty() => return Some(s.clone()),
        Value::Array(items) => items.iter().map(byte).collect(),
        Value::Object(map) => {
            let mut indexed: Vec<(usize, &Value)> = map
                .iter()
                .map(|(k, v)| k.parse().ok().map(|i| (i, v)))
                .collect::<Option<_>>()?;
            indexed.sort_by_key(|(i, _)| *i);
            indexed.into_iter().map(|(_, v)| byte(v)).collect()
        }
        _ => None,
    };
    bytes
        .filter(|b| !b.is_empty())
        .map(|b| base64::engine::general_purpose::STANDARD.encode(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sha256_is_kept_as_base64_whatever_its_form() {
        assert_eq!(sha256_base64(&json!("q83v")).as_deref(), Some("q83v"));
        assert_eq!(
            sha256_base64(&json!([171, 205, 239])).as_deref(),
            Some("q83v")
        );
        assert_eq!(
            sha256_base64(&json!({"1": 205, "0": 171, "2": 239})).as_deref(),
            Some("q83v")
        );
        assert_eq!(sha256_base64(&json!([256])), None);
        assert_eq!(sha256_base64(&json!({"a": 1})), None);
        assert_eq!(sha256_base64(&json!("")), None);
    }

    #[test]
    fn the_type_of_an_unmodelled_message_is_its_first_content_key() {
        let raw = r#"{"messageContextInfo":{},"pollCreationMessageV3":{"name":"?"}}"#;
        assert_eq!(
            first_content_key(raw).as_deref(),
            Some("pollCreationMessageV3")
        );
        assert_eq!(first_content_key(r#"{"base64":"AAAA"}"#), None);
        assert_eq!(first_content_key("[1]"), None);
    }
}
