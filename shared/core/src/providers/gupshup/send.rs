//! Sending through GupShup's WhatsApp API: one form-encoded `POST /wa/api/v1/msg` whose
//! `message` field holds the message as JSON, with the `apikey` header.
//!
//! Format: <https://docs.gupshup.io/docs/session-messages>.

use serde_json::{json, Value};

use super::config::{GupshupConfig, GupshupSecrets};
use crate::identity::stored_identity;
use crate::outbound::OutboundBody;
use crate::providers::{
    classify_http, Answer, HttpRequest, PreparedCall, ResolvedRefs, SendOutcome,
};

/// The one endpoint Ponte calls, under the base URL.
pub const MESSAGES: &str = "wa/api/v1/msg";
const FORM: &str = "application/x-www-form-urlencoded";

/// GupShup addresses a contact by WhatsApp's id for them (which for an older Brazilian number
/// lacks the ninth digit), else by their number, as digits.
pub fn address(identities: &[&str]) -> Option<String> {
    stored_identity(identities, "wa")
        .filter(|wa| wa.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
        .or_else(|| {
            stored_identity(identities, "phone")
                .map(|phone| phone.trim_start_matches('+').to_string())
        })
}

/// The `message` field for `body`. Templates are GupShup template ids on another endpoint and
/// are refused before they get here (no `templates` capability); should one slip through, its
/// name goes out as text.
fn message(body: &OutboundBody, refs: &ResolvedRefs) -> Value {
    match body {
        OutboundBody::Text { body, preview_url } => {
            json!({"type": "text", "text": body, "previewUrl": preview_url})
        }
        OutboundBody::Image { link, caption } => {
            let mut image = json!({"type": "image", "originalUrl": link, "previewUrl": link});
            if let Some(caption) = caption {
                image["caption"] = json!(caption);
            }
            image
        }
        OutboundBody::Video { link, caption } => {
            let mut video = json!({"type": "video", "url": link});
            if let Some(caption) = caption {
                video["caption"] = json!(caption);
            }
            video
        }
        OutboundBody::Audio { link } => json!({"type": "audio", "url": link}),
        OutboundBody::Sticker { link } => json!({"type": "sticker", "url": link}),
        OutboundBody::Document {
            link,
            caption,
            filename,
        } => {
            let mut file = json!({"type": "file", "url": link});
            if let Some(filename) = filename {
                file["filename"] = json!(filename);
            }
            if let Some(caption) = caption {
                file["caption"] = json!(caption);
            }
            file
        }
        OutboundBody::Location {
            latitude,
            longitude,
            name,
            address,
        } => {
            let mut place =
                json!({"type": "location", "latitude": latitude, "longitude": longitude});
            if let Some(name) = name {
                place["name"] = json!(name);
            }
            if let Some(address) = address {
                place["address"] = json!(address);
            }
            place
        }
        OutboundBody::Reaction { emoji, .. } => json!({
            "type": "reaction",
            "msgId": refs.reaction_to.map(|r| r.provider_message_id).unwrap_or_default(),
            "emoji": emoji,
        }),
        OutboundBody::Template { name, .. } => json!({"type": "text", "text": name}),
    }
}

/// The form that sends `body` to `to` from the channel's number and app.
pub fn prepare_send(
    config: &GupshupConfig,
    to: &str,
    body: &OutboundBody,
    refs: &ResolvedRefs,
) -> PreparedCall {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("channel", "whatsapp");
    form.append_pair("source", &config.source);
    form.append_pair("destination", to);
    form.append_pair("src.name", &config.app_name);
    form.append_pair("message", &message(body, refs).to_string());
    PreparedCall {
        endpoint: MESSAGES.to_string(),
        body: form.finish(),
    }
}

pub fn request(
    config: &GupshupConfig,
    secrets: &GupshupSecrets,
    call: &PreparedCall,
) -> HttpRequest {
    HttpRequest {
        method: "POST",
        url: format!("{}/{}", config.base_url, call.endpoint),
        headers: vec![
            ("apikey", secrets.api_key.clone()),
            ("Content-Type", FORM.to_string()),
            ("Accept", "application/json".to_string()),
        ],
        body: call.body.clone(),
        secret_in_url: false,
    }
}

/// `{"status":"submitted","messageId":"…"}` is accepted under GupShup's id, which its events
/// name. Errors are `{"status":"error","message":"…"}`: 429 and 5xx are retried, the rest fail
/// with GupShup's reason.
pub fn classify_send(answer: &Answer) -> SendOutcome {
    let json = answer.json();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|j| j.get(name))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if !answer.is_success() {
        return classify_http(answer, "GupShup refused the message");
    }
    match (field("status"), field("messageId")) {
        (Some("error"), _) => SendOutcome::Permanent {
            code: Some(i64::from(answer.status)),
            title: field("message")
                .unwrap_or("GupShup refused the message")
                .to_string(),
        },
        (_, Some(id)) => SendOutcome::Accepted {
            provider_message_id: id.to_string(),
            recipient: None,
        },
        // GupShup may have taken it, and no event could be matched to it: retrying could send
        // it twice.
        (_, None) => SendOutcome::Permanent {
            code: None,
            title: "GupShup answered without a messageId; not retried to avoid a duplicate".into(),
        },
    }
}
