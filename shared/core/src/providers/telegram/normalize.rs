//! A Telegram `Update` → [`InboundBatch`].
//!
//! An update is `{"update_id": N, "<kind>": {...}}` with exactly one kind. `message` and
//! `channel_post` are stored; `edited_message` and `edited_channel_post` are stored too (so an
//! edit of a message Ponte never saw still shows) and applied as an edit of the stored message;
//! `callback_query` is a button reply; `message_reaction` a reaction. Every other kind (inline
//! queries, payments, chat members, business connections, kinds newer than this adapter) is
//! accepted and ignored by name.
//!
//! Telegram's `message_id` is unique only within its chat, so a message's provider id is
//! `{chat_id}:{message_id}`.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::content::content;
use super::wire::{CallbackQuery, Chat, Message, MessageReaction, User};
use crate::identity::{ContactRef, IdentityKey};
use crate::model::{
    Content, Direction, InboundBatch, InteractiveReply, MessageEdit, NormalizedMessage,
    ReplyContext, Sender,
};
use crate::providers::Malformed;

/// The provider id of message `message_id` of chat `chat_id`.
pub fn message_key(chat_id: i64, message_id: i64) -> String {
    format!("{chat_id}:{message_id}")
}

pub fn normalize(
    body: &[u8],
    include_groups: bool,
    received_at_ms: i64,
) -> Result<InboundBatch, Malformed> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Malformed(format!("body is not valid JSON: {e}")))?;
    let Value::Object(update) = value else {
        return Err(Malformed("body is not a JSON object".into()));
    };
    let mut batch = InboundBatch::default();
    let Some((kind, inner)) = update.iter().find(|(key, _)| *key != "update_id") else {
        batch.ignored.push("an update of no kind".into());
        return Ok(batch);
    };
    let at = Context {
        include_groups,
        received_at_ms,
    };
    let outcome = match kind.as_str() {
        "message" | "channel_post" => {
            read::<Message>(kind, inner).map(|m| at.message(&m, &mut batch))
        }
        "edited_message" | "edited_channel_post" => {
            read::<Message>(kind, inner).map(|m| at.edited(&m, &mut batch))
        }
        "callback_query" => read::<CallbackQuery>(kind, inner).map(|q| at.button(&q, &mut batch)),
        "message_reaction" => {
            read::<MessageReaction>(kind, inner).map(|r| at.reaction(&r, &mut batch))
        }
        other => {
            batch.ignored.push(format!("update {other}"));
            Ok(())
        }
    };
    // One unreadable update is kept as its reason: the delivery stays replayable.
    if let Err(reason) = outcome {
        batch.unreadable.push(reason);
    }
    Ok(batch)
}

fn read<T: DeserializeOwned>(kind: &str, value: &Value) -> Result<T, String> {
    T::deserialize(value).map_err(|e| format!("{kind} is not what Telegram sends: {e}"))
}

struct Context {
    include_groups: bool,
    received_at_ms: i64,
}

impl Context {
    fn message(&self, m: &Message, batch: &mut InboundBatch) {
        match self.normalized(m) {
            Ok(message) => batch.messages.push(message),
            Err(reason) => batch.ignored.push(reason),
        }
    }

    /// The message as it now is, and the edit that brings a stored copy up to it.
    fn edited(&self, m: &Message, batch: &mut InboundBatch) {
        match self.normalized(m) {
            Ok(message) => {
                batch.edits.push(MessageEdit {
                    provider_message_id: message.provider_message_id.clone(),
                    content: message.content.clone(),
                    edited_at_ms: self.ms(m.edit_date.unwrap_or(0)),
                });
                batch.messages.push(message);
            }
            Err(reason) => batch.ignored.push(reason),
        }
    }

    fn normalized(&self, m: &Message) -> Result<NormalizedMessage, String> {
        let (contact, sender) = self.party(&m.chat, m.from.as_ref())?;
        let forwarded = m.forward_origin.is_some() || m.forward_date.is_some();
        let quoted = m
            .reply_to_message
            .as_ref()
            .map(|r| message_key(m.chat.id, r.message_id));
        let context = (forwarded || quoted.is_some()).then(|| ReplyContext {
            message_id: quoted,
            forwarded,
            ..ReplyContext::default()
        });
        Ok(NormalizedMessage {
            provider_message_id: message_key(m.chat.id, m.message_id),
            direction: Direction::Inbound,
            contact,
            timestamp_ms: self.ms(m.date),
            content: content(m),
            context,
            referral: None,
            sender,
        })
    }

