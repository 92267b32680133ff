//! One WPPConnect message or reaction → [`NormalizedMessage`]: who the conversation is with,
//! who in a group wrote it, and what it quotes.

use super::content::content_of;
use super::normalize::{non_empty, seconds_or_ms, Context};
use super::wire::{self, message_id, serialized, MessageKey, Party};
use crate::identity::{avatar_url, ContactRef, IdentityKey, PhoneNumber};
use crate::model::{Content, Direction, InboundBatch, NormalizedMessage, ReplyContext, Sender};

pub fn message(m: wire::Message, context: &Context, batch: &mut InboundBatch) {
    let Some(id) = m.id.as_ref().and_then(message_id) else {
        batch.ignored.push("a message without an id".into());
        return;
    };
    let kind = m.kind.as_deref().unwrap_or_default();
    match kind {
        "revoked" => {
            // WhatsApp gives the placeholder that replaces a deleted message an id of its own;
            // the deleted message's is its `protocolMessageKey`. Older servers kept the id.
            let deleted = m
                .protocol_message_key
                .as_ref()
                .and_then(message_id)
                .unwrap_or(id);
            batch.deletions.push(deleted);
            return;
        }
        // Stored now, it would keep the decrypted message that follows under the same id out.
        "ciphertext" => {
            let reason = format!("message {id} is not decrypted yet");
            batch.ignored.push(reason);
            return;
        }
        "protocol" => {
            batch.ignored.push(format!("protocol message {id}"));
            return;
        }
        _ if m.is_notification == Some(true) => {
            batch.ignored.push(format!("notification {kind} {id}"));
            return;
        }
        _ => {}
    }
    let key = MessageKey::parse(&id);
    let from_me = m.from_me.or(key.as_ref().map(|k| k.from_me)) == Some(true);
    let other_party = if from_me { &m.to } else { &m.from };
    let chat_jid = m
        .chat_id
        .as_ref()
        .and_then(serialized)
        .or_else(|| other_party.as_ref().and_then(serialized))
        .or_else(|| key.as_ref().map(|k| k.remote.clone()));
    let party = chat_jid.as_deref().and_then(|jid| match Party::of(jid)? {
        party if m.is_group_msg == Some(true) && !party.is_group() => {
            Some(Party::Group(jid.to_string()))
        }
        party => Some(party),
    });
    let Some(party) = party else {
        batch
            .ignored
            .push(format!("message {id} names no chat Ponte can address"));
        return;
    };
    if let (Party::Group(jid), false) = (&party, context.include_groups) {
        batch.ignored.push(format!(
            "message {id} in {jid}: groups, broadcasts and newsletters are not stored on this channel"
        ));
        return;
    }
    // A message the business sent carries the business's own profile, not the contact's.
    let inbound_name = (!from_me).then(|| profile_name(&m)).flatten();
    let (contact, sender) = match &party {
        Party::Group(jid) => {
            let mut contact = ContactRef::default().with(IdentityKey::Group(jid.clone()));
            contact.name = m.chat.as_ref().and_then(|chat| {
                non_empty(&chat.name).or_else(|| non_empty(&chat.formatted_title))
            });
            let sender = (!from_me)
                .then(|| member(&m, key.as_ref(), inbound_name))
                .flatten();
            (contact, sender)
        }
        person => {
            let phone_jid = (!from_me).then(|| sender_phone_jid(&m)).flatten();
            let mut contact = contact_of(person, phone_jid.as_deref());
            contact.name = inbound_name;
            // The sender of a message the business sent is the business.
            contact.avatar_url = (!from_me)
                .then(|| m.sender.as_ref()?.profile_pic_thumb_obj.as_ref())
                .flatten()
                .and_then(|picture| avatar_url(picture.eurl.as_deref()));
            (contact, None)
        }
    };
    let timestamp_ms =
        m.t.or(m.timestamp)
            .and_then(seconds_or_ms)
            .unwrap_or(context.received_at_ms);
    batch.messages.push(NormalizedMessage {
        direction: if from_me {
            Direction::Outbound
        } else {
            Direction::Inbound
        },
        contact,
        timestamp_ms,
        content: content_of(&m),
        context: reply_context(&m, chat_jid.as_deref()),
        referral: None,
        sender,
        provider_message_id: id,
    });
}

/// The conversation's contact for a one-to-one chat (or a group's, for reactions).
fn contact_of(party: &Party, phone_jid: Option<&str>) -> ContactRef {
    match party {
        Party::Person(digits) => ContactRef::whatsapp(Some(digits), None),
        Party::Lid(lid) => {
            let phone = match phone_jid.and_then(Party::of) {
                Some(Party::Person(digits)) => Some(digits),
                _ => None,
            };
            ContactRef::whatsapp(phone.as_deref(), None).with(IdentityKey::Lid(lid.clone()))
        }
        Party::Group(jid) => ContactRef::default().with(IdentityKey::Group(jid.clone())),
    }
}

