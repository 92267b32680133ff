//! Sending through Evolution API v2: the documented request bodies, built as plain data.
//!
//! Every call is `{base_url}/{endpoint}/{instance}` with the `apikey` header; bodies follow
//! Evolution's `src/api/dto/sendMessage.dto.ts` and `src/validate/*.schema.ts`.

use serde::Serialize;

use super::jid::chat_jid;
use super::{EvolutionConfig, EvolutionSecrets};
use crate::outbound::OutboundBody;
use crate::providers::{HttpRequest, MessageRef, PreparedCall, ResolvedRefs};

pub const SEND_TEXT: &str = "message/sendText";
pub const SEND_MEDIA: &str = "message/sendMedia";
pub const SEND_STICKER: &str = "message/sendSticker";
pub const SEND_LOCATION: &str = "message/sendLocation";
pub const SEND_REACTION: &str = "message/sendReaction";
pub const MARK_READ: &str = "chat/markMessageAsRead";
/// The only `GET`: asks for a QR code, or reports the open session.
pub const CONNECT: &str = "instance/connect";

/// The call that sends `body` to `to` (digits, a linked id or a group id, as
/// [`crate::providers::Channel::address`] gives it).
///
/// A template cannot reach here (the capability is off); should one, its name goes out as plain
/// text, which is visible and harmless, instead of a call the Baileys channel cannot serve.
pub fn prepare_send(to: &str, body: &OutboundBody, refs: &ResolvedRefs) -> PreparedCall {
    let quoted = refs.reply_to.map(|r| Quoted::of(to, &r));
    let (endpoint, json) = match body {
        OutboundBody::Text { body, preview_url } => (
            SEND_TEXT,
            to_json(&TextBody {
                number: to,
                text: body,
                link_preview: *preview_url,
                quoted,
            }),
        ),
        OutboundBody::Image { link, caption } => {
            media(to, "image", link, caption.as_deref(), None, quoted)
        }
        OutboundBody::Video { link, caption } => {
            media(to, "video", link, caption.as_deref(), None, quoted)
        }
        OutboundBody::Audio { link } => media(to, "audio", link, None, None, quoted),
        OutboundBody::Sticker { link } => (
            SEND_STICKER,
            to_json(&StickerBody {
                number: to,
                sticker: link,
                quoted,
            }),
        ),
        OutboundBody::Document {
            link,
            caption,
            filename,
        } => {
            // Without a name Evolution guesses one from the URL, often badly ("cdn").
            let file_name = filename.as_deref().or_else(|| last_path_segment(link));
            media(to, "document", link, caption.as_deref(), file_name, quoted)
        }
        OutboundBody::Location {
            latitude,
            longitude,
            name,
            address,
        } => (
            SEND_LOCATION,
            // Evolution's schema requires both texts, empty or not.
            to_json(&LocationBody {
                number: to,
                latitude: *latitude,
                longitude: *longitude,
                name: name.as_deref().unwrap_or_default(),
                address: address.as_deref().unwrap_or_default(),
                quoted,
            }),
        ),
        OutboundBody::Reaction { emoji, .. } => {
            // Without the resolved message the id is empty and Evolution refuses it (permanent).
            let target = refs.reaction_to;
            let jid = chat_jid(to);
            (
                SEND_REACTION,
                to_json(&ReactionBody {
                    key: MessageKey {
                        remote_jid: &jid,
                        from_me: target.is_some_and(|r| r.outbound),
                        id: target.map_or("", |r| r.provider_message_id),
                    },
                    // Kept even when empty: an empty reaction removes ours.
                    reaction: emoji,
                }),
            )
        }
        OutboundBody::Template { name, .. } => (
            SEND_TEXT,
            to_json(&TextBody {
                number: to,
                text: name,
                link_preview: false,
                quoted: None,
            }),
        ),
    };
    PreparedCall {
        endpoint: endpoint.into(),
        body: json,
    }
}

fn media<'a>(
    to: &'a str,
    mediatype: &'static str,
    link: &'a str,
    caption: Option<&'a str>,
    file_name: Option<&'a str>,
    quoted: Option<Quoted<'a>>,
) -> (&'static str, String) {
    let body = MediaBody {
        number: to,
        mediatype,
        media: link,
        caption,
        file_name,
        quoted,
    };
    (SEND_MEDIA, to_json(&body))
}

