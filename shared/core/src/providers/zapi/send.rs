//! Sending through Z-API: request bodies as documented, the full request with the channel's
//! tokens, and Z-API's answers classified.
//!
//! Format: <https://developer.z-api.io/en/message/send-message-text> and its sibling pages.

use serde::Serialize;
use serde_json::Value;

use super::config::{ZApiConfig, ZApiSecrets};
use crate::identity::stored_identity;
use crate::outbound::OutboundBody;
use crate::providers::{
    classify_http, error_reason, Answer, ConnectionState, ConnectionUpdate, HttpRequest,
    PreparedCall, Qr, ResolvedRefs, SendOutcome,
};

pub const SEND_TEXT: &str = "send-text";
pub const SEND_IMAGE: &str = "send-image";
pub const SEND_AUDIO: &str = "send-audio";
pub const SEND_VIDEO: &str = "send-video";
pub const SEND_STICKER: &str = "send-sticker";
/// Followed by `/{extension}`: Z-API takes the file type from the path.
pub const SEND_DOCUMENT: &str = "send-document";
pub const SEND_LOCATION: &str = "send-location";
pub const SEND_REACTION: &str = "send-reaction";
pub const SEND_REMOVE_REACTION: &str = "send-remove-reaction";
pub const READ_MESSAGE: &str = "read-message";
/// The only call made with `GET`: the QR code to scan, as a `data:` image URL.
pub const QR_CODE_IMAGE: &str = "qr-code/image";

const DEFAULT_DOCUMENT_EXTENSION: &str = "pdf";
const MAX_EXTENSION_CHARS: usize = 10;

/// How Z-API addresses a contact: WhatsApp's own digits first (they reach an old Brazilian
/// number without its ninth digit), then the phone's digits, then the linked id, then a group.
pub fn address(identities: &[&str]) -> Option<String> {
    if let Some(wa) = stored_identity(identities, "wa") {
        return Some(wa.to_string());
    }
    if let Some(phone) = stored_identity(identities, "phone") {
        return Some(phone.trim_start_matches('+').to_string());
    }
    if let Some(lid) = stored_identity(identities, "lid") {
        return Some(lid.to_string());
    }
    // Z-API writes a group as `<id>-group`; a group learnt from another gateway is `<id>@g.us`.
    stored_identity(identities, "group").map(|group| match group.strip_suffix("@g.us") {
        Some(id) => format!("{id}-group"),
        None => group.to_string(),
    })
}

