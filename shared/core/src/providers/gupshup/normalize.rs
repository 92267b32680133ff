//! A GupShup callback → [`InboundBatch`]: v2 `message` and `message-event` bodies, and v3
//! bodies, which are the Cloud API's shape with GupShup's ids beside WhatsApp's.
//!
//! Our sends are known by GupShup's id (the send's answer names no other). Events name it as
//! `id` (`enqueued`, `failed`) or `gsId` (the rest, for a week); from then on they name
//! WhatsApp's id alone. So every event that names both records WhatsApp's as the message's
//! alias, and a status finds its message by either.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::wire;
use crate::identity::ContactRef;
use crate::model::{
    Content, Direction, InboundBatch, InteractiveReply, Media, MessageAlias, NormalizedMessage,
    ProviderError, ReplyContext, StatusUpdate,
};
use crate::providers::{meta, Malformed};
use crate::status::DeliveryStatus;

pub fn normalize(
    body: &[u8],
    app_name: &str,
    received_at_ms: i64,
) -> Result<InboundBatch, Malformed> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Malformed(format!("body is not valid JSON: {e}")))?;
    if value.get("entry").is_some() {
        return v3(body, &value, received_at_ms);
    }
    let envelope: wire::Envelope = serde_json::from_value(value)
        .map_err(|e| Malformed(format!("body is not a GupShup callback: {e}")))?;
    let mut batch = InboundBatch::default();
    if let Some(other) = envelope
        .app
        .as_deref()
        .filter(|app| !app.eq_ignore_ascii_case(app_name))
    {
        batch
            .ignored
            .push(format!("app {other} is not this channel's"));
        return Ok(batch);
    }
    let at = envelope.timestamp.unwrap_or(received_at_ms);
    match envelope.kind.as_str() {
        "message" => match serde_json::from_value::<wire::Message>(envelope.payload) {
            Ok(message) => inbound(message, at, &mut batch),
            Err(e) => batch.unreadable.push(format!("a message: {e}")),
        },
        "message-event" => match serde_json::from_value::<wire::MessageEvent>(envelope.payload) {
            Ok(event) => message_event(event, at, &mut batch),
            Err(e) => batch.unreadable.push(format!("a message-event: {e}")),
        },
        // Opt-ins and -outs, billing and system events: nothing Ponte stores.
        other => batch.ignored.push(format!("type {other}")),
    }
    Ok(batch)
}

fn inbound(message: wire::Message, at: i64, batch: &mut InboundBatch) {
    let phone = message
        .sender
        .as_ref()
        .map(|s| s.phone.as_str())
        .or(message.source.as_deref())
        .filter(|p| !p.trim().is_empty());
    let Some(phone) = phone else {
        batch
            .ignored
            .push(format!("message {} names no sender", message.id));
        return;
    };
    let mut contact = ContactRef::whatsapp(Some(phone.trim()), None);
    contact.name = message.sender.as_ref().and_then(|s| s.name.clone());
    let content = match content(&message.kind, &message.payload) {
        Ok(Some(content)) => content,
        Ok(None) => {
            batch
                .ignored
                .push(format!("message {} of type {}", message.id, message.kind));
            return;
        }
        Err(e) => {
            batch
                .unreadable
                .push(format!("message {}: {e}", message.id));
            return;
        }
    };
    // Our own sends are stored under GupShup's id: a reply to one names it as `gsId`.
    let context = message.context.map(|c| ReplyContext {
        message_id: c.gs_id.or(c.id),
        ..ReplyContext::default()
    });
    batch.messages.push(NormalizedMessage {
        provider_message_id: message.id,
        direction: Direction::Inbound,
        contact,
        timestamp_ms: at,
        content,
        context: context.filter(|c| c.message_id.is_some()),
        referral: None,
        sender: None,
    });
}

fn read<T: DeserializeOwned>(payload: &Value) -> Result<T, serde_json::Error> {
    T::deserialize(payload)
}

/// The content of an inbound `type`; `None` for a type Ponte does not know.
fn content(kind: &str, payload: &Value) -> Result<Option<Content>, serde_json::Error> {
    let media = |payload: &Value| -> Result<Media, serde_json::Error> {
        let m: wire::Media = read(payload)?;
        Ok(Media {
            url: Some(m.url),
            mime_type: m.content_type,
            caption: m.caption.filter(|c| !c.is_empty()),
            filename: m.name,
            ..Media::default()
        })
    };
    Ok(Some(match kind {
        "text" => Content::Text {
            body: read::<wire::Text>(payload)?.text,
        },
        "image" => Content::Image(media(payload)?),
        "video" => Content::Video(media(payload)?),
        "audio" => Content::Audio(media(payload)?),
        "sticker" => Content::Sticker(media(payload)?),
        "file" => Content::Document(media(payload)?),
        "location" => {
            let place: wire::Location = read(payload)?;
            let (Some(latitude), Some(longitude)) =
                (coordinate(&place.latitude), coordinate(&place.longitude))
            else {
                return Ok(None);
            };
            Content::Location {
                latitude,
                longitude,
                name: place.name,
                address: place.address,
                url: None,
            }
        }
        "contact" => Content::Contacts {
            contacts: read::<wire::Contacts>(payload)?.contacts,
        },
        "button_reply" => {
            let choice: wire::Choice = read(payload)?;
            Content::Interactive {
                reply: InteractiveReply::ButtonReply {
                    id: choice_id(&choice),
                    title: choice_title(&choice),
                },
            }
        }
        "list_reply" => {
            let choice: wire::Choice = read(payload)?;
            Content::Interactive {
                reply: InteractiveReply::ListReply {
                    id: choice_id(&choice),
                    title: choice_title(&choice),
                    description: choice.description.clone(),
                },
            }
        }
        "quick_reply" => {
            let tap: wire::QuickReply = read(payload)?;
            let text = tap.text.unwrap_or_default();
            Content::Button {
                payload: tap.payload.unwrap_or_else(|| text.clone()),
                text,
            }
        }
        _ => return Ok(None),
    }))
}

