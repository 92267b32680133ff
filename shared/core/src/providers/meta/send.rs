//! Sending through the WhatsApp Cloud API: Graph API requests built as plain data, and Meta's
//! answers classified into accepted / worth retrying / will fail again.
//!
//! Format: <https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/>.

use serde::Serialize;
use serde_json::Value;

use super::MetaConfig;
use crate::outbound::OutboundBody;
use crate::providers::seam::truncate;
use crate::providers::{HttpRequest, MediaUpload, ResolvedRefs, SendOutcome};

/// Meta error codes worth retrying whatever the HTTP status: temporary unavailability (1, 2,
/// 131016) and rate or throughput limits (4, 17, 32, 613, 80007, 130429, 131056). Every other
/// code describes a request that would fail again. Meta's generic 131000 is retried only when the
/// HTTP status (5xx) says the fault was theirs.
const TRANSIENT_CODES: [i64; 10] = [1, 2, 4, 17, 32, 613, 80007, 130429, 131016, 131056];
const MAX_TITLE_CHARS: usize = 300;

/// `POST {graph}/{phone_number_id}/messages` for one message.
///
/// `to` is digits without `+`: the contact's `wa_id` when known (Meta's canonical id, see
/// [`SendOutcome::Accepted`]), else [`crate::identity::PhoneNumber::digits`]. A reaction needs
/// `refs.reaction_to`; without it the request names no message and Meta rejects it (permanent).
/// Meta's answer reports its canonical id of the recipient as `SendOutcome::Accepted::recipient`.
pub fn send_request(
    config: &MetaConfig,
    access_token: &str,
    to: &str,
    body: &OutboundBody,
    refs: &ResolvedRefs,
) -> HttpRequest {
    let payload = match body {
        OutboundBody::Text { body, preview_url } => Payload::Text {
            text: TextObject {
                preview_url: *preview_url,
                body,
            },
        },
        OutboundBody::Image { link, caption } => Payload::Image {
            image: MediaObject::new(link, refs.media_id, caption.as_deref(), None),
        },
        OutboundBody::Audio { link } => Payload::Audio {
            audio: MediaObject::new(link, refs.media_id, None, None),
        },
        OutboundBody::Sticker { link } => Payload::Sticker {
            sticker: MediaObject::new(link, refs.media_id, None, None),
        },
        OutboundBody::Video { link, caption } => Payload::Video {
            video: MediaObject::new(link, refs.media_id, caption.as_deref(), None),
        },
        OutboundBody::Document {
            link,
            caption,
            filename,
        } => Payload::Document {
            document: MediaObject::new(
                link,
                refs.media_id,
                caption.as_deref(),
                filename.as_deref(),
            ),
        },
        OutboundBody::Location {
            latitude,
            longitude,
            name,
            address,
        } => Payload::Location {
            location: LocationObject {
                latitude: *latitude,
                longitude: *longitude,
                name: name.as_deref(),
                address: address.as_deref(),
            },
        },
        OutboundBody::Reaction { emoji, .. } => Payload::Reaction {
            reaction: ReactionObject {
                message_id: refs
                    .reaction_to
                    .map(|r| r.provider_message_id)
                    .unwrap_or_default(),
                // Kept even when empty: an empty emoji is how Meta removes a reaction.
                emoji,
            },
        },
        OutboundBody::Template {
            name,
            language,
            components,
        } => Payload::Template {
            template: TemplateObject {
                name,
                language: Language { code: language },
                components,
            },
        },
    };
    let message = MessageBody {
        messaging_product: "whatsapp",
        recipient_type: "individual",
        to,
        payload,
        context: refs.reply_to.map(|r| Context {
            message_id: r.provider_message_id,
        }),
    };
    post_messages(config, access_token, &message)
}

/// Marks an inbound message (and every earlier one) as read: the contact sees blue ticks.
pub fn mark_read_request(
    config: &MetaConfig,
    access_token: &str,
    provider_message_id: &str,
) -> HttpRequest {
    let body = MarkRead {
        messaging_product: "whatsapp",
        status: "read",
        message_id: provider_message_id,
    };
    post_messages(config, access_token, &body)
}