/// The call that sends `body` to `phone`. A reply quotes `refs.reply_to` through `messageId`,
/// which every send type Ponte uses accepts except reactions (they name their own message).
///
/// Templates are a Cloud API feature Z-API lacks; the capability check refuses them before
/// they get here, and should one slip through, its name goes out as plain text rather than
/// anything the contact could mistake for a filled-in template.
pub fn prepare_send(phone: &str, body: &OutboundBody, refs: &ResolvedRefs) -> PreparedCall {
    let quoted = refs.reply_to.map(|r| r.provider_message_id);
    let reacted = refs
        .reaction_to
        .map(|r| r.provider_message_id)
        .unwrap_or_default();
    let (endpoint, json) = match body {
        OutboundBody::Text { body, .. } => (SEND_TEXT.to_string(), text(phone, body, quoted)),
        OutboundBody::Image { link, caption } => (
            SEND_IMAGE.to_string(),
            to_json(&ImageBody {
                phone,
                image: link,
                caption: caption.as_deref(),
                message_id: quoted,
            }),
        ),
        OutboundBody::Audio { link } => (
            SEND_AUDIO.to_string(),
            to_json(&AudioBody {
                phone,
                audio: link,
                message_id: quoted,
            }),
        ),
        OutboundBody::Sticker { link } => (
            SEND_STICKER.to_string(),
            to_json(&StickerBody {
                phone,
                sticker: link,
                message_id: quoted,
            }),
        ),
        OutboundBody::Video { link, caption } => (
            SEND_VIDEO.to_string(),
            to_json(&VideoBody {
                phone,
                video: link,
                caption: caption.as_deref(),
                message_id: quoted,
            }),
        ),
        OutboundBody::Document {
            link,
            caption,
            filename,
        } => (
            format!(
                "{SEND_DOCUMENT}/{}",
                document_extension(filename.as_deref(), link)
            ),
            to_json(&DocumentBody {
                phone,
                document: link,
                file_name: filename.as_deref(),
                caption: caption.as_deref(),
                message_id: quoted,
            }),
        ),
        OutboundBody::Location {
            latitude,
            longitude,
            name,
            address,
        } => (
            SEND_LOCATION.to_string(),
            to_json(&LocationBody {
                phone,
                // Both are required by Z-API; an unnamed place goes with empty text.
                title: name.as_deref().unwrap_or_default(),
                address: address.as_deref().unwrap_or_default(),
                // Z-API documents the coordinates as strings.
                latitude: latitude.to_string(),
                longitude: longitude.to_string(),
                message_id: quoted,
            }),
        ),
        OutboundBody::Reaction { emoji, .. } if emoji.is_empty() => (
            SEND_REMOVE_REACTION.to_string(),
            to_json(&RemoveReactionBody {
                phone,
                message_id: reacted,
            }),
        ),
        OutboundBody::Reaction { emoji, .. } => (
            SEND_REACTION.to_string(),
            to_json(&ReactionBody {
                phone,
                reaction: emoji,
                message_id: reacted,
            }),
        ),
        OutboundBody::Template { name, .. } => (SEND_TEXT.to_string(), text(phone, name, None)),
    };
    PreparedCall {
        endpoint,
        body: json,
    }
}

fn text(phone: &str, message: &str, quoted: Option<&str>) -> String {
    to_json(&TextBody {
        phone,
        message,
        message_id: quoted,
    })
}

/// Marks the chat's messages up to `message_id` as read.
pub fn read_message(phone: &str, message_id: &str) -> PreparedCall {
    PreparedCall {
        endpoint: READ_MESSAGE.into(),
        body: to_json(&ReadBody { phone, message_id }),
    }
}

pub fn qr_code() -> PreparedCall {
    PreparedCall {
        endpoint: QR_CODE_IMAGE.into(),
        body: String::new(),
    }
}

/// `{base_url}/instances/{instance_id}/token/{instance_token}/{endpoint}` with the account's
/// `Client-Token`. The instance token in the path makes the URL itself a secret.
pub fn request(config: &ZApiConfig, secrets: &ZApiSecrets, call: &PreparedCall) -> HttpRequest {
    let url = format!(
        "{}/instances/{}/token/{}/{}",
        config.base_url, config.instance_id, secrets.instance_token, call.endpoint
    );
    let mut headers = vec![("Client-Token", secrets.client_token.clone())];
    let method = if call.endpoint == QR_CODE_IMAGE {
        "GET"
    } else {
        headers.push(("Content-Type", "application/json".to_string()));
        "POST"
    };
    HttpRequest {
        method,
        url,
        headers,
        body: call.body.clone(),
        secret_in_url: true,
    }
}

/// `{"zaapId":…,"messageId":…,"id":…}` is accepted under `messageId`, the WhatsApp id statuses
/// and replies use (`id` repeats it). Z-API does not say which number it delivered to.
pub fn classify_send(answer: &Answer) -> SendOutcome {
    if !answer.is_success() {
        return classify_http(answer, "Z-API refused the message");
    }
    let json = answer.json();
    let id = ["messageId", "id"].into_iter().find_map(|field| {
        json.as_ref()
            .and_then(|j| j.get(field))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|id| !id.is_empty())
    });
    match id {
        Some(id) => SendOutcome::Accepted {
            provider_message_id: id.to_string(),
            recipient: None,
        },
        // Z-API may have queued it, but no status could ever be matched to it; retrying could
        // send it twice.
        None => SendOutcome::Permanent {
            code: None,
            title: json.as_ref().and_then(error_reason).unwrap_or_else(|| {
                "Z-API answered without a message id; not retried to avoid a duplicate".into()
            }),
        },
    }
}

