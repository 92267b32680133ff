//! `ReceivedCallback` → a [`NormalizedMessage`], a deletion, or a reason to ignore it.
//!
//! Choices where Z-API's documentation leaves room:
//! - `isEdit` and `isStatusReply` messages are ordinary messages. An edit arrives under the
//!   edited message's `messageId` (so Chatwoot's Z-API integration reads it), and the store,
//!   which keeps the first message of an id, keeps the original text; a status reply is the
//!   contact writing to the business about one of its status posts.
//! - A `notification` replaces the content. `REVOKE` (deleted for everyone) names the deleted
//!   message in `referenceMessageId` or, failing that, `messageId`; every other notification
//!   (group membership, missed calls, profile changes) is ignored with its name.

use serde_json::Value;

use super::normalize::timestamp_ms;
use super::wire::{MediaObject, Received};
use crate::identity::{avatar_url, ContactRef, IdentityKey, PhoneNumber};
use crate::model::{
    Content, Direction, InboundBatch, InteractiveReply, Media, NormalizedMessage, ReplyContext,
    Sender,
};

/// The kinds of chat a Z-API `phone` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chat {
    Person,
    Group,
    Broadcast,
    Newsletter,
}

impl Chat {
    fn of(message: &Received, phone: &str) -> Chat {
        if message.is_newsletter || phone.ends_with("@newsletter") {
            Chat::Newsletter
        } else if message.broadcast
            || phone.ends_with("-broadcast")
            || phone.ends_with("@broadcast")
        {
            Chat::Broadcast
        } else if message.is_group || phone.ends_with("-group") || phone.ends_with("@g.us") {
            Chat::Group
        } else {
            Chat::Person
        }
    }

    fn name(self) -> &'static str {
        match self {
            Chat::Person => "person",
            Chat::Group => "group",
            Chat::Broadcast => "broadcast",
            Chat::Newsletter => "newsletter",
        }
    }
}

pub fn normalize_received(
    message: Received,
    raw: &Value,
    include_groups: bool,
    received_at_ms: i64,
    batch: &mut InboundBatch,
) {
    let id = non_empty(message.message_id.as_deref()).map(str::to_string);
    let Some(phone) = non_empty(message.phone.as_deref()).map(str::to_string) else {
        let what = id.as_deref().unwrap_or("without messageId");
        batch
            .ignored
            .push(format!("ReceivedCallback {what} names no chat"));
        return;
    };
    let chat = Chat::of(&message, &phone);
    if chat != Chat::Person && !include_groups {
        batch.ignored.push(format!(
            "{} message {} in {phone}: this channel leaves out groups, broadcasts and newsletters",
            chat.name(),
            id.as_deref().unwrap_or("without messageId"),
        ));
        return;
    }
    if let Some(notification) = non_empty(message.notification.as_deref()) {
        if notification.eq_ignore_ascii_case("REVOKE") {
            match non_empty(message.reference_message_id.as_deref()).or(id.as_deref()) {
                Some(deleted) => batch.deletions.push(deleted.to_string()),
                None => batch
                    .ignored
                    .push(format!("REVOKE in {phone} names no message")),
            }
        } else {
            batch.ignored.push(format!("notification {notification}"));
        }
        return;
    }
    let Some(id) = id else {
        batch
            .ignored
            .push(format!("ReceivedCallback in {phone} without messageId"));
        return;
    };
    let direction = if message.from_me {
        Direction::Outbound
    } else {
        Direction::Inbound
    };
    let (contact, sender) = if chat == Chat::Person {
        (person(&message, &phone), None)
    } else {
        let mut group = ContactRef::default().with(IdentityKey::Group(phone.clone()));
        group.name = non_empty(message.chat_name.as_deref()).map(str::to_string);
        let sender = (!message.from_me).then(|| member(&message)).flatten();
        (group, sender)
    };
    if contact.keys().is_empty() {
        batch
            .ignored
            .push(format!("message {id}: chat {phone} is no WhatsApp id"));
        return;
    }
    let context = reply_context(&message);
    let timestamp_ms = timestamp_ms(message.momment.or(message.moment), received_at_ms);
    batch.messages.push(NormalizedMessage {
        provider_message_id: id,
        direction,
        contact,
        timestamp_ms,
        content: content_of(message, raw),
        context,
        referral: None,
        sender,
    });
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The other party of a one-to-one chat: phone, WhatsApp id and linked id, whichever Z-API gave.
fn person(message: &Received, phone: &str) -> ContactRef {
    let mut contact = ContactRef::default();
    if phone.ends_with("@lid") {
        contact.push(IdentityKey::Lid(phone.to_string()));
    } else {
        let digits = phone.split('@').next().unwrap_or_default();
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(number) = PhoneNumber::parse(digits) {
                contact.push(number.identity_key());
            }
            contact.push(IdentityKey::WhatsApp(digits.to_string()));
        }
    }
    // On a message the business sent, `senderLid` is the business's own id.
    let sender_lid = (!message.from_me)
        .then_some(message.sender_lid.as_deref())
        .flatten();
    let lid = [message.chat_lid.as_deref(), sender_lid]
        .into_iter()
        .filter_map(non_empty)
        .find(|lid| lid.ends_with("@lid"));
    if let Some(lid) = lid {
        contact.push(IdentityKey::Lid(lid.to_string()));
    }
    let sender_photo = (!message.from_me)
        .then_some(message.sender_photo.as_deref())
        .flatten();
    contact.avatar_url = avatar_url(message.photo.as_deref()).or_else(|| avatar_url(sender_photo));
    // A message the business sent carries the business's own name as `senderName`.
    if !message.from_me {
        let digits = phone.split('@').next().unwrap_or_default();
        contact.name = [message.sender_name.as_deref(), message.chat_name.as_deref()]
            .into_iter()
            .filter_map(non_empty)
            // Z-API fills the name with the number when it knows none.
            .find(|name| *name != digits)
            .map(str::to_string);
    }
    contact
}