pub fn parse_send_response(
    http_status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> SendOutcome {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let json = json.as_ref();
    if is_success(http_status) {
        let id = json
            .and_then(|j| j.pointer("/messages/0/id"))
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty());
        if let Some(id) = id {
            let wa_id = json
                .and_then(|j| j.pointer("/contacts/0/wa_id"))
                .and_then(Value::as_str);
            return SendOutcome::Accepted {
                provider_message_id: id.to_string(),
                recipient: wa_id.map(str::to_string),
            };
        }
        if error_object(json).is_none() {
            // Meta may have queued it, but statuses could never be matched to it; retrying
            // could deliver it twice.
            return SendOutcome::Permanent {
                code: None,
                title: "Meta answered without a message id; not retried to avoid a duplicate"
                    .into(),
            };
        }
    }
    classify_failure(http_status, retry_after, json)
}

/// `POST {graph}/{phone_number_id}/media`: Meta's upload API, a multipart form of
/// `messaging_product`, the file's `type` and the `file` itself. Its answer's `id` is what a send
/// names the media by.
pub fn upload_request(config: &MetaConfig, access_token: &str, content_type: &str) -> MediaUpload {
    MediaUpload {
        url: format!(
            "{}/{}/media",
            config.graph_base_url(),
            config.phone_number_id
        ),
        headers: vec![("Authorization", format!("Bearer {access_token}"))],
        fields: vec![
            ("messaging_product", "whatsapp".to_string()),
            ("type", content_type.to_string()),
        ],
        file_field: "file",
    }
}

/// Meta's id for an uploaded file, or the same classification as a send.
pub fn parse_upload_response(
    http_status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Result<String, SendOutcome> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let json = json.as_ref();
    if is_success(http_status) {
        let id = json
            .and_then(|j| j.get("id"))
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty());
        if let Some(id) = id {
            return Ok(id.to_string());
        }
        if error_object(json).is_none() {
            return Err(SendOutcome::Permanent {
                code: None,
                title: "Meta answered the upload without a media id".into(),
            });
        }
    }
    Err(classify_failure(http_status, retry_after, json))
}

/// For the mark-read call: Ok(()) on {"success":true}, else the same classification as a send.
pub fn parse_mark_read_response(
    http_status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Result<(), SendOutcome> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let json = json.as_ref();
    if is_success(http_status) {
        let success = json.and_then(|j| j.get("success")).and_then(Value::as_bool);
        if success == Some(true) {
            return Ok(());
        }
        if error_object(json).is_none() {
            return Err(SendOutcome::Permanent {
                code: None,
                title: "Meta did not confirm the read receipt".into(),
            });
        }
    }
    Err(classify_failure(http_status, retry_after, json))
}

fn is_success(http_status: u16) -> bool {
    (200..300).contains(&http_status)
}

fn error_object(json: Option<&Value>) -> Option<&Value> {
    json.and_then(|j| j.get("error")).filter(|e| e.is_object())
}

pub(crate) fn classify_failure(
    http_status: u16,
    retry_after: Option<&str>,
    json: Option<&Value>,
) -> SendOutcome {
    let error = error_object(json);
    let code = error
        .and_then(|e| e.get("code"))
        .and_then(|code| match code {
            Value::String(s) => s.trim().parse().ok(),
            other => other.as_i64(),
        });
    let title = error
        .and_then(error_title)
        .unwrap_or_else(|| format!("HTTP {http_status}"));
    let transient = http_status == 429
        || (500..600).contains(&http_status)
        || code.is_some_and(|c| TRANSIENT_CODES.contains(&c));
    if transient {
        SendOutcome::Transient {
            code,
            title,
            retry_after_s: retry_after.and_then(|s| s.trim().parse().ok()),
        }
    } else {
        SendOutcome::Permanent { code, title }
    }
}

