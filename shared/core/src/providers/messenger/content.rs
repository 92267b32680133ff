//! What a Messenger or Instagram message carries, in the one model: its text, a quick reply, or
//! one of its attachments (each attachment of a message is stored as a message of its own).

use super::wire::{Attachment, Message};
use crate::model::{Content, InteractiveReply, Media};

/// The provider id of the `index`th part of message `mid`: the first part keeps the message's
/// own id, so replies, reactions and statuses naming it find it.
pub fn part_id(mid: &str, index: usize) -> String {
    if index == 0 {
        mid.to_string()
    } else {
        format!("{mid}#{index}")
    }
}

/// The parts a message is stored as, in order: its text (or quick reply), then each attachment.
/// An Instagram share's link is kept with its type rather than lost.
pub fn parts(m: &Message) -> Vec<Content> {
    let text = m.text.clone().filter(|t| !t.is_empty());
    let mut parts = Vec::with_capacity(1 + m.attachments.len());
    if let Some(payload) = m.quick_reply.as_ref().and_then(|q| q.payload.clone()) {
        parts.push(Content::Interactive {
            reply: InteractiveReply::ButtonReply {
                title: text.clone().unwrap_or_else(|| payload.clone()),
                id: payload,
            },
        });
    } else if let Some(body) = text {
        parts.push(Content::Text { body });
    }
    parts.extend(m.attachments.iter().map(attachment));
    if parts.is_empty() {
        parts.push(Content::Unsupported {
            original_type: if m.is_unsupported {
                "unsupported".into()
            } else {
                "empty".into()
            },
            errors: Vec::new(),
        });
    }
    parts
}

fn attachment(a: &Attachment) -> Content {
    let payload = a.payload.as_ref();
    let media = || Media {
        url: payload.and_then(|p| p.url.clone()),
        caption: payload.and_then(|p| p.title.clone()),
        ..Media::default()
    };
    match a.kind.as_str() {
        "image" if payload.is_some_and(|p| p.sticker_id.is_some()) => Content::Sticker(media()),
        "image" => Content::Image(media()),
        "audio" => Content::Audio(media()),
        "video" => Content::Video(media()),
        "file" => Content::Document(media()),
        "location" => match payload.and_then(|p| p.coordinates.as_ref()) {
            Some(at) => Content::Location {
                latitude: at.lat,
                longitude: at.long,
                name: payload.and_then(|p| p.title.clone()),
                address: None,
                url: payload.and_then(|p| p.url.clone()),
            },
            None => unsupported(a),
        },
        _ => unsupported(a),
    }
}

/// Shares, story mentions, reels, templates and types newer than this adapter: kept by name.
fn unsupported(a: &Attachment) -> Content {
    Content::Unsupported {
        original_type: a.kind.clone(),
        errors: Vec::new(),
    }
}
