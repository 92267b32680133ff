//! A Twilio webhook (form-encoded) → [`InboundBatch`]: an incoming SMS, MMS or WhatsApp
//! message, or a status callback for one of our sends.
//!
//! Format: <https://www.twilio.com/docs/messaging/guides/webhook-request>. Choices where the
//! documentation leaves room:
//! - Twilio puts no timestamp in either kind of request: the arrival time stands in.
//! - An MMS carries up to ten files (`MediaUrl0..9`) under one `MessageSid`; each becomes a
//!   message of its own (`{sid}`, `{sid}-1`, …), the text going with the first as its caption.
//! - `queued`, `sending`, `accepted` and `scheduled` are not taken: they say Twilio has not yet
//!   handed the message on, which is no news beyond Ponte's own `queued`.

use serde_json::{Map, Value};

use super::config::{strip_prefix_ignore_case, WHATSAPP_PREFIX};
use super::errors::describe;
use crate::identity::{ContactRef, PhoneNumber};
use crate::model::{
    Content, Direction, InboundBatch, Media, NormalizedMessage, ProviderError, ReplyContext,
    StatusUpdate,
};
use crate::status::DeliveryStatus;

/// Twilio documents at most ten attachments per message.
const MAX_MEDIA: usize = 10;

/// A form body's parameters, in order, repeated names kept.
pub fn params(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

struct Form<'a>(&'a [(String, String)]);

impl Form<'_> {
    /// A parameter's value, `None` when absent or blank.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }

    fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

pub fn normalize(body: &[u8], received_at_ms: i64) -> InboundBatch {
    let pairs = params(body);
    let form = Form(&pairs);
    let mut batch = InboundBatch::default();
    let Some(sid) = ["MessageSid", "SmsMessageSid", "SmsSid"]
        .into_iter()
        .find_map(|name| form.get(name))
    else {
        batch.ignored.push("a request naming no MessageSid".into());
        return batch;
    };
    // An inbound message says `received` in `SmsStatus` (and `MessageStatus`, when present);
    // a status callback names the state of one of our sends.
    let status = form
        .get("MessageStatus")
        .or_else(|| form.get("SmsStatus"))
        .map(str::to_ascii_lowercase);
    match status.as_deref() {
        None | Some("received" | "receiving") => inbound(&form, sid, received_at_ms, &mut batch),
        Some(status) => status_callback(&form, sid, status, received_at_ms, &mut batch),
    }
    batch
}

fn inbound(form: &Form, sid: &str, received_at_ms: i64, batch: &mut InboundBatch) {
    let Some(from) = form.get("From") else {
        batch.ignored.push(format!("message {sid} names no sender"));
        return;
    };
    let Some(contact) = contact(form, from) else {
        batch
            .ignored
            .push(format!("message {sid} from {from:?}: not a phone number"));
        return;
    };
    let context = reply_context(form);
    let referral = referral(form);
    let message = |id: String, content: Content| NormalizedMessage {
        provider_message_id: id,
        direction: Direction::Inbound,
        contact: contact.clone(),
        timestamp_ms: received_at_ms,
        content,
        context: context.clone(),
        referral: referral.clone(),
        sender: None,
    };
    let media = attachments(form);
    if media.is_empty() {
        batch.messages.push(message(sid.to_string(), content(form)));
        return;
    }
    for (n, content) in media.into_iter().enumerate() {
        let id = if n == 0 {
            sid.to_string()
        } else {
            format!("{sid}-{n}")
        };
        batch.messages.push(message(id, content));
    }
}

/// The sender, through their phone number like on every channel, so one person writing by
/// SMS and by WhatsApp is one contact. WhatsApp adds `WaId` (its own id, which for an older
/// Brazilian number lacks the ninth digit) and `ProfileName`.
fn contact(form: &Form, from: &str) -> Option<ContactRef> {
    let (whatsapp, number) = match strip_prefix_ignore_case(from, WHATSAPP_PREFIX) {
        Some(number) => (true, number),
        None => (false, from),
    };
    let phone = PhoneNumber::parse(number).ok();
    let mut contact = if whatsapp {
        let wa_id = form
            .get("WaId")
            .map(str::to_string)
            .or_else(|| phone.as_ref().map(|p| p.digits().to_string()));
        ContactRef::whatsapp(wa_id.as_deref(), None)
    } else {
        ContactRef::default()
    };
    if let Some(phone) = phone {
        contact.push(phone.identity_key());
    }
    if contact.keys().is_empty() {
        return None;
    }
    contact.name = form.get("ProfileName").map(str::to_string);
    Some(contact)
}

