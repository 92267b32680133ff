//! Meta webhook body → [`InboundBatch`].

use std::fmt;

use super::wire;
use crate::identity::ContactRef;
use crate::model::{
    Content, Direction, InboundBatch, InteractiveReply, Media, MessageEdit, NormalizedMessage,
    ProviderError, ReplyContext, StatusUpdate,
};
use crate::providers::lenient::Lenient;
use crate::status::DeliveryStatus;

/// Why a signed body could not be read as a Meta webhook. Answered with 400: retrying the same
/// bytes would fail the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    NotJson(String),
    NotMetaShape(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson(e) => write!(f, "body is not valid JSON: {e}"),
            Self::NotMetaShape(e) => write!(f, "body is not a WhatsApp Cloud API webhook: {e}"),
        }
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    /// What was wrong, without the words that name the whole body.
    fn reason(&self) -> &str {
        match self {
            Self::NotJson(reason) | Self::NotMetaShape(reason) => reason,
        }
    }
}

/// Normalizes every `entry[].changes[]` of one delivery. Events for another phone number than
/// `phone_number_id` (one Meta app can post every number's events to one URL) are ignored, as are
/// fields Ponte does not act on. `received_at_ms` stands in for a missing provider timestamp.
pub fn parse_webhook(
    body: &[u8],
    phone_number_id: &str,
    received_at_ms: i64,
) -> Result<InboundBatch, ParseError> {
    parse_webhook_for(body, Some(phone_number_id), received_at_ms)
}

/// Like [`parse_webhook`], for a relay that posts Meta's shape for one number only and may
/// name the number by an id of its own (GupShup's v3 callbacks): every number's events are
/// read.
pub fn parse_relayed_webhook(body: &[u8], received_at_ms: i64) -> Result<InboundBatch, ParseError> {
    parse_webhook_for(body, None, received_at_ms)
}

fn parse_webhook_for(
    body: &[u8],
    phone_number_id: Option<&str>,
    received_at_ms: i64,
) -> Result<InboundBatch, ParseError> {
    let webhook: wire::Webhook = serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            ParseError::NotMetaShape(e.to_string())
        } else {
            ParseError::NotJson(e.to_string())
        }
    })?;
    let mut batch = InboundBatch::default();
    if let Some(object) = webhook
        .object
        .as_deref()
        .filter(|o| *o != "whatsapp_business_account")
    {
        batch.ignored.push(format!("object {object}"));
        return Ok(batch);
    }
    for change in webhook.entry.iter().flat_map(|e| &e.changes) {
        match (change.field.as_str(), change.value) {
            ("messages" | "smb_message_echoes", Some(raw)) => {
                // One change that cannot be read costs only itself.
                match serde_json::from_str::<wire::MessagesValue>(raw.get()) {
                    Ok(value) => {
                        normalize_value(value, phone_number_id, received_at_ms, &mut batch)
                    }
                    Err(e) => batch
                        .unreadable
                        .push(format!("a change of field {}: {e}", change.field)),
                }
            }
            (field, _) => batch.ignored.push(format!("field {field}")),
        }
    }
    Ok(batch)
}