/// `error.message`, with `error_data.details` when it adds something (for 131047 it says why:
/// more than 24 hours since the customer last replied), cut to a loggable length.
fn error_title(error: &Value) -> Option<String> {
    let text = |pointer: &str| {
        error
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let message = text("/message")?;
    let title = match text("/error_data/details") {
        Some(details) if details != message => format!("{message} ({details})"),
        _ => message.to_string(),
    };
    Some(truncate(title, MAX_TITLE_CHARS))
}

fn post_messages(config: &MetaConfig, access_token: &str, body: &impl Serialize) -> HttpRequest {
    // These structs have only string keys and plain values: serializing them cannot fail.
    messages_request(
        config,
        access_token,
        serde_json::to_string(body).unwrap_or_default(),
    )
}

/// `POST {graph}/{phone_number_id}/messages` with a body built earlier: a retry replays the body
/// stored with the message, with the channel's current token.
pub fn messages_request(config: &MetaConfig, access_token: &str, body: String) -> HttpRequest {
    HttpRequest {
        method: "POST",
        url: format!(
            "{}/{}/messages",
            config.graph_base_url(),
            config.phone_number_id
        ),
        headers: vec![
            ("Authorization", format!("Bearer {access_token}")),
            ("Content-Type", "application/json".to_string()),
        ],
        body,
        secret_in_url: false,
    }
}

// Meta's documented request bodies, fields in the documented order.

#[derive(Serialize)]
struct MessageBody<'a> {
    messaging_product: &'static str,
    recipient_type: &'static str,
    to: &'a str,
    #[serde(flatten)]
    payload: Payload<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<Context<'a>>,
}

#[derive(Serialize)]
struct Context<'a> {
    message_id: &'a str,
}

/// `"type":"text","text":{…}`: the type names the key holding the type's object.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Payload<'a> {
    Text { text: TextObject<'a> },
    Image { image: MediaObject<'a> },
    Audio { audio: MediaObject<'a> },
    Sticker { sticker: MediaObject<'a> },
    Video { video: MediaObject<'a> },
    Document { document: MediaObject<'a> },
    Location { location: LocationObject<'a> },
    Reaction { reaction: ReactionObject<'a> },
    Template { template: TemplateObject<'a> },
}

#[derive(Serialize)]
struct TextObject<'a> {
    preview_url: bool,
    body: &'a str,
}

#[derive(Serialize)]
/// Media by Meta's own id (uploaded with [`upload_request`]) or by a public link.
struct MediaObject<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filename: Option<&'a str>,
}

impl<'a> MediaObject<'a> {
    fn new(
        link: &'a str,
        id: Option<&'a str>,
        caption: Option<&'a str>,
        filename: Option<&'a str>,
    ) -> Self {
        Self {
            link: id.is_none().then_some(link),
            id,
            caption,
            filename,
        }
    }
}

#[derive(Serialize)]
struct LocationObject<'a> {
    latitude: f64,
    longitude: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<&'a str>,
}

#[derive(Serialize)]
struct ReactionObject<'a> {
    message_id: &'a str,
    emoji: &'a str,
}

#[derive(Serialize)]
struct TemplateObject<'a> {
    name: &'a str,
    language: Language<'a>,
    #[serde(skip_serializing_if = "<[Value]>::is_empty")]
    components: &'a [Value],
}

#[derive(Serialize)]
struct Language<'a> {
    code: &'a str,
}

#[derive(Serialize)]
struct MarkRead<'a> {
    messaging_product: &'static str,
    status: &'static str,
    message_id: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_fields_come_in_the_documented_order() {
        let config = MetaConfig {
            phone_number_id: "1065".into(),
            graph_base_url: None,
            business_account_id: None,
        };
        let body = OutboundBody::Text {
            body: "Olá".into(),
            preview_url: false,
        };
        let refs = ResolvedRefs {
            reply_to: Some(crate::providers::MessageRef {
                provider_message_id: "wamid.Q",
                outbound: false,
                text: None,
            }),
            reaction_to: None,
            media_id: None,
        };
        let request = send_request(&config, "t", "5511987654321", &body, &refs);
        assert_eq!(
            request.body,
            r#"{"messaging_product":"whatsapp","recipient_type":"individual","to":"5511987654321","type":"text","text":{"preview_url":false,"body":"Olá"},"context":{"message_id":"wamid.Q"}}"#
        );
    }

    #[test]
    fn long_titles_are_cut() {
        let error = serde_json::json!({"message": "x".repeat(1000)});
        let title = error_title(&error).unwrap();
        assert_eq!(title.chars().count(), MAX_TITLE_CHARS);
        assert!(title.ends_with('…'));
    }

    #[test]
    fn codes_sent_as_strings_still_classify() {
        let body = br#"{"error":{"message":"slow down","code":"130429"}}"#;
        assert!(matches!(
            parse_send_response(400, None, body),
            SendOutcome::Transient {
                code: Some(130429),
                ..
            }
        ));
    }
}