/// What a message without attachments says: a shared location, a tapped button, or text.
fn content(form: &Form) -> Content {
    let coordinate = |name| form.get(name).and_then(|v| v.parse::<f64>().ok());
    if let (Some(latitude), Some(longitude)) = (coordinate("Latitude"), coordinate("Longitude")) {
        return Content::Location {
            latitude,
            longitude,
            name: form.get("Label").map(str::to_string),
            address: form.get("Address").map(str::to_string),
            url: None,
        };
    }
    if form.get("ButtonPayload").is_some() || form.get("ButtonText").is_some() {
        return Content::Button {
            payload: form.get("ButtonPayload").unwrap_or_default().to_string(),
            text: form
                .get("ButtonText")
                .or_else(|| form.get("Body"))
                .unwrap_or_default()
                .to_string(),
        };
    }
    match form.get("Body") {
        Some(body) => Content::Text {
            body: body.to_string(),
        },
        None => Content::Unsupported {
            original_type: form.get("MessageType").unwrap_or("empty").to_string(),
            errors: Vec::new(),
        },
    }
}

/// `MediaUrl{N}` with `MediaContentType{N}`, the text as the first one's caption.
fn attachments(form: &Form) -> Vec<Content> {
    let declared = form
        .get("NumMedia")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    let sticker = form
        .get("MessageType")
        .is_some_and(|t| t.eq_ignore_ascii_case("sticker"));
    (0..declared.clamp(1, MAX_MEDIA))
        .filter_map(|n| {
            let url = form.get(&format!("MediaUrl{n}"))?;
            let mime = form.get(&format!("MediaContentType{n}"));
            let media = Media {
                url: Some(url.to_string()),
                mime_type: mime.map(str::to_string),
                caption: (n == 0)
                    .then(|| form.get("Body"))
                    .flatten()
                    .map(str::to_string),
                ..Media::default()
            };
            let kind = mime.unwrap_or_default().to_ascii_lowercase();
            Some(match kind.split('/').next().unwrap_or_default() {
                _ if sticker => Content::Sticker(media),
                "image" => Content::Image(media),
                "audio" => Content::Audio(media),
                "video" => Content::Video(media),
                _ => Content::Document(media),
            })
        })
        .collect()
}

fn reply_context(form: &Form) -> Option<ReplyContext> {
    let context = ReplyContext {
        message_id: form.get("OriginalRepliedMessageSid").map(str::to_string),
        from: form.get("OriginalRepliedMessageSender").map(str::to_string),
        forwarded: form.flag("Forwarded"),
        frequently_forwarded: form.flag("FrequentlyForwarded"),
    };
    (context != ReplyContext::default()).then_some(context)
}

/// A click-to-WhatsApp ad's `Referral*` fields, as Twilio named them.
fn referral(form: &Form) -> Option<Value> {
    let fields: Map<String, Value> = form
        .0
        .iter()
        .filter(|(key, value)| key.starts_with("Referral") && !value.trim().is_empty())
        .map(|(key, value)| (key.clone(), Value::String(value.clone())))
        .collect();
    (!fields.is_empty()).then_some(Value::Object(fields))
}

/// Twilio's message statuses on Ponte's forward-only machine.
pub fn delivery_status(status: &str) -> Option<DeliveryStatus> {
    match status {
        "sent" => Some(DeliveryStatus::Sent),
        "delivered" => Some(DeliveryStatus::Delivered),
        "read" => Some(DeliveryStatus::Read),
        "undelivered" | "failed" | "canceled" => Some(DeliveryStatus::Failed),
        _ => None,
    }
}

fn status_callback(
    form: &Form,
    sid: &str,
    name: &str,
    received_at_ms: i64,
    batch: &mut InboundBatch,
) {
    let Some(status) = delivery_status(name) else {
        batch.ignored.push(format!("status {name} of {sid}"));
        return;
    };
    let code = form
        .get("ErrorCode")
        .and_then(|c| c.parse::<i64>().ok())
        .filter(|c| *c != 0);
    let error = (status == DeliveryStatus::Failed).then(|| ProviderError {
        code: code.unwrap_or(0),
        title: form
            .get("ErrorMessage")
            .map(str::to_string)
            .or_else(|| code.and_then(describe).map(str::to_string))
            .unwrap_or_else(|| format!("Twilio reported the message {name}")),
        detail: code.map(|c| format!("https://www.twilio.com/docs/api/errors/{c}")),
    });
    batch.statuses.push(StatusUpdate {
        provider_message_id: sid.to_string(),
        status,
        timestamp_ms: received_at_ms,
        recipient_id: None,
        error,
    });
}