fn normalize_value(
    value: wire::MessagesValue,
    phone_number_id: Option<&str>,
    received_at_ms: i64,
    batch: &mut InboundBatch,
) {
    if let Some(other) = value
        .metadata
        .as_ref()
        .and_then(|m| m.phone_number_id.as_deref())
        .filter(|id| phone_number_id.is_some_and(|ours| ours != *id))
    {
        batch
            .ignored
            .push(format!("phone_number_id {other} is not this channel's"));
        return;
    }
    for error in &value.errors {
        batch.ignored.push(format!("error {}", error.code));
    }
    let contacts = &value.contacts;
    let messages = value.messages.into_iter().map(|m| (m, Direction::Inbound));
    let echoes = value
        .message_echoes
        .into_iter()
        .map(|m| (m, Direction::Outbound));
    for (message, direction) in messages.chain(echoes) {
        let message = match message {
            Lenient::Read(message) => message,
            Lenient::Unreadable(reason) => {
                batch.unreadable.push(format!("a message: {reason}"));
                continue;
            }
        };
        let contact = match direction {
            Direction::Inbound => contact_for(
                contacts,
                message.from.as_deref(),
                message.from_user_id.as_deref(),
            ),
            Direction::Outbound => contact_for(
                contacts,
                message.to.as_deref(),
                message.to_user_id.as_deref(),
            ),
        };
        match normalize_message(message, direction, contact, received_at_ms) {
            Ok(normalized) => {
                apply_in_place(&normalized, batch);
                batch.messages.push(normalized);
            }
            Err(e) => batch.unreadable.push(format!("a message: {}", e.reason())),
        }
    }
    for status in value.statuses {
        let status = match status {
            Lenient::Read(status) => status,
            Lenient::Unreadable(reason) => {
                batch.unreadable.push(format!("a status: {reason}"));
                continue;
            }
        };
        // `queued` and `unknown` are Ponte's own words, never a provider's.
        match DeliveryStatus::parse(&status.status).filter(|s| s.rank() > 0) {
            Some(delivery) => batch.statuses.push(StatusUpdate {
                provider_message_id: status.id,
                status: delivery,
                timestamp_ms: status.timestamp.map_or(received_at_ms, |s| s * 1000),
                recipient_id: status.recipient_id,
                error: status.errors.into_iter().next().map(provider_error),
            }),
            None => batch.ignored.push(format!("status {}", status.status)),
        }
    }
}

/// An edit or a revoke is kept as the event it is, and applied to the message it names as other
/// providers' edits and deletions are: the original shows its new text (and a search finds it by
/// that), or is marked deleted.
fn apply_in_place(message: &NormalizedMessage, batch: &mut InboundBatch) {
    match &message.content {
        Content::Edit {
            original_message_id,
            content,
        } if !matches!(**content, Content::Unsupported { .. }) => batch.edits.push(MessageEdit {
            provider_message_id: original_message_id.clone(),
            content: (**content).clone(),
            edited_at_ms: message.timestamp_ms,
        }),
        Content::Revoke {
            original_message_id,
        } => batch.deletions.push(original_message_id.clone()),
        _ => {}
    }
}

/// The other party, with the profile that `value.contacts[]` gives for them.
fn contact_for(
    contacts: &[wire::Contact],
    wa_id: Option<&str>,
    user_id: Option<&str>,
) -> ContactRef {
    let matching = contacts
        .iter()
        .find(|c| {
            (wa_id.is_some() && c.wa_id.as_deref() == wa_id)
                || (user_id.is_some() && c.user_id.as_deref() == user_id)
        })
        // A single profile with no id to match it by (username users) is the sender's.
        .or_else(|| (contacts.len() == 1 && wa_id.is_none()).then(|| &contacts[0]));
    let profile = matching.and_then(|c| c.profile.as_ref());
    let wa_id = wa_id.or_else(|| matching.and_then(|c| c.wa_id.as_deref()));
    let user_id = user_id.or_else(|| matching.and_then(|c| c.user_id.as_deref()));
    let mut contact = ContactRef::whatsapp(wa_id, user_id);
    contact.name = profile.and_then(|p| p.name.clone());
    contact.username = profile.and_then(|p| p.username.clone());
    contact
}

fn normalize_message(
    message: wire::Message,
    direction: Direction,
    contact: ContactRef,
    received_at_ms: i64,
) -> Result<NormalizedMessage, ParseError> {
    let provider_message_id = message
        .id
        .clone()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ParseError::NotMetaShape("a message has no id".to_string()))?;
    let context = message.context.as_ref().map(|c| ReplyContext {
        message_id: c.id.clone(),
        from: c.from.clone(),
        forwarded: c.forwarded,
        frequently_forwarded: c.frequently_forwarded,
    });
    let timestamp_ms = message.timestamp.map_or(received_at_ms, |s| s * 1000);
    let referral = message.referral.clone();
    Ok(NormalizedMessage {
        provider_message_id,
        direction,
        contact,
        timestamp_ms,
        content: content_of(message),
        context,
        referral,
        sender: None,
    })
}

