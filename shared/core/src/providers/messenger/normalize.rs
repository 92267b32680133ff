//! A Messenger Platform webhook → [`InboundBatch`].
//!
//! One POST carries several entries, one per page (or Instagram account), each with several
//! `messaging` events. Entries of another account than the channel's are ignored; an event that
//! does not parse is kept as its reason and costs only itself. Messages are keyed by Meta's
//! `mid`, which is unique across the platform; the page's own sends come back as echoes with
//! sender and recipient swapped and are stored as outbound messages under the same `mid`, so an
//! echo of a send Ponte made finds it already stored.

use super::config::MessengerConfig;
use super::content::{part_id, parts};
use super::wire::{Delivery, Edit, Envelope, Event, Message, Postback, Reaction, Read};
use crate::identity::{ContactRef, IdentityKey};
use crate::model::{
    Content, Direction, InboundBatch, InteractiveReply, MessageEdit, NormalizedMessage,
    ReplyContext, StatusUpdate, Watermark,
};
use crate::providers::lenient::Lenient;
use crate::providers::Malformed;
use crate::status::DeliveryStatus;

pub fn normalize(
    body: &[u8],
    config: &MessengerConfig,
    received_at_ms: i64,
) -> Result<InboundBatch, Malformed> {
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|e| Malformed(format!("body is not a Messenger Platform webhook: {e}")))?;
    let mut batch = InboundBatch::default();
    let object = envelope.object.as_deref().unwrap_or_default();
    let key: fn(String) -> IdentityKey = match object {
        "page" => IdentityKey::Psid,
        "instagram" => IdentityKey::Igsid,
        other => {
            batch
                .ignored
                .push(format!("a webhook for object {other:?}"));
            return Ok(batch);
        }
    };
    let ours = config.account_for(object);
    for entry in envelope.entry {
        let entry = match entry {
            Lenient::Read(entry) => entry,
            Lenient::Unreadable(reason) => {
                batch.unreadable.push(format!("an entry: {reason}"));
                continue;
            }
        };
        if entry.id != ours {
            batch
                .ignored
                .push(format!("an entry of another account ({})", entry.id));
            continue;
        }
        if entry.messaging.is_empty() {
            batch
                .ignored
                .push("an entry without messaging events".into());
        }
        let at = Context {
            account: ours,
            key,
            fallback_ms: entry.time.unwrap_or(received_at_ms),
        };
        for event in entry.messaging {
            match event {
                Lenient::Read(event) => at.event(event, &mut batch),
                Lenient::Unreadable(reason) => {
                    batch
                        .unreadable
                        .push(format!("a messaging event: {reason}"));
                }
            }
        }
    }
    Ok(batch)
}

struct Context<'a> {
    account: &'a str,
    key: fn(String) -> IdentityKey,
    /// For events that carry no timestamp of their own (deliveries).
    fallback_ms: i64,
}

/// One event as seen from the channel: who the conversation is with and whether the page wrote.
struct Seen {
    contact_id: String,
    contact: ContactRef,
    from_us: bool,
    at_ms: i64,
}

impl Context<'_> {
    fn event(&self, event: Event, batch: &mut InboundBatch) {
        let ids = (
            event.sender.as_ref().and_then(|p| p.id.clone()),
            event.recipient.as_ref().and_then(|p| p.id.clone()),
        );
        let (Some(sender), Some(recipient)) = ids else {
            return batch
                .ignored
                .push("an event without sender and recipient ids".into());
        };
        let (contact_id, from_us) = if sender == self.account {
            (recipient, true)
        } else if recipient == self.account {
            (sender, false)
        } else {
            return batch
                .ignored
                .push("an event between two other accounts".into());
        };
        let seen = Seen {
            contact: ContactRef::default().with((self.key)(contact_id.clone())),
            contact_id,
            from_us,
            at_ms: event.timestamp.unwrap_or(self.fallback_ms),
        };
        if let Some(m) = &event.message {
            seen.message(m, batch);
        } else if let Some(p) = &event.postback {
            seen.postback(p, batch);
        } else if let Some(r) = &event.reaction {
            seen.reaction(r, batch);
        } else if let Some(e) = &event.message_edit {
            seen.edit(e, batch);
        } else if let Some(d) = &event.delivery {
            seen.delivery(d, batch);
        } else if let Some(r) = &event.read {
            seen.read(r, batch);
        } else {
            batch.ignored.push(format!("event {}", event.kind()));
        }
    }
}

impl Seen {
    fn direction(&self, is_echo: bool) -> Direction {
        if is_echo || self.from_us {
            Direction::Outbound
        } else {
            Direction::Inbound
        }
    }

