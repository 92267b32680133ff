//! Evolution's answers to sends, read receipts and connect calls, classified into accepted /
//! worth retrying / will fail again.

use serde_json::Value;

use super::jid::Jid;
use crate::providers::seam::truncate;
use crate::providers::{classify_http, Answer, ConnectionState, ConnectionUpdate, Qr, SendOutcome};

const MAX_REASON_CHARS: usize = 300;

/// A send answered with the stored message (`{key:{remoteJid, fromMe, id}, …}`) is accepted.
pub fn classify_send(answer: &Answer) -> SendOutcome {
    if !answer.is_success() {
        return classify_failure(answer, "Evolution refused the message");
    }
    let json = answer.json();
    let key = json.as_ref().and_then(|j| j.get("key"));
    let id = key
        .and_then(|k| k.get("id"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|id| !id.is_empty());
    let Some(id) = id else {
        // It may have gone out, but no status could ever be matched to it; a retry could
        // deliver it twice.
        return SendOutcome::Permanent {
            code: Some(i64::from(answer.status)),
            title: "Evolution answered without a message id; not retried to avoid a duplicate"
                .into(),
        };
    };
    let recipient = key
        .and_then(|k| k.get("remoteJid"))
        .and_then(Value::as_str)
        .filter(|jid| jid.ends_with("@s.whatsapp.net"))
        .and_then(Jid::parse)
        .map(|jid| jid.recipient_id().to_string());
    SendOutcome::Accepted {
        provider_message_id: id.to_string(),
        recipient,
    }
}

pub fn classify_mark_read(answer: &Answer) -> Result<(), SendOutcome> {
    if answer.is_success() {
        Ok(())
    } else {
        Err(classify_failure(
            answer,
            "Evolution refused the read receipt",
        ))
    }
}

/// `{pairingCode, code, base64, count}` while a QR code is on offer, `{instance:{state}}` once
/// the session is open. Evolution reports some failures with 200 and `{"error":true}`.
pub fn classify_connect(answer: &Answer) -> Result<ConnectionUpdate, SendOutcome> {
    if !answer.is_success() {
        return Err(classify_failure(answer, "Evolution refused to connect"));
    }
    let json = answer.json().unwrap_or(Value::Null);
    if json.get("error").and_then(Value::as_bool) == Some(true) {
        return Err(SendOutcome::Permanent {
            code: Some(i64::from(answer.status)),
            title: refusal_reason(&json)
                .unwrap_or_else(|| "Evolution could not start the session".into()),
        });
    }
    let text = |value: Option<&Value>| {
        value
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let qr_source = json
        .get("qrcode")
        .filter(|q| q.is_object())
        .unwrap_or(&json);
    let qr = Qr {
        code: text(qr_source.get("code")),
        image: text(qr_source.get("base64")),
    };
    let instance = json.get("instance");
    let state = text(instance.and_then(|i| i.get("state").or_else(|| i.get("status"))));
    let connection = |state| ConnectionUpdate { state, qr: None };
    Ok(match state.as_deref() {
        Some("open") => connection(ConnectionState::Connected),
        _ if qr.code.is_some() || qr.image.is_some() => ConnectionUpdate {
            state: ConnectionState::QrRequired,
            qr: Some(qr),
        },
        Some("close" | "refused") => connection(ConnectionState::Disconnected),
        _ => connection(ConnectionState::Connecting),
    })
}

fn classify_failure(answer: &Answer, fallback: &str) -> SendOutcome {
    let outcome = classify_http(answer, fallback);
    let Some(reason) = answer.json().as_ref().and_then(refusal_reason) else {
        return outcome;
    };
    match outcome {
        SendOutcome::Transient {
            code,
            retry_after_s,
            ..
        } => SendOutcome::Transient {
            code,
            title: reason,
            retry_after_s,
        },
        SendOutcome::Permanent { code, .. } => SendOutcome::Permanent {
            code,
            title: reason,
        },
        accepted => accepted,
    }
}

/// Evolution's error body is `{status, error, response:{message}}`, where `message` nests lists
/// of texts (schema violations) or of `onWhatsApp` results (`{exists:false, number, jid}`).
fn refusal_reason(json: &Value) -> Option<String> {
    fn collect(value: &Value, out: &mut Vec<String>, depth: usize) {
        match value {
            Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
            Value::Array(items) if depth < 4 => {
                for item in items {
                    collect(item, out, depth + 1);
                }
            }
            Value::Object(o) if o.get("exists").and_then(Value::as_bool) == Some(false) => {
                let who = ["number", "jid"]
                    .iter()
                    .find_map(|k| o.get(*k).and_then(Value::as_str))
                    .unwrap_or("the number");
                out.push(format!("{who} is not on WhatsApp"));
            }
            _ => {}
        }
    }
    let message = json
        .pointer("/response/message")
        .or_else(|| json.get("message"))?;
    let mut parts = Vec::new();
    collect(message, &mut parts, 0);
    (!parts.is_empty()).then(|| truncate(parts.join("; "), MAX_REASON_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_what_evolution_found_wrong() {
        let absent = serde_json::json!({"status": 400, "error": "Bad Request",
            "response": {"message": [{"jid": "5511900000000@s.whatsapp.net", "exists": false, "number": "5511900000000"}]}});
        assert_eq!(
            refusal_reason(&absent).as_deref(),
            Some("5511900000000 is not on WhatsApp")
        );
        let schema =
            serde_json::json!({"response": {"message": [["instance requires property \"text\""]]}});
        assert_eq!(
            refusal_reason(&schema).as_deref(),
            Some("instance requires property \"text\"")
        );
        assert_eq!(refusal_reason(&serde_json::json!({"response": {}})), None);
    }
}