/// The group member who wrote the message: `author`, else the sender contact, else the
/// participant named in the id.
fn member(m: &wire::Message, key: Option<&MessageKey>, name: Option<String>) -> Option<Sender> {
    let id = m
        .author
        .as_ref()
        .and_then(serialized)
        .or_else(|| m.sender.as_ref()?.id.as_ref().and_then(serialized))
        .or_else(|| key?.participant.clone())?;
    let digits = match Party::of(&id) {
        Some(Party::Person(digits)) => Some(digits),
        Some(Party::Lid(_)) => match sender_phone_jid(m).as_deref().and_then(Party::of) {
            Some(Party::Person(digits)) => Some(digits),
            _ => None,
        },
        _ => None,
    };
    let phone = digits
        .and_then(|d| PhoneNumber::parse(&d).ok())
        .map(|phone| phone.canonical().e164());
    Some(Sender { id, phone, name })
}

fn profile_name(m: &wire::Message) -> Option<String> {
    non_empty(&m.notify_name).or_else(|| non_empty(&m.sender.as_ref()?.pushname))
}

fn sender_phone_jid(m: &wire::Message) -> Option<String> {
    m.sender
        .as_ref()?
        .phone_number
        .as_ref()
        .and_then(serialized)
}

/// The quoted message, keyed by the serialized id every stored WPPConnect message has: the
/// server's `quotedMsgId`, else the id of `quotedMsgObj`. Without either, the bare
/// `quotedStanzaID` is serialized for a one-to-one chat (the quote is ours when its participant
/// is not the contact); in a group, where whether it was ours cannot be told, it stays bare.
fn reply_context(m: &wire::Message, chat: Option<&str>) -> Option<ReplyContext> {
    let quoted = m
        .quoted_msg_id
        .as_ref()
        .and_then(message_id)
        .or_else(|| m.quoted_msg_obj.as_ref()?.get("id").and_then(message_id))
        .or_else(|| quoted_stanza(m, chat?));
    let forwarded = m.is_forwarded == Some(true);
    if quoted.is_none() && !forwarded {
        return None;
    }
    let from = quoted
        .as_ref()
        .and(m.quoted_participant.as_ref())
        .and_then(serialized)
        .map(|jid| match Party::of(&jid) {
            Some(Party::Person(digits)) => digits,
            _ => jid,
        });
    Some(ReplyContext {
        message_id: quoted,
        from,
        forwarded,
        frequently_forwarded: false,
    })
}

fn quoted_stanza(m: &wire::Message, chat: &str) -> Option<String> {
    let stanza = m
        .quoted_stanza_id
        .as_deref()
        .filter(|s| !s.trim().is_empty())?;
    let participant = m.quoted_participant.as_ref().and_then(serialized);
    let chat_party = Party::of(chat).filter(|party| !party.is_group());
    Some(match (chat_party, participant) {
        (Some(chat_party), Some(participant)) => {
            let from_me = Party::of(&participant) != Some(chat_party);
            format!("{from_me}_{chat}_{stanza}")
        }
        _ => stanza.to_string(),
    })
}

/// A reaction arrives without a profile: the reaction's key names the chat, whether the
/// business sent it and, in groups, the member.
pub fn reaction(r: wire::Reaction, context: &Context, batch: &mut InboundBatch) {
    let Some(id) = r.id.as_ref().and_then(message_id) else {
        batch.ignored.push("a reaction without an id".into());
        return;
    };
    let Some(target) = r.msg_id.as_ref().and_then(message_id) else {
        batch
            .ignored
            .push(format!("reaction {id} names no message"));
        return;
    };
    let key = MessageKey::parse(&id);
    let target_key = MessageKey::parse(&target);
    let chat = key
        .as_ref()
        .or(target_key.as_ref())
        .and_then(|k| Party::of(&k.remote));
    let Some(party) = chat else {
        batch
            .ignored
            .push(format!("reaction {id} names no chat Ponte can address"));
        return;
    };
    if let (Party::Group(jid), false) = (&party, context.include_groups) {
        batch.ignored.push(format!(
            "reaction {id} in {jid}: groups, broadcasts and newsletters are not stored on this channel"
        ));
        return;
    }
    let from_me = key.as_ref().is_some_and(|k| k.from_me);
    let sender = match (&party, from_me) {
        (Party::Group(_), false) => r
            .sender
            .as_ref()
            .and_then(serialized)
            .or_else(|| key.as_ref()?.participant.clone())
            .map(|member| Sender {
                phone: match Party::of(&member) {
                    Some(Party::Person(digits)) => PhoneNumber::parse(&digits)
                        .ok()
                        .map(|p| p.canonical().e164()),
                    _ => None,
                },
                id: member,
                name: None,
            }),
        _ => None,
    };
    batch.messages.push(NormalizedMessage {
        provider_message_id: id,
        direction: if from_me {
            Direction::Outbound
        } else {
            Direction::Inbound
        },
        contact: contact_of(&party, None),
        timestamp_ms: r
            .timestamp
            .and_then(seconds_or_ms)
            .unwrap_or(context.received_at_ms),
        content: Content::Reaction {
            message_id: target,
            emoji: r.reaction_text.filter(|e| !e.is_empty()),
        },
        context: None,
        referral: None,
        sender,
    });
}
