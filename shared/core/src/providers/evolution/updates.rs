//! `messages.update` and `messages.delete`: what became of messages already stored.

use serde_json::value::RawValue;
use serde_json::Value;

use super::jid::Jid;
use super::message::non_empty;
use super::normalize::{read, Target};
use super::wire;
use crate::model::{InboundBatch, StatusUpdate};
use crate::status::DeliveryStatus;

/// The kind of chat (group, broadcast, channel) when the channel does not store that kind.
fn dropped_chat(remote_jid: Option<&str>, target: &Target) -> Option<&'static str> {
    if target.include_groups {
        return None;
    }
    remote_jid
        .and_then(Jid::parse)
        .and_then(|jid| jid.shared_kind())
}

/// Evolution's status names, also from Baileys' numeric codes (the order of Evolution's
/// `renderStatus.ts`) should a payload carry one raw.
fn status_name(status: &Value) -> Option<String> {
    const BY_NUMBER: [&str; 6] = [
        "ERROR",
        "PENDING",
        "SERVER_ACK",
        "DELIVERY_ACK",
        "READ",
        "PLAYED",
    ];
    match status {
        Value::String(s) => Some(s.trim().to_ascii_uppercase()),
        Value::Number(n) => n
            .as_u64()
            .and_then(|i| BY_NUMBER.get(usize::try_from(i).ok()?))
            .map(|s| s.to_string()),
        _ => None,
    }
}

pub(super) fn statuses(
    event: &str,
    items: Vec<&RawValue>,
    target: &Target,
    batch: &mut InboundBatch,
) {
    for raw in items {
        let record: wire::StatusRecord = match read(event, raw) {
            Ok(record) => record,
            Err(reason) => {
                batch.ignored.push(reason);
                continue;
            }
        };
        let key = record.key.unwrap_or_default();
        let Some(id) = non_empty(record.key_id.as_deref()).or(non_empty(key.id.as_deref())) else {
            batch.ignored.push(format!("{event} without a message id"));
            continue;
        };
        let remote_jid =
            non_empty(record.remote_jid.as_deref()).or(non_empty(key.remote_jid.as_deref()));
        if let Some(kind) = dropped_chat(remote_jid, target) {
            batch.ignored.push(format!(
                "status of {kind} message {id} dropped: include_groups is off"
            ));
            continue;
        }
        let Some(name) = record.status.as_ref().and_then(status_name) else {
            batch
                .ignored
                .push(format!("{event} of {id} without a status"));
            continue;
        };
        let delivery = match name.as_str() {
            "DELETED" => {
                push_deletion(batch, id.to_string());
                continue;
            }
            "SERVER_ACK" => DeliveryStatus::Sent,
            "DELIVERY_ACK" => DeliveryStatus::Delivered,
            "READ" => DeliveryStatus::Read,
            "PLAYED" => DeliveryStatus::Played,
            "ERROR" => DeliveryStatus::Failed,
            other => {
                batch.ignored.push(format!("status {other} of {id}"));
                continue;
            }
        };
        // Receipts of the contact's own messages (read on the business's phone) are not
        // delivery statuses of anything Ponte sent.
        if record.from_me.or(key.from_me) == Some(false) {
            batch
                .ignored
                .push(format!("status {name} of inbound message {id}"));
            continue;
        }
        let update = StatusUpdate {
            provider_message_id: id.to_string(),
            status: delivery,
            timestamp_ms: target.received_at_ms,
            recipient_id: remote_jid
                .and_then(Jid::parse)
                .filter(|jid| jid.shared_kind().is_none())
                .map(|jid| jid.recipient_id().to_string()),
            error: None,
        };
        push_status(batch, update);
    }
}

/// One update per message id: the furthest one, as the status machine would keep it.
fn push_status(batch: &mut InboundBatch, update: StatusUpdate) {
    let same = batch
        .statuses
        .iter_mut()
        .find(|s| s.provider_message_id == update.provider_message_id);
    match same {
        Some(existing) if update.status.rank() > existing.status.rank() => *existing = update,
        Some(_) => {}
        None => batch.statuses.push(update),
    }
}

pub(super) fn push_deletion(batch: &mut InboundBatch, id: String) {
    if !batch.deletions.contains(&id) {
        batch.deletions.push(id);
    }
}

pub(super) fn deletions(
    event: &str,
    items: Vec<&RawValue>,
    target: &Target,
    batch: &mut InboundBatch,
) {
    for raw in items {
        let record: wire::DeletedRecord = match read(event, raw) {
            Ok(record) => record,
            Err(reason) => {
                batch.ignored.push(reason);
                continue;
            }
        };
        // A deletion through the API names the stored row's own `id` beside WhatsApp's key.
        let key = record.key.unwrap_or_default();
        let Some(id) = non_empty(key.id.as_deref()).or(non_empty(record.id.as_deref())) else {
            batch.ignored.push(format!("{event} without a message id"));
            continue;
        };
        let remote_jid =
            non_empty(key.remote_jid.as_deref()).or(non_empty(record.remote_jid.as_deref()));
        if let Some(kind) = dropped_chat(remote_jid, target) {
            batch.ignored.push(format!(
                "deletion of {kind} message {id} dropped: include_groups is off"
            ));
            continue;
        }
        push_deletion(batch, id.to_string());
    }
}
