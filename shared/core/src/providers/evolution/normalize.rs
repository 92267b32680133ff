//! Evolution webhook body → [`InboundBatch`]: the envelope, then the event it names.
//!
//! Format: `shared/docs/providers.md` §3b; the events are the `Events` enum of Evolution's
//! `src/api/types/wa.types.ts`.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::message::{normalize_record, Outcome};
use super::profiles::profiles;
use super::updates::{deletions, push_deletion, statuses};
use super::wire::{self, Batch, Envelope};
use crate::model::InboundBatch;
use crate::providers::{ConnectionState, ConnectionUpdate, Malformed, Qr};

/// What the normalization needs to know about the channel.
pub struct Target<'a> {
    pub instance: &'a str,
    pub include_groups: bool,
    pub received_at_ms: i64,
}

/// Whether the body's first meaningful byte opens an object: serde would read a struct out of
/// an array too, field by field.
pub fn starts_as_object(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// `rest` is the path after the channel token (`messages-upsert` under Evolution's "webhook by
/// events"); it names the event only when the body does not.
pub fn normalize(body: &[u8], rest: &str, target: &Target) -> Result<InboundBatch, Malformed> {
    if !starts_as_object(body) {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Ok(_) => Malformed("body is not a JSON object".into()),
                Err(e) => Malformed(format!("body is not valid JSON: {e}")),
            },
        );
    }
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            Malformed(format!("body is not an Evolution webhook: {e}"))
        } else {
            Malformed(format!("body is not valid JSON: {e}"))
        }
    })?;
    let mut batch = InboundBatch::default();
    let named = match &envelope.event {
        Some(Value::String(event)) => Some(event.trim()),
        None | Some(Value::Null) => None,
        Some(other) => {
            batch
                .ignored
                .push(format!("event name is not a string: {other}"));
            return Ok(batch);
        }
    };
    let Some(event) = named
        .filter(|e| !e.is_empty())
        .or_else(|| Some(rest.trim_matches('/')).filter(|r| !r.is_empty()))
    else {
        batch.ignored.push("no event name".into());
        return Ok(batch);
    };
    let Some(kind) = Event::named(event) else {
        batch.ignored.push(format!("event {event}"));
        return Ok(batch);
    };
    match &envelope.instance {
        None | Some(Value::Null) => {}
        Some(Value::String(instance)) if instance == target.instance => {}
        Some(other) => {
            let shown = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_string);
            batch
                .ignored
                .push(format!("instance {shown} is not this channel's"));
            return Ok(batch);
        }
    }
    let Some(data) = envelope.data.filter(|d| d.get().trim() != "null") else {
        batch.ignored.push(format!("{event} without data"));
        return Ok(batch);
    };
    match kind {
        Event::Connection => connection(event, data, &mut batch),
        Event::QrCode => qr_code(event, data, &mut batch),
        listed => {
            let items = records(data);
            if items.is_empty() {
                batch.ignored.push(format!("{event} without items"));
            }
            match listed {
                Event::Messages { sent_by_api } => {
                    messages(event, items, sent_by_api, target, &mut batch)
                }
                Event::Statuses => statuses(event, items, target, &mut batch),
                Event::Deletions => deletions(event, items, target, &mut batch),
                Event::Contacts => profiles(event, items, &mut batch),
                Event::Connection | Event::QrCode => {}
            }
        }
    }
    Ok(batch)
}

/// The events Ponte acts on.
enum Event {
    /// `send.message` carries messages the API sent: ours even without `fromMe`.
    Messages {
        sent_by_api: bool,
    },
    Statuses,
    Deletions,
    /// The address book: profile pictures of contacts.
    Contacts,
    Connection,
    QrCode,
}

impl Event {
    fn named(event: &str) -> Option<Event> {
        Some(match event_key(event).as_str() {
            "MESSAGES_UPSERT" => Event::Messages { sent_by_api: false },
            "SEND_MESSAGE" => Event::Messages { sent_by_api: true },
            "MESSAGES_UPDATE" => Event::Statuses,
            "MESSAGES_DELETE" => Event::Deletions,
            "CONTACTS_UPSERT" | "CONTACTS_UPDATE" => Event::Contacts,
            "CONNECTION_UPDATE" => Event::Connection,
            "QRCODE_UPDATED" => Event::QrCode,
            _ => return None,
        })
    }
}

/// `messages.upsert`, `MESSAGES_UPSERT` and `messages-upsert` all name one event.
fn event_key(event: &str) -> String {
    event
        .chars()
        .map(|c| match c {
            '.' | '-' => '_',
            other => other.to_ascii_uppercase(),
        })
        .collect()
}

