//! The Send API: `POST {graph}/{page_id}/messages` with the page access token, answered
//! `{"recipient_id":"…","message_id":"m_…"}` (a sender action names no message) or Graph's
//! `{"error":{"message","type","code","error_subcode","fbtrace_id"}}`.
//!
//! Reference: <https://developers.facebook.com/docs/messenger-platform/reference/send-api/> and
//! the sender actions guide (`react`, `unreact`, `mark_seen`).

use serde_json::{json, Map, Value};

use super::config::{MessengerConfig, MessengerSecrets};
use crate::identity::stored_identity;
use crate::outbound::OutboundBody;
use crate::providers::meta::classify_failure;
use crate::providers::{Answer, HttpRequest, PreparedCall, ResolvedRefs, SendOutcome};

/// Every call goes to `/{page_id}/messages`.
pub const MESSAGES: &str = "messages";

/// A Facebook user by their page-scoped id, an Instagram user by their Instagram-scoped id.
pub fn address(identities: &[&str]) -> Option<String> {
    stored_identity(identities, "psid")
        .or_else(|| stored_identity(identities, "igsid"))
        .map(str::to_string)
}

fn attachment(kind: &str, link: &str) -> Value {
    json!({"attachment": {"type": kind, "payload": {"url": link, "is_reusable": true}}})
}

/// The documented body for `body`. Attachments take no caption or file name: Meta shows the file
/// as it is. A reply names the quoted message's `mid` in `reply_to`, as the Page Messages
/// reference lists it beside `message`.
pub fn prepare_send(to: &str, body: &OutboundBody, refs: &ResolvedRefs) -> PreparedCall {
    let mut fields = Map::new();
    fields.insert("recipient".into(), json!({ "id": to }));
    let message = match body {
        OutboundBody::Text { body, .. } => Some(json!({ "text": body })),
        OutboundBody::Image { link, .. } | OutboundBody::Sticker { link } => {
            Some(attachment("image", link))
        }
        OutboundBody::Audio { link } => Some(attachment("audio", link)),
        OutboundBody::Video { link, .. } => Some(attachment("video", link)),
        OutboundBody::Document { link, .. } => Some(attachment("file", link)),
        OutboundBody::Reaction { emoji, .. } => {
            let message_id = refs
                .reaction_to
                .map(|m| m.provider_message_id)
                .unwrap_or_default();
            // An empty emoji takes the reaction back, as it does on WhatsApp.
            let (action, payload) = if emoji.is_empty() {
                ("unreact", json!({ "message_id": message_id }))
            } else {
                (
                    "react",
                    json!({ "message_id": message_id, "reaction": emoji }),
                )
            };
            fields.insert("sender_action".into(), json!(action));
            fields.insert("payload".into(), payload);
            None
        }
        // Refused before this by the capabilities; kept total.
        OutboundBody::Location { .. } | OutboundBody::Template { .. } => {
            Some(json!({ "text": body.type_name() }))
        }
    };
    if let Some(message) = message {
        fields.insert("messaging_type".into(), json!("RESPONSE"));
        fields.insert("message".into(), message);
        if let Some(quoted) = refs.reply_to {
            fields.insert(
                "reply_to".into(),
                json!({ "mid": quoted.provider_message_id }),
            );
        }
    }
    PreparedCall {
        endpoint: MESSAGES.into(),
        body: Value::Object(fields).to_string(),
    }
}

/// Shows the contact that the page has seen their messages.
pub fn mark_seen(to: &str) -> PreparedCall {
    PreparedCall {
        endpoint: MESSAGES.into(),
        body: json!({"recipient": {"id": to}, "sender_action": "mark_seen"}).to_string(),
    }
}

/// The token travels in the `Authorization` header, never in the URL, so logs never show it.
pub fn request(
    config: &MessengerConfig,
    secrets: &MessengerSecrets,
    call: &PreparedCall,
) -> HttpRequest {
    HttpRequest {
        method: "POST",
        url: format!(
            "{}/{}/{}",
            config.graph_base_url, config.page_id, call.endpoint
        ),
        headers: vec![
            (
                "Authorization",
                format!("Bearer {}", secrets.page_access_token),
            ),
            ("Content-Type", "application/json".to_string()),
        ],
        body: call.body.clone(),
        secret_in_url: false,
    }
}

/// Accepted with Meta's `message_id`; a sender action is answered with only the recipient.
/// Failures are classified as for the Cloud API: 429, 5xx and Graph's throttling and temporary
/// codes are retried, anything else (outside the 24-hour window: code 10 with subcode 2018278,
/// or 551 for a person not available) fails with Meta's message.
pub fn classify_send(answer: &Answer) -> SendOutcome {
    let json = answer.json();
    let has_error = json
        .as_ref()
        .and_then(|j| j.get("error"))
        .is_some_and(Value::is_object);
    if answer.is_success() && !has_error {
        let id = json
            .as_ref()
            .and_then(|j| j.get("message_id"))
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty());
        return match id {
            Some(id) => SendOutcome::Accepted {
                provider_message_id: id.to_string(),
                recipient: None,
            },
            None => SendOutcome::AcceptedUntracked,
        };
    }
    classify_failure(answer.status, answer.retry_after, json.as_ref())
}

/// `Ok` when Meta took the sender action.
pub fn classify_sender_action(answer: &Answer) -> Result<(), SendOutcome> {
    match classify_send(answer) {
        SendOutcome::Accepted { .. } | SendOutcome::AcceptedUntracked => Ok(()),
        refused => Err(refused),
    }
}
