//! A Z-API webhook body → [`InboundBatch`]: which event it is, whether it is this channel's, and
//! the statuses and session changes it reports. Messages are read in [`super::received`].

use serde::Deserialize;
use serde_json::Value;

use super::received::normalize_received;
use super::wire::{DeliveryCallback, Envelope, Received, StatusCallback};
use crate::model::{InboundBatch, ProviderError, StatusUpdate};
use crate::providers::seam::truncate;
use crate::providers::{ConnectionState, ConnectionUpdate, Malformed};
use crate::status::DeliveryStatus;

/// Z-API documents milliseconds; a timestamp this small can only be in seconds (the documented
/// `DisconnectedCallback` gives seconds), and read as milliseconds it would date from 1973.
const SECONDS_BELOW: f64 = 100_000_000_000.0;
/// The end of year 9999 in milliseconds: anything later is no timestamp a message can have.
const LATEST_MS: f64 = 253_402_300_799_999.0;
const MAX_ERROR_CHARS: usize = 300;

/// Normalizes one delivery for the channel of `instance_id`. `received_at_ms` stands in for a
/// missing provider timestamp.
pub fn normalize(
    body: &[u8],
    instance_id: &str,
    include_groups: bool,
    received_at_ms: i64,
) -> Result<InboundBatch, Malformed> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Malformed(format!("body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(Malformed("body is not a JSON object".into()));
    }
    let envelope: Envelope = read(&value, "webhook")?;
    let mut batch = InboundBatch::default();
    let Some(kind) = envelope.kind.filter(|k| !k.trim().is_empty()) else {
        batch.ignored.push("a body without an event type".into());
        return Ok(batch);
    };
    // One Z-API account can point several instances at one URL.
    if let Some(other) = envelope
        .instance_id
        .filter(|id| !id.is_empty() && id != instance_id)
    {
        batch
            .ignored
            .push(format!("{kind} of instance {other}, not this channel's"));
        return Ok(batch);
    }
    // The documentation spells `ReceivedCallBack` once; the case carries no meaning.
    match kind.to_ascii_lowercase().as_str() {
        "receivedcallback" => {
            let received: Received = read(&value, &kind)?;
            normalize_received(received, &value, include_groups, received_at_ms, &mut batch);
        }
        "messagestatuscallback" => {
            let status: StatusCallback = read(&value, &kind)?;
            push_statuses(status, received_at_ms, &mut batch);
        }
        "deliverycallback" => {
            let delivery: DeliveryCallback = read(&value, &kind)?;
            push_delivery(delivery, received_at_ms, &mut batch);
        }
        "connectedcallback" => batch.connection = Some(connection(ConnectionState::Connected)),
        "disconnectedcallback" => {
            batch.connection = Some(connection(ConnectionState::Disconnected))
        }
        _ => batch.ignored.push(format!("event {kind}")),
    }
    Ok(batch)
}

fn read<'a, T: Deserialize<'a>>(value: &'a Value, what: &str) -> Result<T, Malformed> {
    T::deserialize(value).map_err(|e| Malformed(format!("{what} is not what Z-API sends: {e}")))
}

fn connection(state: ConnectionState) -> ConnectionUpdate {
    ConnectionUpdate { state, qr: None }
}

/// A Z-API timestamp in milliseconds, or the arrival time when there is none.
pub(super) fn timestamp_ms(value: Option<f64>, received_at_ms: i64) -> i64 {
    match value {
        Some(v) if v > LATEST_MS => received_at_ms,
        Some(v) if v >= SECONDS_BELOW => v as i64,
        Some(v) if v > 0.0 => (v * 1000.0) as i64,
        _ => received_at_ms,
    }
}

/// Z-API's message statuses. `READ_BY_ME` is the business reading a contact's message on its own
/// phone, not news about one of its sends; `PENDING` (the clock) is not yet a step forward.
fn delivery_status(status: &str) -> Option<DeliveryStatus> {
    match status.to_ascii_uppercase().as_str() {
        "SENT" => Some(DeliveryStatus::Sent),
        // `RECEIVED` in the attribute table, `MESSAGE_RECEIVED` in one example.
        "RECEIVED" | "MESSAGE_RECEIVED" | "DELIVERED" => Some(DeliveryStatus::Delivered),
        "READ" => Some(DeliveryStatus::Read),
        "PLAYED" => Some(DeliveryStatus::Played),
        "FAILED" => Some(DeliveryStatus::Failed),
        _ => None,
    }
}

fn push_statuses(callback: StatusCallback, received_at_ms: i64, batch: &mut InboundBatch) {
    let name = callback.status.unwrap_or_default();
    let Some(status) = delivery_status(&name) else {
        batch.ignored.push(format!("status {name:?}"));
        return;
    };
    let timestamp_ms = timestamp_ms(callback.momment, received_at_ms);
    let ids: Vec<String> = callback
        .ids
        .unwrap_or_default()
        .into_iter()
        .chain(callback.id)
        .filter(|id| !id.trim().is_empty())
        .collect();
    if ids.is_empty() {
        batch
            .ignored
            .push(format!("status {name} naming no message"));
        return;
    }
    for id in ids {
        if batch.statuses.iter().any(|s| s.provider_message_id == id) {
            continue;
        }
        batch.statuses.push(StatusUpdate {
            provider_message_id: id,
            status,
            timestamp_ms,
            recipient_id: callback.phone.clone().filter(|p| !p.is_empty()),
            error: None,
        });
    }
}

/// The gateway took a message sent through its API to WhatsApp, or says why it could not.
fn push_delivery(callback: DeliveryCallback, received_at_ms: i64, batch: &mut InboundBatch) {
    let Some(id) = callback.message_id.filter(|id| !id.trim().is_empty()) else {
        batch
            .ignored
            .push("DeliveryCallback naming no message".into());
        return;
    };
    let error = match callback.error {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.trim().is_empty() => None,
        Some(Value::String(text)) => Some(text.trim().to_string()),
        Some(other) => Some(other.to_string()),
    };
    batch.statuses.push(StatusUpdate {
        provider_message_id: id,
        status: if error.is_some() {
            DeliveryStatus::Failed
        } else {
            DeliveryStatus::Sent
        },
        timestamp_ms: timestamp_ms(callback.momment, received_at_ms),
        recipient_id: callback.phone.filter(|p| !p.is_empty()),
        error: error.map(|title| ProviderError {
            code: 0,
            title: truncate(title, MAX_ERROR_CHARS),
            detail: None,
        }),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_milliseconds_and_seconds_are_recognised() {
        assert_eq!(
            timestamp_ms(Some(1_632_228_638_000.0), 7),
            1_632_228_638_000
        );
        assert_eq!(timestamp_ms(Some(1_580_163_342.0), 7), 1_580_163_342_000);
        assert_eq!(timestamp_ms(None, 7), 7);
        assert_eq!(timestamp_ms(Some(-5.0), 7), 7);
        assert_eq!(timestamp_ms(Some(1e300), 7), 7);
    }

    #[test]
    fn statuses_map_forward_only() {
        assert_eq!(delivery_status("SENT"), Some(DeliveryStatus::Sent));
        assert_eq!(delivery_status("RECEIVED"), Some(DeliveryStatus::Delivered));
        assert_eq!(delivery_status("read"), Some(DeliveryStatus::Read));
        assert_eq!(delivery_status("PLAYED"), Some(DeliveryStatus::Played));
        assert_eq!(delivery_status("READ_BY_ME"), None);
        assert_eq!(delivery_status("PENDING"), None);
    }
}