/// `data` as a list of records: one object, an array of them, or `{"messages":[…]}`.
fn records(data: &RawValue) -> Vec<&RawValue> {
    let text = data.get().trim_start();
    if text.starts_with('[') {
        return serde_json::from_str(data.get()).unwrap_or_default();
    }
    if !text.starts_with('{') {
        return Vec::new();
    }
    match serde_json::from_str::<Batch>(data.get()) {
        Ok(Batch {
            messages: Some(messages),
            key: None,
        }) => messages,
        _ => vec![data],
    }
}

pub(super) fn read<'a, T: Deserialize<'a>>(event: &str, raw: &'a RawValue) -> Result<T, String> {
    serde_json::from_str(raw.get())
        .map_err(|e| format!("{event}: an item is not in Evolution's shape ({e})"))
}

fn messages(
    event: &str,
    items: Vec<&RawValue>,
    sent_by_api: bool,
    target: &Target,
    batch: &mut InboundBatch,
) {
    for raw in items {
        let record: wire::Record = match read(event, raw) {
            Ok(record) => record,
            Err(reason) => {
                batch.ignored.push(reason);
                continue;
            }
        };
        match normalize_record(
            record,
            sent_by_api,
            target.include_groups,
            target.received_at_ms,
        ) {
            Outcome::Message(message) => batch.messages.push(*message),
            Outcome::Deletion(id) => push_deletion(batch, id),
            Outcome::Ignored(reason) => batch.ignored.push(reason),
        }
    }
}

fn connection(event: &str, data: &RawValue, batch: &mut InboundBatch) {
    let state = match read::<wire::ConnectionRecord>(event, data) {
        Ok(record) => record.state,
        Err(reason) => {
            batch.ignored.push(reason);
            return;
        }
    };
    let state = match state.as_deref().map(str::trim) {
        Some("open") => ConnectionState::Connected,
        Some("connecting") => ConnectionState::Connecting,
        Some("close" | "refused") => ConnectionState::Disconnected,
        Some(other) => {
            batch.ignored.push(format!("connection state {other}"));
            return;
        }
        None => {
            batch.ignored.push(format!("{event} without a state"));
            return;
        }
    };
    batch.connection = Some(ConnectionUpdate { state, qr: None });
}

fn qr_code(event: &str, data: &RawValue, batch: &mut InboundBatch) {
    let record = match read::<wire::QrRecord>(event, data) {
        Ok(record) => record,
        Err(reason) => {
            batch.ignored.push(reason);
            return;
        }
    };
    let owned = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    let qr = record.qrcode.map(|q| Qr {
        code: owned(q.code),
        image: owned(q.base64),
    });
    batch.connection = match (qr, record.message) {
        (Some(qr), _) if qr.code.is_some() || qr.image.is_some() => Some(ConnectionUpdate {
            state: ConnectionState::QrRequired,
            qr: Some(qr),
        }),
        // "QR code limit reached": Evolution stops offering codes and closes the session.
        (_, Some(_)) => Some(ConnectionUpdate {
            state: ConnectionState::Disconnected,
            qr: None,
        }),
        _ => {
            batch.ignored.push(format!("{event} without a QR code"));
            None
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_compare_in_every_spelling() {
        for name in ["messages.upsert", "MESSAGES_UPSERT", "messages-upsert"] {
            assert_eq!(event_key(name), "MESSAGES_UPSERT");
        }
        assert_eq!(
            event_key("group-participants.update"),
            "GROUP_PARTICIPANTS_UPDATE"
        );
    }

    #[test]
    fn only_objects_count_as_objects() {
        assert!(starts_as_object(b" \n{}"));
        assert!(!starts_as_object(b"[{}]"));
        assert!(!starts_as_object(b""));
    }

    #[test]
    fn data_comes_as_one_record_a_list_or_a_batch() {
        let one: &RawValue = serde_json::from_str(r#"{"key":{"id":"A"},"messages":[]}"#).unwrap();
        assert_eq!(records(one).len(), 1);
        let list: &RawValue = serde_json::from_str(r#"[{"a":1},{"b":2}]"#).unwrap();
        assert_eq!(records(list).len(), 2);
        let batch: &RawValue =
            serde_json::from_str(r#"{"messages":[{"a":1}],"type":"notify"}"#).unwrap();
        assert_eq!(records(batch)[0].get(), r#"{"a":1}"#);
        let text: &RawValue = serde_json::from_str(r#""x""#).unwrap();
        assert!(records(text).is_empty());
    }
}
