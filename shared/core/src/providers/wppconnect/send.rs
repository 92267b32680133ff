//! Sending through WPPConnect Server: `POST {base_url}/api/{session}/{endpoint}` with the
//! session's bearer token, bodies as `messageController.ts` and `deviceController.ts` read
//! them.

use serde::Serialize;

use super::{WppConnectConfig, WppConnectSecrets};
use crate::outbound::OutboundBody;
use crate::providers::{HttpRequest, MessageRef, PreparedCall, ResolvedRefs};

pub const SEND_MESSAGE: &str = "send-message";
pub const SEND_IMAGE: &str = "send-image";
pub const SEND_FILE: &str = "send-file";
pub const SEND_VOICE: &str = "send-voice";
/// The server converts the image into a sticker; it takes no quoted message.
pub const SEND_STICKER: &str = "send-sticker";
pub const SEND_LOCATION: &str = "send-location";
pub const REACT_MESSAGE: &str = "react-message";
pub const SEND_SEEN: &str = "send-seen";
pub const START_SESSION: &str = "start-session";

/// Who a call goes to. The server builds the JID from `phone` and these flags
/// (`functions.ts#contactToArray`), in the middleware every send passes through.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Recipient<'a> {
    phone: &'a str,
    is_group: bool,
    is_newsletter: bool,
    is_lid: bool,
}

impl<'a> Recipient<'a> {
    /// `to` as [`super::WppConnectChannel`]'s `address` gives it: digits, `<lid>@lid`,
    /// `<group>@g.us` or `<channel>@newsletter`.
    fn of(to: &'a str) -> Self {
        let mut recipient = Self {
            phone: to,
            is_group: false,
            is_newsletter: false,
            is_lid: false,
        };
        if let Some(group) = to.strip_suffix("@g.us") {
            recipient.phone = group;
            recipient.is_group = true;
        } else if let Some(channel) = to.strip_suffix("@newsletter") {
            recipient.phone = channel;
            recipient.is_newsletter = true;
        } else if let Some(lid) = to.strip_suffix("@lid") {
            recipient.phone = lid;
            recipient.is_lid = true;
        }
        recipient
    }
}

#[derive(Serialize)]
struct TextBody<'a> {
    #[serde(flatten)]
    to: Recipient<'a>,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<TextOptions<'a>>,
}

/// Passed through to wa-js `sendTextMessage`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TextOptions<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    quoted_msg: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    link_preview: bool,
}

/// `send-image` and `send-file`: `path` may be a URL, which the server downloads.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileBody<'a> {
    #[serde(flatten)]
    to: Recipient<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filename: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<&'a str>,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    quoted_message_id: Option<&'a str>,
    /// Spread into wa-js `sendFileMessage`'s options: its `type` keeps a document a document
    /// whatever its MIME type (the default detects the type from the file).
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<FileOptions>,
}

#[derive(Serialize)]
struct FileOptions {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct StickerBody<'a> {
    #[serde(flatten)]
    to: Recipient<'a>,
    path: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VoiceBody<'a> {
    #[serde(flatten)]
    to: Recipient<'a>,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    quoted_message_id: Option<&'a str>,
}

/// The server documents `lat` and `lng` as strings.
#[derive(Serialize)]
struct LocationBody<'a> {
    #[serde(flatten)]
    to: Recipient<'a>,
    lat: String,
    lng: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReactionBody<'a> {
    msg_id: &'a str,
    reaction: &'a str,
}

/// The call that sends `body` to `to`.
///
/// Quotes name the serialized id of `refs.reply_to`; `send-location` takes no quote. A
/// reaction names `refs.reaction_to` (our own id when unresolved, which the server refuses);
/// an empty emoji removes it (wa-js `sendReactionToMessage` treats any falsy reaction as a
/// removal). Audio goes as a voice note, the only way `send-voice` sends it. Templates do not
/// exist on WhatsApp Web and the capability is off, so one never gets here; should it, its
/// name goes out as plain text rather than anything the server would misread.
pub fn prepare(to: &str, body: &OutboundBody, refs: &ResolvedRefs) -> PreparedCall {
    let quoted = refs.reply_to.map(|r| r.provider_message_id);
    let recipient = Recipient::of(to);
    let (endpoint, json) = match body {
        OutboundBody::Text { body, preview_url } => {
            (SEND_MESSAGE, text(recipient, body, quoted, *preview_url))
        }
        OutboundBody::Template { name, .. } => (SEND_MESSAGE, text(recipient, name, None, false)),
        OutboundBody::Image { link, caption } => (
            SEND_IMAGE,
            file(recipient, link, caption.as_deref(), None, quoted, None),
        ),
        OutboundBody::Video { link, caption } => (
            SEND_FILE,
            file(
                recipient,
                link,
                caption.as_deref(),
                None,
                quoted,
                Some("video"),
            ),
        ),
        OutboundBody::Document {
            link,
            caption,
            filename,
        } => {
            // Without a name the server calls every document "file"; the link's own is better.
            let filename = filename.as_deref().or_else(|| file_name_in(link));
            let kind = Some("document");
            (
                SEND_FILE,
                file(recipient, link, caption.as_deref(), filename, quoted, kind),
            )
        }
        OutboundBody::Sticker { link } => (
            SEND_STICKER,
            to_json(&StickerBody {
                to: recipient,
                path: link,
            }),
        ),
        OutboundBody::Audio { link } => (
            SEND_VOICE,
            to_json(&VoiceBody {
                to: recipient,
                path: link,
                quoted_message_id: quoted,
            }),
        ),
        OutboundBody::Location {
            latitude,
            longitude,
            name,
            address,
        } => (
            SEND_LOCATION,
            to_json(&LocationBody {
                to: recipient,
                lat: latitude.to_string(),
                lng: longitude.to_string(),
                title: name.as_deref(),
                address: address.as_deref(),
            }),
        ),
        OutboundBody::Reaction { message_id, emoji } => (
            REACT_MESSAGE,
            to_json(&ReactionBody {
                msg_id: refs
                    .reaction_to
                    .map_or(message_id.as_str(), |r| r.provider_message_id),
                reaction: emoji,
            }),
        ),
    };
    PreparedCall {
        endpoint: endpoint.into(),
        body: json,
    }
}