/// Z-API answers a read receipt with `204 No Content`.
pub fn classify_mark_read(answer: &Answer) -> Result<(), SendOutcome> {
    if answer.is_success() {
        Ok(())
    } else {
        Err(classify_http(answer, "Z-API refused the read receipt"))
    }
}

/// `{"value":"data:image/png;base64,…"}` is a QR code to scan; `{"connected":true}` means the
/// phone is already linked.
pub fn classify_connect(answer: &Answer) -> Result<ConnectionUpdate, SendOutcome> {
    if !answer.is_success() {
        return Err(classify_http(answer, "Z-API refused to give a QR code"));
    }
    let json = answer.json();
    let field = |name: &str| json.as_ref().and_then(|j| j.get(name));
    if field("connected").and_then(Value::as_bool) == Some(true) {
        return Ok(ConnectionUpdate {
            state: ConnectionState::Connected,
            qr: None,
        });
    }
    let image = field("value")
        .and_then(Value::as_str)
        .filter(|v| v.starts_with("data:image/"));
    Ok(match image {
        Some(image) => ConnectionUpdate {
            state: ConnectionState::QrRequired,
            qr: Some(Qr {
                code: None,
                image: Some(image.to_string()),
            }),
        },
        None => ConnectionUpdate {
            state: ConnectionState::Connecting,
            qr: None,
        },
    })
}

/// The file type Z-API's document endpoint wants in its path: the file name's extension, else
/// the link's, else `pdf`. Only short alphanumeric extensions qualify: it becomes a path segment.
fn document_extension(filename: Option<&str>, link: &str) -> String {
    let link_path = link.split(['?', '#']).next().unwrap_or_default();
    let link_name = link_path.rsplit('/').next().unwrap_or_default();
    [filename.unwrap_or_default(), link_name]
        .into_iter()
        .find_map(|name| {
            let (stem, extension) = name.rsplit_once('.')?;
            let usable = !stem.is_empty()
                && !extension.is_empty()
                && extension.len() <= MAX_EXTENSION_CHARS
                && extension.bytes().all(|b| b.is_ascii_alphanumeric());
            usable.then(|| extension.to_ascii_lowercase())
        })
        .unwrap_or_else(|| DEFAULT_DOCUMENT_EXTENSION.to_string())
}

/// These structs hold only strings: serializing them cannot fail.
fn to_json(body: &impl Serialize) -> String {
    serde_json::to_string(body).unwrap_or_default()
}

// Z-API's documented request bodies, fields in the documented order.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TextBody<'a> {
    phone: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageBody<'a> {
    phone: &'a str,
    image: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AudioBody<'a> {
    phone: &'a str,
    audio: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StickerBody<'a> {
    phone: &'a str,
    sticker: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VideoBody<'a> {
    phone: &'a str,
    video: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DocumentBody<'a> {
    phone: &'a str,
    document: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LocationBody<'a> {
    phone: &'a str,
    title: &'a str,
    address: &'a str,
    latitude: String,
    longitude: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReactionBody<'a> {
    phone: &'a str,
    reaction: &'a str,
    message_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RemoveReactionBody<'a> {
    phone: &'a str,
    message_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReadBody<'a> {
    phone: &'a str,
    message_id: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_extension_comes_from_the_name_then_the_link() {
        let link = "https://cdn.example.com/files/nota.XLSX?sig=a.b";
        assert_eq!(document_extension(Some("boleto.pdf"), link), "pdf");
        assert_eq!(document_extension(Some("contrato"), link), "xlsx");
        assert_eq!(document_extension(None, "https://x.test/download"), "pdf");
        assert_eq!(document_extension(Some(".env"), "https://x.test/a"), "pdf");
        assert_eq!(
            document_extension(Some("a.p/d"), "https://x.test/b.tar.gz"),
            "gz"
        );
        assert_eq!(
            document_extension(Some("x.averyverylongext"), "https://x.test/"),
            "pdf"
        );
    }
}