fn media(m: wire::Media) -> Media {
    Media {
        id: m.id,
        url: m.url,
        mime_type: m.mime_type,
        sha256: m.sha256,
        caption: m.caption,
        filename: m.filename,
        voice: m.voice,
        animated: m.animated,
        inline_base64: None,
    }
}

fn provider_error(e: wire::Error) -> ProviderError {
    ProviderError {
        code: e.code,
        title: e.title.or(e.message.clone()).unwrap_or_default(),
        detail: e.error_data.and_then(|d| d.details).or(e.message),
    }
}

/// The content a message carries. A type Ponte does not model, or a typed message without its
/// object, becomes `Unsupported` with the provider's errors: kept, never dropped.
fn content_of(mut m: wire::Message) -> Content {
    let kind = m.kind.take().unwrap_or_default();
    let content = match kind.as_str() {
        "text" => m.text.take().map(|t| Content::Text { body: t.body }),
        "image" => m.image.take().map(|x| Content::Image(media(x))),
        "audio" => m.audio.take().map(|x| Content::Audio(media(x))),
        "video" => m.video.take().map(|x| Content::Video(media(x))),
        "document" => m.document.take().map(|x| Content::Document(media(x))),
        "sticker" => m.sticker.take().map(|x| Content::Sticker(media(x))),
        "location" => m.location.take().map(|l| Content::Location {
            latitude: l.latitude,
            longitude: l.longitude,
            name: l.name,
            address: l.address,
            url: l.url,
        }),
        "contacts" => m
            .contacts
            .take()
            .map(|contacts| Content::Contacts { contacts }),
        "interactive" => m.interactive.take().and_then(interactive),
        "button" => m.button.take().map(|b| Content::Button {
            payload: b.payload,
            text: b.text,
        }),
        "reaction" => m.reaction.take().map(|r| Content::Reaction {
            message_id: r.message_id,
            emoji: r.emoji.filter(|e| !e.is_empty()),
        }),
        "order" => m.order.take().map(|order| Content::Order { order }),
        "system" => m.system.take().map(|s| Content::System {
            body: s.body,
            kind: s.kind,
        }),
        "revoke" => m.revoke.take().map(|r| Content::Revoke {
            original_message_id: r.original_message_id,
        }),
        "edit" => m.edit.take().map(|e| Content::Edit {
            original_message_id: e.original_message_id,
            content: Box::new(e.message.map_or_else(
                || Content::Unsupported {
                    original_type: "edit".into(),
                    errors: Vec::new(),
                },
                |inner| content_of(*inner),
            )),
        }),
        _ => None,
    };
    content.unwrap_or_else(|| Content::Unsupported {
        original_type: match (kind.as_str(), m.unsupported.and_then(|u| u.kind)) {
            ("unsupported", Some(inner)) => inner,
            ("", _) => "unknown".to_string(),
            (other, _) => other.to_string(),
        },
        errors: m.errors.into_iter().map(provider_error).collect(),
    })
}

fn interactive(i: wire::Interactive) -> Option<Content> {
    let reply = match i.kind.as_deref()? {
        "button_reply" => i.button_reply.map(|r| InteractiveReply::ButtonReply {
            id: r.id,
            title: r.title,
        }),
        "list_reply" => i.list_reply.map(|r| InteractiveReply::ListReply {
            id: r.id,
            title: r.title,
            description: r.description,
        }),
        "nfm_reply" => i.nfm_reply.map(|f| InteractiveReply::FlowReply {
            name: f.name,
            body: f.body,
            // The answer is a JSON document in a string; keep it as text if it is not JSON.
            response: f
                .response_json
                .map(|s| serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s)))
                .unwrap_or(serde_json::Value::Null),
        }),
        "call_permission_reply" => {
            i.call_permission_reply
                .map(|c| InteractiveReply::CallPermission {
                    response: c.response,
                })
        }
        _ => None,
    }?;
    Some(Content::Interactive { reply })
}