/// What the business named the option when it sent it: its postback, else its id.
fn choice_id(choice: &wire::Choice) -> String {
    choice
        .postback_text
        .clone()
        .or_else(|| choice.id.clone())
        .unwrap_or_default()
}

fn choice_title(choice: &wire::Choice) -> String {
    choice
        .title
        .clone()
        .or_else(|| choice.reply.clone())
        .unwrap_or_default()
}

/// GupShup writes coordinates as numbers or as strings.
fn coordinate(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|c| c.is_finite())
}

/// GupShup's event names on Ponte's forward-only machine. `enqueued` says GupShup took the
/// send, which its answer already said.
fn delivery_status(kind: &str) -> Option<DeliveryStatus> {
    match kind {
        "sent" => Some(DeliveryStatus::Sent),
        "delivered" => Some(DeliveryStatus::Delivered),
        "read" => Some(DeliveryStatus::Read),
        "failed" => Some(DeliveryStatus::Failed),
        _ => None,
    }
}

fn message_event(event: wire::MessageEvent, at: i64, batch: &mut InboundBatch) {
    let whatsapp_id = match event.kind.as_str() {
        "enqueued" => event.payload.whatsapp_message_id.clone(),
        "failed" => None,
        _ => event.gs_id.is_some().then(|| event.id.clone()),
    };
    // GupShup's id when the event gives it, else the id it has: WhatsApp's, past a week.
    let ours = event.gs_id.clone().unwrap_or_else(|| event.id.clone());
    if let Some(alias) = whatsapp_id.filter(|wa| !wa.is_empty() && *wa != ours) {
        batch.aliases.push(MessageAlias {
            provider_message_id: ours.clone(),
            alias,
        });
    }
    if event.kind == "deleted" {
        batch.deletions.push(ours);
        return;
    }
    let Some(status) = delivery_status(&event.kind) else {
        if event.kind != "enqueued" {
            batch
                .ignored
                .push(format!("event {} of {ours}", event.kind));
        }
        return;
    };
    let error = (status == DeliveryStatus::Failed).then(|| ProviderError {
        code: event.payload.code.unwrap_or(0),
        title: event
            .payload
            .reason
            .clone()
            .filter(|r| !r.trim().is_empty())
            .unwrap_or_else(|| "GupShup reported the message failed".into()),
        detail: None,
    });
    batch.statuses.push(StatusUpdate {
        provider_message_id: ours,
        status,
        timestamp_ms: event.payload.ts.map_or(at, |s| s * 1000),
        recipient_id: event.destination,
        error,
    });
}

/// A v3 body is read as the Cloud API's; its statuses then name our sends by GupShup's
/// `gs_id`, with WhatsApp's id as the alias.
fn v3(body: &[u8], value: &Value, received_at_ms: i64) -> Result<InboundBatch, Malformed> {
    let mut batch =
        meta::parse_relayed_webhook(body, received_at_ms).map_err(|e| Malformed(e.to_string()))?;
    let gs_ids: Vec<wire::V3Status> = value
        .get("entry")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.get("changes")?.as_array())
        .flatten()
        .filter_map(|change| change.pointer("/value/statuses")?.as_array())
        .flatten()
        .filter_map(|status| serde_json::from_value(status.clone()).ok())
        .collect();
    for pair in &gs_ids {
        let Some(gs_id) = pair
            .gs_id
            .as_deref()
            .filter(|gs| !gs.is_empty() && *gs != pair.id)
        else {
            continue;
        };
        // `enqueued` too: Meta's reading ignores that status, but its ids still pair up.
        let alias = MessageAlias {
            provider_message_id: gs_id.to_string(),
            alias: pair.id.clone(),
        };
        if !batch.aliases.contains(&alias) {
            batch.aliases.push(alias);
        }
        for status in batch
            .statuses
            .iter_mut()
            .filter(|s| s.provider_message_id == pair.id)
        {
            status.provider_message_id = gs_id.to_string();
        }
    }
    for status in &mut batch.statuses {
        // GupShup's v3 times are milliseconds where Meta's are seconds.
        if status.timestamp_ms > MILLISECONDS_READ_AS_SECONDS {
            status.timestamp_ms /= 1000;
        }
    }
    Ok(batch)
}

/// A time past the year 5000 in milliseconds was milliseconds multiplied as if seconds.
const MILLISECONDS_READ_AS_SECONDS: i64 = 100_000_000_000_000;