    fn stored(
        &self,
        id: String,
        direction: Direction,
        content: Content,
        context: Option<ReplyContext>,
    ) -> NormalizedMessage {
        NormalizedMessage {
            provider_message_id: id,
            direction,
            contact: self.contact.clone(),
            timestamp_ms: self.at_ms,
            content,
            context,
            referral: None,
            sender: None,
        }
    }

    fn message(&self, m: &Message, batch: &mut InboundBatch) {
        if m.is_deleted {
            return batch.deletions.push(m.mid.clone());
        }
        let direction = self.direction(m.is_echo);
        let context = m
            .reply_to
            .as_ref()
            .and_then(|r| r.mid.clone())
            .map(|mid| ReplyContext {
                message_id: Some(mid),
                ..ReplyContext::default()
            });
        for (index, content) in parts(m).into_iter().enumerate() {
            let id = part_id(&m.mid, index);
            batch
                .messages
                .push(self.stored(id, direction, content, context.clone()));
        }
    }

    /// A tap on a button of one of the page's messages (or an Instagram icebreaker).
    fn postback(&self, p: &Postback, batch: &mut InboundBatch) {
        let Some(id) = p.payload.clone().or_else(|| p.title.clone()) else {
            return batch.ignored.push("a postback without payload".into());
        };
        let title = p.title.clone().unwrap_or_else(|| id.clone());
        let key = p
            .mid
            .clone()
            .unwrap_or_else(|| format!("postback:{}:{}", self.contact_id, self.at_ms));
        let reply = InteractiveReply::ButtonReply { id, title };
        let content = Content::Interactive { reply };
        batch
            .messages
            .push(self.stored(key, Direction::Inbound, content, None));
    }

    fn reaction(&self, r: &Reaction, batch: &mut InboundBatch) {
        let emoji = match r.action.as_deref() {
            Some("unreact") => None,
            _ => r.emoji.clone().or_else(|| r.reaction.clone()),
        };
        let key = format!("{}:reaction:{}:{}", r.mid, self.contact_id, self.at_ms);
        let content = Content::Reaction {
            message_id: r.mid.clone(),
            emoji,
        };
        batch
            .messages
            .push(self.stored(key, self.direction(false), content, None));
    }

    /// The message as it now reads, and the edit that brings a stored copy up to it.
    fn edit(&self, e: &Edit, batch: &mut InboundBatch) {
        let Some(body) = e.text.clone() else {
            return batch.ignored.push("an edit without text".into());
        };
        let content = Content::Text { body };
        batch.edits.push(MessageEdit {
            provider_message_id: e.mid.clone(),
            content: content.clone(),
            edited_at_ms: self.at_ms,
        });
        batch
            .messages
            .push(self.stored(e.mid.clone(), self.direction(false), content, None));
    }

    fn delivery(&self, d: &Delivery, batch: &mut InboundBatch) {
        let at_ms = d.watermark.unwrap_or(self.at_ms);
        if !d.mids.is_empty() {
            for mid in &d.mids {
                batch
                    .statuses
                    .push(self.status(mid, DeliveryStatus::Delivered, at_ms));
            }
        } else if let Some(up_to_ms) = d.watermark {
            batch
                .watermarks
                .push(self.watermark(DeliveryStatus::Delivered, up_to_ms));
        } else {
            batch.ignored.push("a delivery naming nothing".into());
        }
    }

    /// Messenger reads carry a watermark; Instagram's name the message read, which means the
    /// contact saw the conversation as it was then.
    fn read(&self, r: &Read, batch: &mut InboundBatch) {
        if let Some(mid) = &r.mid {
            batch
                .statuses
                .push(self.status(mid, DeliveryStatus::Read, self.at_ms));
        }
        match (r.watermark, &r.mid) {
            (Some(up_to_ms), _) => batch
                .watermarks
                .push(self.watermark(DeliveryStatus::Read, up_to_ms)),
            (None, Some(_)) => batch
                .watermarks
                .push(self.watermark(DeliveryStatus::Read, self.at_ms)),
            (None, None) => batch.ignored.push("a read receipt naming nothing".into()),
        }
    }

    fn status(&self, mid: &str, status: DeliveryStatus, at_ms: i64) -> StatusUpdate {
        StatusUpdate {
            provider_message_id: mid.to_string(),
            status,
            timestamp_ms: at_ms,
            recipient_id: Some(self.contact_id.clone()),
            error: None,
        }
    }

    fn watermark(&self, status: DeliveryStatus, up_to_ms: i64) -> Watermark {
        Watermark {
            contact: self.contact.clone(),
            status,
            up_to_ms,
        }
    }
}