fn last_path_segment(link: &str) -> Option<&str> {
    let path = link.split(['?', '#']).next().unwrap_or_default();
    let after_host = path.split_once("://").map_or(path, |(_, rest)| rest);
    let (_, segment) = after_host.rsplit_once('/')?;
    (!segment.is_empty()).then_some(segment)
}

/// Shows the contact their messages up to `last_inbound` as read.
pub fn mark_read(to: &str, last_inbound: &MessageRef) -> PreparedCall {
    let jid = chat_jid(to);
    let body = MarkRead {
        read_messages: [MessageKey {
            remote_jid: &jid,
            from_me: false,
            id: last_inbound.provider_message_id,
        }],
    };
    PreparedCall {
        endpoint: MARK_READ.into(),
        body: to_json(&body),
    }
}

pub fn connect() -> PreparedCall {
    PreparedCall {
        endpoint: CONNECT.into(),
        body: String::new(),
    }
}

/// The full request: base URL and instance around the endpoint, and the key in its header.
pub fn request(
    config: &EvolutionConfig,
    secrets: &EvolutionSecrets,
    call: &PreparedCall,
) -> HttpRequest {
    let url = format!(
        "{}/{}/{}",
        config.base_url,
        call.endpoint,
        path_segment(&config.instance)
    );
    let mut headers = vec![("apikey", secrets.api_key.clone())];
    let method = if call.endpoint == CONNECT {
        "GET"
    } else {
        headers.push(("content-type", "application/json".to_string()));
        "POST"
    };
    HttpRequest {
        method,
        url,
        headers,
        body: call.body.clone(),
        secret_in_url: false,
    }
}

/// An instance name as one URL path segment: everything but unreserved characters escaped.
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn to_json(body: &impl Serialize) -> String {
    // These bodies hold only strings, numbers and booleans: serializing them cannot fail.
    serde_json::to_string(body).unwrap_or_default()
}

// Evolution's documented request bodies, fields in the documented order.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TextBody<'a> {
    number: &'a str,
    text: &'a str,
    link_preview: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    quoted: Option<Quoted<'a>>,
}

#[derive(Serialize)]
struct StickerBody<'a> {
    number: &'a str,
    sticker: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    quoted: Option<Quoted<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MediaBody<'a> {
    number: &'a str,
    mediatype: &'static str,
    media: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quoted: Option<Quoted<'a>>,
}

#[derive(Serialize)]
struct LocationBody<'a> {
    number: &'a str,
    latitude: f64,
    longitude: f64,
    name: &'a str,
    address: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    quoted: Option<Quoted<'a>>,
}

#[derive(Serialize)]
struct ReactionBody<'a> {
    key: MessageKey<'a>,
    reaction: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageKey<'a> {
    remote_jid: &'a str,
    from_me: bool,
    id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MarkRead<'a> {
    read_messages: [MessageKey<'a>; 1],
}

/// The quoted message as Evolution takes it: with `message` given, it quotes that content
/// instead of looking the message up in its own database.
#[derive(Serialize)]
struct Quoted<'a> {
    key: QuotedKey<'a>,
    message: QuotedText<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QuotedKey<'a> {
    id: &'a str,
    /// Lets WhatsApp name the quoted message's author.
    remote_jid: String,
    from_me: bool,
}

#[derive(Serialize)]
struct QuotedText<'a> {
    conversation: &'a str,
}

impl<'a> Quoted<'a> {
    fn of(to: &str, quoted: &MessageRef<'a>) -> Self {
        Quoted {
            key: QuotedKey {
                id: quoted.provider_message_id,
                remote_jid: chat_jid(to),
                from_me: quoted.outbound,
            },
            message: QuotedText {
                conversation: quoted.text.unwrap_or_default(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_names_are_escaped_in_the_path() {
        assert_eq!(path_segment("loja-centro_1"), "loja-centro_1");
        assert_eq!(path_segment("loja centro/ç"), "loja%20centro%2F%C3%A7");
    }

    #[test]
    fn a_document_is_named_after_its_link_when_unnamed() {
        assert_eq!(
            last_path_segment("https://cdn.example.test/nf/nota-123.pdf?sig=1"),
            Some("nota-123.pdf")
        );
        assert_eq!(last_path_segment("https://cdn.example.test/"), None);
        assert_eq!(last_path_segment("https://cdn.example.test"), None);
    }
}
