//! WPPConnect Server's answers to sends, read receipts and session starts, classified.

use serde_json::Value;

use super::send::REACT_MESSAGE;
use super::wire::{message_id, serialized, MessageKey, Party};
use crate::providers::seam::truncate;
use crate::providers::{classify_http, Answer, SendOutcome};

const MAX_TITLE_CHARS: usize = 300;

/// A send answered 201 `{status:"success", response:[…], mapper}`: `response` holds the sent
/// messages (`send-message`) or `{ack, id}` (files, voice, location), one per recipient. The
/// recipient's digits come from the message's `to`, else from the chat in its id.
pub fn classify_send(endpoint: &str, answer: &Answer) -> SendOutcome {
    let json = answer.json().unwrap_or(Value::Null);
    if !answer.is_success() || says_error(&json) {
        return refusal(answer, "WPPConnect refused the message");
    }
    let first = match json.get("response") {
        Some(Value::Array(items)) => items.first(),
        other => other,
    }
    .filter(|sent| sent.is_object());
    let Some((sent, id)) =
        first.and_then(|sent| Some((sent, sent.get("id").and_then(message_id)?)))
    else {
        // `react-message` succeeds without naming a message (`{"response":{"message":"Reaction
        // sended"}}`): WhatsApp took it, and a reaction has no statuses to follow.
        if endpoint == REACT_MESSAGE {
            return SendOutcome::AcceptedUntracked;
        }
        // Any other send: retrying could send it twice.
        let said = first
            .and_then(|r| r.get("message"))
            .and_then(Value::as_str)
            .map(|m| format!(" ({})", truncate(m.to_string(), 80)))
            .unwrap_or_default();
        return SendOutcome::Permanent {
            code: Some(i64::from(answer.status)),
            title: format!("WPPConnect answered without a message id{said}"),
        };
    };
    let to = sent
        .get("to")
        .and_then(serialized)
        .or_else(|| MessageKey::parse(&id).map(|key| key.remote));
    let recipient = match to.as_deref().and_then(Party::of) {
        Some(Party::Person(digits)) => Some(digits),
        _ => None,
    };
    SendOutcome::Accepted {
        provider_message_id: id,
        recipient,
    }
}

pub fn classify_mark_read(answer: &Answer) -> Result<(), SendOutcome> {
    let json = answer.json().unwrap_or(Value::Null);
    if answer.is_success() && !says_error(&json) {
        return Ok(());
    }
    Err(refusal(answer, "WPPConnect refused the read receipt"))
}

fn says_error(json: &Value) -> bool {
    json.get("status")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("error"))
}

/// A failed call. The server answers 500 `{status:"Error", message:"Erro ao enviar a
/// mensagem.", error}` whatever went wrong, so the reason inside `error` is added. Two answers
/// say more than their status: the session being down (404 `Disconnected`, from the
/// middleware) passes once the phone reconnects, and a file the server could not fetch
/// (`error.code` `empty_file`) will not appear on a retry.
pub fn refusal(answer: &Answer, title: &str) -> SendOutcome {
    let json = answer.json().unwrap_or(Value::Null);
    let detail = ["/error/message", "/error/text", "/error/code"]
        .into_iter()
        .find_map(|pointer| json.pointer(pointer)?.as_str())
        .filter(|detail| !detail.trim().is_empty());
    let disconnected =
        answer.status == 404 && json.get("status").and_then(Value::as_str) == Some("Disconnected");
    let unfetchable = json.pointer("/error/code").and_then(Value::as_str) == Some("empty_file");
    let with_detail = |reason: String| match detail {
        Some(detail) if !reason.contains(detail) => {
            truncate(format!("{reason}: {detail}"), MAX_TITLE_CHARS)
        }
        _ => reason,
    };
    match classify_http(answer, title) {
        SendOutcome::Permanent { code, title } if disconnected => SendOutcome::Transient {
            code,
            title,
            retry_after_s: answer.retry_after_s(),
        },
        SendOutcome::Transient { code, title, .. } if unfetchable => SendOutcome::Permanent {
            code,
            title: with_detail(title),
        },
        SendOutcome::Transient {
            code,
            title,
            retry_after_s,
        } => SendOutcome::Transient {
            code,
            title: with_detail(title),
            retry_after_s,
        },
        SendOutcome::Permanent { code, title } => SendOutcome::Permanent {
            code,
            title: with_detail(title),
        },
        accepted @ (SendOutcome::Accepted { .. } | SendOutcome::AcceptedUntracked) => accepted,
    }
}
