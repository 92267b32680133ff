//! Sending through Twilio's Messages API: a form-encoded `POST` with basic auth, and Twilio's
//! answers classified.
//!
//! Format: <https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource>.

use base64::Engine;
use serde_json::Value;

use super::config::{TwilioConfig, TwilioSecrets, WHATSAPP_PREFIX};
use super::errors::{describe, is_transient};
use crate::identity::stored_identity;
use crate::outbound::OutboundBody;
use crate::providers::seam::truncate;
use crate::providers::{Answer, HttpRequest, PreparedCall, SendOutcome};

/// The one endpoint Ponte calls, under `/2010-04-01/Accounts/{account_sid}/`.
pub const MESSAGES: &str = "Messages.json";
pub const FORM: &str = "application/x-www-form-urlencoded";
const MAX_REASON_CHARS: usize = 300;

/// How Twilio addresses a contact on this channel: `whatsapp:+E164` on WhatsApp (WhatsApp's
/// own id first, as it reaches an old Brazilian number), `+E164` by SMS.
pub fn address(config: &TwilioConfig, identities: &[&str]) -> Option<String> {
    let phone = stored_identity(identities, "phone").map(str::to_string);
    let wa = stored_identity(identities, "wa")
        .filter(|wa| wa.bytes().all(|b| b.is_ascii_digit()))
        .map(|wa| format!("+{wa}"));
    if config.is_whatsapp() {
        wa.or(phone)
            .map(|number| format!("{WHATSAPP_PREFIX}{number}"))
    } else {
        phone.or(wa)
    }
}

/// The form that sends `body` to `to`. Twilio has no quoting, reactions, locations or templates
/// by these parameters; the capability check refuses those before they get here, and should
/// one slip through it goes out as plain text the contact can read.
pub fn prepare_send(
    config: &TwilioConfig,
    to: &str,
    body: &OutboundBody,
    status_callback: Option<&str>,
) -> PreparedCall {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("To", to);
    form.append_pair("From", &config.from);
    let (text, link): (Option<String>, Option<&str>) = match body {
        OutboundBody::Text { body, .. } => (Some(body.clone()), None),
        OutboundBody::Image { link, caption } | OutboundBody::Video { link, caption } => {
            (caption.clone(), Some(link))
        }
        OutboundBody::Document { link, caption, .. } => (caption.clone(), Some(link)),
        OutboundBody::Audio { link } | OutboundBody::Sticker { link } => (None, Some(link)),
        OutboundBody::Location {
            latitude,
            longitude,
            name,
            address,
        } => {
            let place = [name.as_deref(), address.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            (
                Some(
                    format!("{place} https://maps.google.com/?q={latitude},{longitude}")
                        .trim()
                        .to_string(),
                ),
                None,
            )
        }
        OutboundBody::Reaction { emoji, .. } => (Some(emoji.clone()), None),
        OutboundBody::Template { name, .. } => (Some(name.clone()), None),
    };
    if let Some(text) = text.filter(|t| !t.is_empty()) {
        form.append_pair("Body", &text);
    }
    if let Some(link) = link {
        form.append_pair("MediaUrl", link);
    }
    if let Some(callback) = status_callback {
        form.append_pair("StatusCallback", callback);
    }
    PreparedCall {
        endpoint: MESSAGES.to_string(),
        body: form.finish(),
    }
}

/// `POST {base_url}/2010-04-01/Accounts/{account_sid}/{endpoint}` with the account SID and
/// auth token as basic auth.
pub fn request(config: &TwilioConfig, secrets: &TwilioSecrets, call: &PreparedCall) -> HttpRequest {
    HttpRequest {
        method: "POST",
        url: format!(
            "{}/2010-04-01/Accounts/{}/{}",
            config.base_url, config.account_sid, call.endpoint
        ),
        headers: vec![
            ("Authorization", basic_auth(config, secrets)),
            ("Content-Type", FORM.to_string()),
            ("Accept", "application/json".to_string()),
        ],
        body: call.body.clone(),
        secret_in_url: false,
    }
}

pub fn basic_auth(config: &TwilioConfig, secrets: &TwilioSecrets) -> String {
    let pair = format!("{}:{}", config.account_sid, secrets.auth_token);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// `201 {"sid":"SM…","status":"queued",…}` is accepted under its `sid`, which status callbacks
/// name. Errors are `{"code":21211,"message":"…","status":400}`: 429, 5xx and Twilio's
/// temporary codes are retried; the rest fail with Twilio's reason and code.
pub fn classify_send(answer: &Answer) -> SendOutcome {
    let json = answer.json();
    let field = |name: &str| json.as_ref().and_then(|j| j.get(name));
    if answer.is_success() {
        let sid = field("sid").and_then(Value::as_str).map(str::trim);
        return match sid.filter(|sid| !sid.is_empty()) {
            Some(sid) => SendOutcome::Accepted {
                provider_message_id: sid.to_string(),
                recipient: None,
            },
            // Twilio may have taken it, and no status could be matched to it: retrying could
            // send it twice.
            None => SendOutcome::Permanent {
                code: None,
                title: "Twilio answered without a message sid; not retried to avoid a duplicate"
                    .into(),
            },
        };
    }
    let code = field("code").and_then(Value::as_i64);
    let message = field("message")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|m| !m.is_empty());
    let title = message
        .map(str::to_string)
        .or_else(|| code.and_then(describe).map(str::to_string))
        .unwrap_or_else(|| format!("Twilio refused the message (HTTP {})", answer.status));
    let title = truncate(title, MAX_REASON_CHARS);
    let code = code.or(Some(i64::from(answer.status)));
    let transient = answer.status == 429
        || (500..600).contains(&answer.status)
        || code.is_some_and(is_transient);
    if transient {
        SendOutcome::Transient {
            code,
            title,
            retry_after_s: answer.retry_after_s(),
        }
    } else {
        SendOutcome::Permanent { code, title }
    }
}