fn text(to: Recipient, message: &str, quoted: Option<&str>, link_preview: bool) -> String {
    let options = (quoted.is_some() || link_preview).then_some(TextOptions {
        quoted_msg: quoted,
        link_preview,
    });
    to_json(&TextBody {
        to,
        message,
        options,
    })
}

fn file(
    to: Recipient,
    path: &str,
    caption: Option<&str>,
    filename: Option<&str>,
    quoted: Option<&str>,
    kind: Option<&'static str>,
) -> String {
    to_json(&FileBody {
        to,
        filename,
        caption,
        path,
        quoted_message_id: quoted,
        options: kind.map(|kind| FileOptions { kind }),
    })
}

/// The last path segment of a URL, without its query or fragment.
fn file_name_in(link: &str) -> Option<&str> {
    let path = link.split(['?', '#']).next().unwrap_or(link);
    let after_host = path.split_once("://").map_or(path, |(_, rest)| rest);
    let (_, segments) = after_host.split_once('/')?;
    segments.rsplit('/').next().filter(|name| !name.is_empty())
}

fn to_json(body: &impl Serialize) -> String {
    // Plain structs of strings, numbers and booleans always serialize.
    serde_json::to_string(body).unwrap_or_default()
}

/// `send-seen` marks the whole chat read: WPPConnect names no message.
pub fn mark_read(to: &str, _last_inbound: &MessageRef) -> PreparedCall {
    PreparedCall {
        endpoint: SEND_SEEN.into(),
        body: to_json(&Recipient::of(to)),
    }
}

/// `start-session` waiting for the QR code, so that the answer carries it.
pub fn connect() -> PreparedCall {
    PreparedCall {
        endpoint: START_SESSION.into(),
        body: r#"{"waitQrCode":true}"#.into(),
    }
}

pub fn request(
    config: &WppConnectConfig,
    secrets: &WppConnectSecrets,
    call: &PreparedCall,
) -> HttpRequest {
    HttpRequest {
        method: "POST",
        url: format!(
            "{}/api/{}/{}",
            config.base_url, config.session, call.endpoint
        ),
        headers: vec![
            ("content-type", "application/json".into()),
            ("authorization", format!("Bearer {}", secrets.token)),
        ],
        body: call.body.clone(),
        secret_in_url: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documents_name_comes_from_its_link() {
        assert_eq!(
            file_name_in("https://cdn.example.test/docs/boleto%20junho.pdf?sig=1#p2"),
            Some("boleto%20junho.pdf")
        );
        assert_eq!(file_name_in("https://cdn.example.test/"), None);
        assert_eq!(file_name_in("https://cdn.example.test"), None);
        assert_eq!(file_name_in("no-scheme/a.pdf"), Some("a.pdf"));
    }

    #[test]
    fn recipients_carry_the_kind_of_id_in_flags() {
        let json = |to: &str| to_json(&Recipient::of(to));
        assert_eq!(
            json("5511987654321"),
            r#"{"phone":"5511987654321","isGroup":false,"isNewsletter":false,"isLid":false}"#
        );
        assert_eq!(
            json("120363041234567890@g.us"),
            r#"{"phone":"120363041234567890","isGroup":true,"isNewsletter":false,"isLid":false}"#
        );
        assert_eq!(
            json("207289437843681@lid"),
            r#"{"phone":"207289437843681","isGroup":false,"isNewsletter":false,"isLid":true}"#
        );
        assert_eq!(
            json("1203630@newsletter"),
            r#"{"phone":"1203630","isGroup":false,"isNewsletter":true,"isLid":false}"#
        );
    }
}
