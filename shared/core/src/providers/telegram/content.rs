//! What a Telegram message carries → [`Content`].
//!
//! Media are kept by `file_id`, which `getFile` turns into a download; `photo` comes as several
//! sizes of one picture, of which the one with the most pixels is kept. What Ponte does not model
//! (polls, dice, games, payments…) is kept as `unsupported` under its Bot API name, and service
//! messages (members joining, a title changed, a pinned message…) as `system`, so nothing a chat
//! shows is silently dropped.

use super::wire::{File, Message};
use crate::model::{Content, Media};

/// Fields that describe a message rather than being its content: never its type.
const ABOUT_THE_MESSAGE: &[&str] = &[
    "author_signature",
    "business_connection_id",
    "caption_entities",
    "direct_messages_topic",
    "effect_id",
    "entities",
    "external_reply",
    "forward_from",
    "forward_from_chat",
    "forward_from_message_id",
    "forward_sender_name",
    "forward_signature",
    "has_media_spoiler",
    "has_protected_content",
    "is_automatic_forward",
    "is_from_offline",
    "is_paid_post",
    "is_topic_message",
    "link_preview_options",
    "media_group_id",
    "message_thread_id",
    "paid_star_count",
    "quote",
    "reply_to_checklist_task_id",
    "reply_to_story",
    "sender_boost_count",
    "sender_business_bot",
    "sender_chat",
    "sender_tag",
    "show_caption_above_media",
    "suggested_post_info",
    "via_bot",
];

/// Content a person sent that Ponte does not model; every other unknown field with a value is
/// taken as a service message.
const UNSUPPORTED_CONTENT: &[&str] = &[
    "checklist",
    "dice",
    "game",
    "giveaway",
    "giveaway_winners",
    "invoice",
    "paid_media",
    "passport_data",
    "poll",
    "refunded_payment",
    "story",
    "successful_payment",
    "web_app_data",
];

pub fn content(m: &Message) -> Content {
    let caption = m.caption.clone().filter(|c| !c.is_empty());
    if let Some(text) = &m.text {
        return Content::Text { body: text.clone() };
    }
    // An animation also carries a `document` for older clients: the animation is what it is.
    if let Some(file) = &m.animation {
        return Content::Video(Media {
            animated: Some(true),
            ..media(file, caption)
        });
    }
    if let Some(largest) = m.photo.as_deref().and_then(largest) {
        return Content::Image(media(largest, caption));
    }
    if let Some(file) = m.video.as_ref().or(m.video_note.as_ref()) {
        return Content::Video(media(file, caption));
    }
    if let Some(file) = &m.voice {
        return Content::Audio(Media {
            voice: Some(true),
            ..media(file, None)
        });
    }
    if let Some(file) = &m.audio {
        return Content::Audio(media(file, None));
    }
    if let Some(file) = &m.document {
        return Content::Document(media(file, caption));
    }
    if let Some(file) = &m.sticker {
        // Telegram stickers are WebP images, TGS (gzipped Lottie) animations or WebM videos.
        let mime_type = if file.is_video {
            "video/webm"
        } else if file.is_animated {
            "application/x-tgsticker"
        } else {
            "image/webp"
        };
        return Content::Sticker(Media {
            mime_type: Some(mime_type.into()),
            animated: Some(file.is_animated || file.is_video),
            caption: file.emoji.clone(),
            ..media(file, None)
        });
    }
    if let Some(venue) = &m.venue {
        return Content::Location {
            latitude: venue.location.latitude,
            longitude: venue.location.longitude,
            name: venue.title.clone(),
            address: venue.address.clone(),
            url: None,
        };
    }
    if let Some(location) = &m.location {
        return Content::Location {
            latitude: location.latitude,
            longitude: location.longitude,
            name: None,
            address: None,
            url: None,
        };
    }
    if let Some(contact) = &m.contact {
        return Content::Contacts {
            contacts: vec![contact.clone()],
        };
    }
    other(m)
}

/// The kind a message without modelled content is, by its first field that is neither empty
/// nor about the message.
fn other(m: &Message) -> Content {
    let kind = m.rest.iter().find_map(|(key, value)| {
        let empty = value.is_null() || *value == serde_json::Value::Bool(false);
        (!empty && !ABOUT_THE_MESSAGE.contains(&key.as_str())).then_some(key.as_str())
    });
    match kind {
        Some(kind) if UNSUPPORTED_CONTENT.contains(&kind) => Content::Unsupported {
            original_type: kind.to_string(),
            errors: Vec::new(),
        },
        Some(kind) => Content::System {
            body: None,
            kind: Some(kind.to_string()),
        },
        None => Content::Unsupported {
            original_type: "empty".into(),
            errors: Vec::new(),
        },
    }
}

/// The size with the most pixels; the file size breaks ties (and stands in without dimensions).
fn largest(sizes: &[File]) -> Option<&File> {
    sizes.iter().max_by_key(|size| {
        let pixels = size.width.unwrap_or(0) * size.height.unwrap_or(0);
        (pixels, size.file_size.unwrap_or(0))
    })
}

fn media(file: &File, caption: Option<String>) -> Media {
    Media {
        id: file.file_id.clone().filter(|id| !id.is_empty()),
        mime_type: file.mime_type.clone(),
        filename: file.file_name.clone(),
        caption,
        ..Media::default()
    }
}
