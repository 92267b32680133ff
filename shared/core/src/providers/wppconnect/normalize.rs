//! WPPConnect webhook body → [`InboundBatch`].
//!
//! Every event arrives at the one URL as `{event, session, ...}`. Events Ponte does not act on
//! (`onpresencechanged`, `incomingcall`, `onparticipantschanged`, `location`, …) are ignored by
//! name; a body for another session of the same server is ignored too.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::message::{message, reaction};
use super::session::{qr_update, status_find_update};
use super::wire::{self, message_id, MessageKey, Party};
use super::WppConnectConfig;
use crate::model::{InboundBatch, ProviderError, StatusUpdate};
use crate::providers::seam::truncate;
use crate::providers::Malformed;
use crate::status::DeliveryStatus;

const MAX_ECHOED_CHARS: usize = 80;

/// What every event's normalization needs from the channel and the request.
pub struct Context {
    pub include_groups: bool,
    pub received_at_ms: i64,
}

pub fn parse_webhook(
    body: &[u8],
    config: &WppConnectConfig,
    received_at_ms: i64,
) -> Result<InboundBatch, Malformed> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Malformed(format!("body is not valid JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(Malformed("body is not a JSON object".into()));
    };
    let mut batch = InboundBatch::default();
    let event = match object.get("event") {
        Some(Value::String(event)) => truncate(event.clone(), MAX_ECHOED_CHARS),
        None | Some(Value::Null) => {
            batch.ignored.push("a body without an event".into());
            return Ok(batch);
        }
        Some(_) => return Err(Malformed("event must be a string".into())),
    };
    match object.get("session") {
        Some(Value::String(session)) if *session != config.session => {
            let session = truncate(session.clone(), MAX_ECHOED_CHARS);
            batch.ignored.push(format!(
                "event {event} of session {session}, not this channel's"
            ));
            return Ok(batch);
        }
        None | Some(Value::Null | Value::String(_)) => {}
        Some(_) => return Err(Malformed("session must be a string".into())),
    }
    let context = Context {
        include_groups: config.include_groups,
        received_at_ms,
    };
    match event.as_str() {
        // `onselfmessage` carries the business's own messages (phone or API), `unreadmessages`
        // the backlog on start; the same id twice is stored once.
        "onmessage" | "onselfmessage" | "onanymessage" | "unreadmessages" => {
            message(read(&event, value)?, &context, &mut batch)
        }
        "onack" => ack(read(&event, value)?, &context, &mut batch),
        "onreactionmessage" => reaction(read(&event, value)?, &context, &mut batch),
        "onrevokedmessage" => {
            let revoke: wire::Revoke = read(&event, value)?;
            match revoke.ref_id.as_ref().and_then(message_id) {
                Some(deleted) => batch.deletions.push(deleted),
                None => batch.ignored.push("a revoke without refId".into()),
            }
        }
        "status-find" => {
            let status: wire::StatusFind = read(&event, value)?;
            match status.status {
                Some(status) => batch.connection = Some(status_find_update(&status)),
                None => batch.ignored.push("a status-find without a status".into()),
            }
        }
        "qrcode" => batch.connection = Some(qr_update(read(&event, value)?)),
        other => batch.ignored.push(format!("event {other}")),
    }
    Ok(batch)
}

fn read<T: DeserializeOwned>(event: &str, value: Value) -> Result<T, Malformed> {
    serde_json::from_value(value).map_err(|e| Malformed(format!("{event}: {e}")))
}

/// WhatsApp Web's acks (wppconnect `enum/ack-type.ts`), for messages the business sent.
fn ack(a: wire::Ack, context: &Context, batch: &mut InboundBatch) {
    let Some(id) = a.id.as_ref().and_then(message_id) else {
        batch.ignored.push("an ack without a message id".into());
        return;
    };
    let key = MessageKey::parse(&id);
    if a.from_me.or(key.as_ref().map(|k| k.from_me)) == Some(false) {
        batch.ignored.push(format!(
            "ack of inbound message {id}: only outbound messages have statuses"
        ));
        return;
    }
    let party = key.as_ref().and_then(|k| Party::of(&k.remote));
    if party.as_ref().is_some_and(Party::is_group) && !context.include_groups {
        batch.ignored.push(format!(
            "ack of {id}: groups, broadcasts and newsletters are not stored"
        ));
        return;
    }
    let Some(code) = a.ack else {
        batch.ignored.push(format!("ack of {id} without a value"));
        return;
    };
    let (status, error) = match code {
        1 => (DeliveryStatus::Sent, None),
        2 => (DeliveryStatus::Delivered, None),
        3 => (DeliveryStatus::Read, None),
        4 => (DeliveryStatus::Played, None),
        // Sending failed outright, or the media was too big or could not be uploaded. Other
        // negative acks (EXPIRED, CONTENT_GONE, INACTIVE, MD_DOWNGRADE) can follow a delivery,
        // and a failure would outrank it for good.
        -1 | -4 | -5 => (DeliveryStatus::Failed, Some(ack_error(code))),
        // 0 is CLOCK: still on the phone. 5 is PEER: the business's own linked device took it,
        // which says nothing of the contact.
        other => {
            batch.ignored.push(format!("ack {other} of {id}"));
            return;
        }
    };
    batch.statuses.push(StatusUpdate {
        // `t` in this payload is the message's own time, not the ack's.
        timestamp_ms: context.received_at_ms,
        recipient_id: match party {
            Some(Party::Person(digits)) => Some(digits),
            _ => None,
        },
        provider_message_id: id,
        status,
        error,
    });
}

fn ack_error(code: i64) -> ProviderError {
    let title = match code {
        -4 => "CONTENT_TOO_BIG",
        -5 => "CONTENT_UNUPLOADABLE",
        _ => "FAILED",
    };
    ProviderError {
        code,
        title: title.into(),
        detail: None,
    }
}

/// Message times are unix seconds; reactions count milliseconds. A value past 10^11 (the year
/// 5138 in seconds) is taken as milliseconds.
pub fn seconds_or_ms(value: f64) -> Option<i64> {
    if !value.is_finite() || value <= 0.0 {
        return None;
    }
    let ms = if value >= 1e11 { value } else { value * 1000.0 };
    // `as` saturates; the bound keeps absurd values out rather than storing i64::MAX.
    (ms < 1e15).then_some(ms as i64)
}

pub fn non_empty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_seconds_or_milliseconds_become_milliseconds() {
        assert_eq!(seconds_or_ms(1_717_600_000.0), Some(1_717_600_000_000));
        assert_eq!(seconds_or_ms(1_717_600_000_123.0), Some(1_717_600_000_123));
        for odd in [0.0, -5.0, f64::NAN, f64::INFINITY, 1e300] {
            assert_eq!(seconds_or_ms(odd), None, "{odd}");
        }
    }
}