/// The group member who wrote a message, when Z-API names them.
fn member(message: &Received) -> Option<Sender> {
    let phone = non_empty(message.participant_phone.as_deref());
    let lid = non_empty(message.participant_lid.as_deref());
    let id = phone.or(lid)?;
    Some(Sender {
        id: id.to_string(),
        phone: phone
            .and_then(|p| PhoneNumber::parse(p).ok())
            .map(|p| p.canonical().e164()),
        name: non_empty(message.sender_name.as_deref()).map(str::to_string),
    })
}

fn reply_context(message: &Received) -> Option<ReplyContext> {
    let quoted = non_empty(message.reference_message_id.as_deref()).map(str::to_string);
    (quoted.is_some() || message.forwarded).then(|| ReplyContext {
        message_id: quoted,
        forwarded: message.forwarded,
        ..ReplyContext::default()
    })
}

/// The content a message carries. What Ponte does not model, and a message whose content
/// WhatsApp has not delivered yet (`waitingMessage`), is kept as `Unsupported`, never dropped.
fn content_of(mut m: Received, raw: &Value) -> Content {
    if m.waiting_message {
        return unsupported("waiting_message");
    }
    let content = if let Some(text) = m.text.take() {
        text.message.map(|body| Content::Text { body })
    } else if let Some(image) = m.image.take() {
        Some(Content::Image(media(image.image_url.clone(), image)))
    } else if let Some(audio) = m.audio.take() {
        Some(Content::Audio(media(audio.audio_url.clone(), audio)))
    } else if let Some(video) = m.video.take() {
        Some(Content::Video(media(video.video_url.clone(), video)))
    } else if let Some(document) = m.document.take() {
        Some(Content::Document(media(
            document.document_url.clone(),
            document,
        )))
    } else if let Some(sticker) = m.sticker.take() {
        Some(Content::Sticker(media(
            sticker.sticker_url.clone(),
            sticker,
        )))
    } else if let Some(location) = m.location.take() {
        match (location.latitude, location.longitude) {
            (Some(latitude), Some(longitude)) => Some(Content::Location {
                latitude,
                longitude,
                name: owned(location.name),
                address: owned(location.address),
                url: owned(location.url),
            }),
            _ => None,
        }
    } else if let Some(contact) = m.contact.take().filter(|c| !c.is_null()) {
        Some(Content::Contacts {
            contacts: vec![contact],
        })
    } else if let Some(reaction) = m.reaction.take() {
        let reacted = reaction
            .referenced_message
            .and_then(|r| owned(r.message_id));
        reacted.map(|message_id| Content::Reaction {
            message_id,
            emoji: owned(reaction.value),
        })
    } else if let Some(button) = m.buttons_response_message.take() {
        Some(Content::Interactive {
            reply: InteractiveReply::ButtonReply {
                id: button.button_id.unwrap_or_default(),
                title: button.message.unwrap_or_default(),
            },
        })
    } else if let Some(row) = m.list_response_message.take() {
        Some(Content::Interactive {
            reply: InteractiveReply::ListReply {
                id: row.selected_row_id.unwrap_or_default(),
                title: row.title.unwrap_or_default(),
                description: owned(row.message),
            },
        })
    } else {
        None
    };
    content.unwrap_or_else(|| unsupported(kind_of(raw)))
}

/// Z-API's content fields, most specific first; the first one a message carries names a message
/// Ponte could not read.
const CONTENT_FIELDS: [&str; 28] = [
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contact",
    "reaction",
    "buttonsResponseMessage",
    "listResponseMessage",
    "poll",
    "pollVote",
    "hydratedTemplate",
    "buttonsMessage",
    "carouselMessage",
    "product",
    "order",
    "requestPayment",
    "sendPayment",
    "pixKeyMessage",
    "reviewAndPay",
    "reviewOrder",
    "newsletterAdminInvite",
    "pinMessage",
    "event",
    "eventResponse",
    "statusImage",
];

fn kind_of(raw: &Value) -> &'static str {
    CONTENT_FIELDS
        .into_iter()
        .find(|field| raw.get(field).is_some_and(|v| !v.is_null()))
        .unwrap_or("unknown")
}

fn unsupported(original_type: &str) -> Content {
    Content::Unsupported {
        original_type: original_type.to_string(),
        errors: Vec::new(),
    }
}

fn owned(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A link to the media and what describes it. Z-API can inline a file as a `data:` URL; those
/// bytes must not be stored as a link, so such a URL is left out.
fn media(url: Option<String>, object: MediaObject) -> Media {
    Media {
        url: owned(url).filter(|u| !u.starts_with("data:")),
        mime_type: owned(object.mime_type),
        caption: owned(object.caption),
        filename: owned(object.file_name).or(owned(object.title)),
        voice: object.ptt,
        ..Media::default()
    }
}
