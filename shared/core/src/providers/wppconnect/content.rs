//! What a WPPConnect message carries, by its `type` (wppconnect `enum/message-type.ts`).

use serde_json::{json, Value};

use super::wire::Message;
use crate::model::{Content, InteractiveReply, Media};

/// The content of a message. A type Ponte does not model, or one missing what it needs, is
/// `Unsupported`: kept, never dropped.
pub fn content_of(m: &Message) -> Content {
    let kind = m.kind.as_deref().unwrap_or_default();
    let content = match kind {
        "chat" => m.body.clone().map(|body| Content::Text { body }),
        "image" => Some(Content::Image(media(m, None))),
        "video" => Some(Content::Video(media(m, None))),
        "audio" => Some(Content::Audio(media(m, Some(false)))),
        "ptt" => Some(Content::Audio(media(m, Some(true)))),
        "document" => Some(Content::Document(media(m, None))),
        "sticker" => Some(Content::Sticker(Media {
            animated: m.is_animated,
            ..media(m, None)
        })),
        "location" => location(m),
        "vcard" => m.body.as_ref().map(|vcard| {
            // The same shape as one entry of a multi_vcard's `vcardList`, so both store alike.
            let mut card = json!({ "vcard": vcard });
            if let Some(name) = text(&m.vcard_formatted_name) {
                card["displayName"] = Value::String(name);
            }
            Content::Contacts {
                contacts: vec![card],
            }
        }),
        "multi_vcard" => m
            .vcard_list
            .clone()
            .filter(|cards| !cards.is_empty())
            .map(|contacts| Content::Contacts { contacts }),
        "list_response" => list_reply(m),
        "buttons_response" => text(&m.selected_button_id).map(|id| Content::Interactive {
            reply: InteractiveReply::ButtonReply {
                id,
                title: m.body.clone().unwrap_or_default(),
            },
        }),
        "template_button_reply" => text(&m.selected_id)
            .or_else(|| text(&m.selected_button_id))
            .map(|payload| Content::Button {
                payload,
                text: m.body.clone().unwrap_or_default(),
            }),
        _ => None,
    };
    content.unwrap_or_else(|| Content::Unsupported {
        original_type: if kind.is_empty() { "unknown" } else { kind }.to_string(),
        errors: Vec::new(),
    })
}

/// A media message's reference. For media, `body` holds a thumbnail, or the whole file in base64
/// when the server downloads media without S3: the file is told by its decoded length matching
/// the message's `size`, and rides to the copy into R2 (never into a row).
/// The URL is the server's S3 copy (`fileUrl`) when it made one, else WhatsApp's encrypted
/// `deprecatedMms3Url`; a `data:` URL is inline content too and is left out.
fn media(m: &Message, voice: Option<bool>) -> Media {
    let url = [&m.file_url, &m.deprecated_mms3_url]
        .into_iter()
        .flatten()
        .find(|url| is_http(url))
        .cloned();
    Media {
        url,
        mime_type: text(&m.mimetype),
        sha256: text(&m.filehash),
        caption: text(&m.caption),
        filename: text(&m.filename),
        voice,
        inline_base64: whole_file(m),
        ..Media::default()
    }
}

/// `body` when it is the whole file: base64 whose decoded length is the message's `size`.
fn whole_file(m: &Message) -> Option<String> {
    let size = m.size.filter(|s| s.is_finite() && *s > 0.0)? as u64;
    let body = m.body.as_deref()?.trim();
    let data = body.split_once(";base64,").map_or(body, |(_, data)| data);
    if data.is_empty() || data.len() % 4 != 0 {
        return None;
    }
    let padding = data.bytes().rev().take_while(|b| *b == b'=').count().min(2) as u64;
    let decoded = (data.len() as u64 / 4) * 3 - padding;
    (decoded == size).then(|| data.to_string())
}

/// `loc` is the place WhatsApp shows under the pin: its name, then its address on the next
/// line when the sender picked a place.
fn location(m: &Message) -> Option<Content> {
    let (latitude, longitude) = (m.lat?, m.lng?);
    if !latitude.is_finite() || !longitude.is_finite() {
        return None;
    }
    let loc = text(&m.loc);
    let (name, address) = match loc.as_deref().and_then(|l| l.split_once('\n')) {
        Some((name, address)) => (non_empty(name.trim()), non_empty(address.trim())),
        None => (loc, None),
    };
    Some(Content::Location {
        latitude,
        longitude,
        name,
        address,
        url: None,
    })
}

fn list_reply(m: &Message) -> Option<Content> {
    let list = m.list_response.as_ref()?;
    let id = list
        .single_select_reply
        .as_ref()
        .and_then(|reply| text(&reply.selected_row_id))?;
    let title = text(&list.title)
        .or_else(|| m.body.clone())
        .unwrap_or_default();
    Some(Content::Interactive {
        reply: InteractiveReply::ListReply {
            id,
            title,
            description: text(&list.description),
        },
    })
}

fn is_http(url: &str) -> bool {
    let scheme: String = url.trim_start().chars().take(8).collect();
    let scheme = scheme.to_ascii_lowercase();
    scheme.starts_with("https://") || scheme.starts_with("http://")
}

fn text(value: &Option<String>) -> Option<String> {
    value.as_deref().and_then(non_empty)
}

fn non_empty(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_are_media_links() {
        assert!(is_http("https://bucket.s3.amazonaws.com/a.jpg"));
        assert!(is_http("HTTP://x"));
        assert!(!is_http("data:image/jpeg;base64,/9j/4AAQ"));
        assert!(!is_http("/9j/4AAQSkZJRg"));
        assert!(!is_http("ht"));
        assert!(!is_http("é"));
    }
}