    /// A tap on an inline button. The answer names the button by its `callback_data`; its label
    /// is read off the keyboard of the message it was on, when the update carries it.
    fn button(&self, q: &CallbackQuery, batch: &mut InboundBatch) {
        let Some(id) = q
            .data
            .clone()
            .or_else(|| q.game_short_name.clone())
            .filter(|d| !d.is_empty())
        else {
            batch.ignored.push("a callback query without data".into());
            return;
        };
        // Inline-mode messages have no chat: the user tapped in their own.
        let private = Chat {
            id: q.from.id,
            kind: Some("private".into()),
            title: None,
            username: q.from.username.clone(),
            first_name: q.from.first_name.clone(),
            last_name: q.from.last_name.clone(),
        };
        let on = q.message.as_ref();
        let chat = on.map_or(&private, |m| &m.chat);
        let (mut contact, sender) = match self.party(chat, Some(&q.from)) {
            Ok(party) => party,
            Err(reason) => return batch.ignored.push(reason),
        };
        if contact.name.is_none() {
            contact.name = q.from.full_name();
        }
        let title = on
            .and_then(|m| button_label(m.reply_markup.as_ref()?, &id))
            .unwrap_or_else(|| id.clone());
        batch.messages.push(NormalizedMessage {
            provider_message_id: format!("callback:{}", q.id),
            direction: Direction::Inbound,
            contact,
            timestamp_ms: self.received_at_ms,
            content: Content::Interactive {
                reply: InteractiveReply::ButtonReply { id, title },
            },
            context: on.map(|m| ReplyContext {
                message_id: Some(message_key(m.chat.id, m.message_id)),
                ..ReplyContext::default()
            }),
            referral: None,
            sender,
        });
    }

    /// A reaction set or taken back: one message per change, the latest emoji first named.
    fn reaction(&self, r: &MessageReaction, batch: &mut InboundBatch) {
        let (contact, sender) = match self.party(&r.chat, r.user.as_ref()) {
            Ok(party) => party,
            Err(reason) => return batch.ignored.push(reason),
        };
        let emoji = r
            .new_reaction
            .iter()
            .find(|t| t.kind.as_deref() == Some("emoji"))
            .and_then(|t| t.emoji.clone());
        let who = r.user.as_ref().map_or(r.chat.id, |u| u.id);
        batch.messages.push(NormalizedMessage {
            provider_message_id: format!(
                "{}:reaction:{who}:{}",
                message_key(r.chat.id, r.message_id),
                r.date
            ),
            direction: Direction::Inbound,
            contact,
            timestamp_ms: self.ms(r.date),
            content: Content::Reaction {
                message_id: message_key(r.chat.id, r.message_id),
                emoji,
            },
            context: None,
            referral: None,
            sender,
        });
    }

    /// Who the conversation is with: the user of a private chat, or the group or channel itself
    /// with the member who wrote, when groups are stored at all.
    fn party(
        &self,
        chat: &Chat,
        from: Option<&User>,
    ) -> Result<(ContactRef, Option<Sender>), String> {
        if chat.is_private() {
            let mut contact =
                ContactRef::default().with(IdentityKey::Telegram(chat.id.to_string()));
            contact.name = chat.name().or_else(|| from.and_then(User::full_name));
            contact.username = chat
                .username
                .clone()
                .or_else(|| from.and_then(|u| u.username.clone()));
            return Ok((contact, None));
        }
        let kind = chat.kind.as_deref().unwrap_or("unknown");
        if !self.include_groups {
            return Err(format!(
                "a message in a {kind} chat (include_groups is off)"
            ));
        }
        let mut contact = ContactRef::default().with(IdentityKey::Group(group_key(chat.id)));
        contact.name = chat.name();
        contact.username = chat.username.clone();
        let sender = from.map(|u| Sender {
            id: u.id.to_string(),
            phone: None,
            name: u.full_name().or_else(|| u.username.clone()),
        });
        Ok((contact, sender))
    }

    /// Telegram's seconds, or the arrival time for a message it dates `0` (no longer accessible).
    fn ms(&self, seconds: i64) -> i64 {
        if seconds > 0 {
            seconds.saturating_mul(1000)
        } else {
            self.received_at_ms
        }
    }
}

/// A group's identity value: prefixed, since a group key is shared with WhatsApp's groups.
pub fn group_key(chat_id: i64) -> String {
    format!("tg:{chat_id}")
}

fn button_label(markup: &Value, data: &str) -> Option<String> {
    markup
        .get("inline_keyboard")?
        .as_array()?
        .iter()
        .filter_map(Value::as_array)
        .flatten()
        .find(|button| button.get("callback_data").and_then(Value::as_str) == Some(data))
        .and_then(|button| button.get("text")?.as_str())
        .map(str::to_string)
}
