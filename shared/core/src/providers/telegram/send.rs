//! Calls to the Bot API: `POST {base_url}/bot{token}/{method}` with a JSON body, answered
//! `{"ok":true,"result":…}` or `{"ok":false,"error_code":…,"description":…,"parameters":…}`.

use serde_json::{json, Map, Value};

use super::config::{TelegramConfig, TelegramSecrets};
use super::normalize::message_key;
use crate::identity::stored_identity;
use crate::model::Media;
use crate::outbound::OutboundBody;
use crate::providers::seam::truncate;
use crate::providers::{
    classify_http, Answer, ConnectionState, ConnectionUpdate, HttpRequest, MediaFetch,
    PreparedCall, ResolvedRefs, SendOutcome,
};

pub const SET_WEBHOOK: &str = "setWebhook";
/// The update kinds Ponte reads; `message_reaction` is only sent when asked for.
const ALLOWED_UPDATES: [&str; 6] = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "message_reaction",
];
const MAX_REASON_CHARS: usize = 300;

/// The chat a contact is reached in: a user's id is their private chat's id; a group is kept
/// as `group:tg:{chat_id}`.
pub fn address(identities: &[&str]) -> Option<String> {
    stored_identity(identities, "tg")
        .or_else(|| {
            identities
                .iter()
                .find_map(|i| i.strip_prefix("group:tg:"))
                .filter(|id| !id.is_empty())
        })
        .map(str::to_string)
}

/// Chat ids are numbers (`@channelname` also names a public channel): sent as Telegram has them.
fn chat_id(to: &str) -> Value {
    to.parse::<i64>().map_or_else(|_| json!(to), Value::from)
}

/// The message id within its chat of a stored `{chat_id}:{message_id}`.
fn id_in_chat(provider_message_id: &str) -> Option<(Value, i64)> {
    let (chat, id) = provider_message_id.split_once(':')?;
    let id = id.split(':').next()?.parse().ok()?;
    Some((chat_id(chat), id))
}

/// Audio Telegram plays as a voice note is OGG/Opus; `sendAudio` wants MP3 or M4A.
fn is_voice(link: &str) -> bool {
    let path = link.split(['?', '#']).next().unwrap_or_default();
    let lower = path.to_ascii_lowercase();
    [".ogg", ".oga", ".opus"].iter().any(|e| lower.ends_with(e))
}

pub fn prepare_send(to: &str, body: &OutboundBody, refs: &ResolvedRefs) -> PreparedCall {
    let mut fields = Map::new();
    fields.insert("chat_id".into(), chat_id(to));
    let mut put = |key: &str, value: Value| {
        fields.insert(key.into(), value);
    };
    let caption = |c: &Option<String>| c.clone().filter(|c| !c.is_empty()).map(Value::from);
    let method = match body {
        OutboundBody::Text { body, preview_url } => {
            put("text", json!(body));
            // WhatsApp shows no preview unless asked; Telegram shows one unless told not to.
            put(
                "link_preview_options",
                json!({ "is_disabled": !preview_url }),
            );
            "sendMessage"
        }
        OutboundBody::Image { link, caption: c } => {
            put("photo", json!(link));
            if let Some(c) = caption(c) {
                put("caption", c);
            }
            "sendPhoto"
        }
        OutboundBody::Video { link, caption: c } => {
            put("video", json!(link));
            if let Some(c) = caption(c) {
                put("caption", c);
            }
            "sendVideo"
        }
        OutboundBody::Document {
            link, caption: c, ..
        } => {
            // A document by URL is named by its URL; Telegram takes no file name with it.
            put("document", json!(link));
            if let Some(c) = caption(c) {
                put("caption", c);
            }
            "sendDocument"
        }
        OutboundBody::Audio { link } if is_voice(link) => {
            put("voice", json!(link));
            "sendVoice"
        }
        OutboundBody::Audio { link } => {
            put("audio", json!(link));
            "sendAudio"
        }
        OutboundBody::Sticker { link } => {
            put("sticker", json!(link));
            "sendSticker"
        }
        OutboundBody::Location {
            latitude,
            longitude,
            ..
        } => {
            put("latitude", json!(latitude));
            put("longitude", json!(longitude));
            "sendLocation"
        }
        OutboundBody::Reaction { emoji, .. } => {
            // The reacted message may be in another chat only in theory; its own chat wins.
            let target = refs
                .reaction_to
                .and_then(|m| id_in_chat(m.provider_message_id));
            let (chat, id) = target.unwrap_or((chat_id(to), 0));
            put("chat_id", chat);
            put("message_id", json!(id));
            let reaction = if emoji.is_empty() {
                json!([])
            } else {
                json!([{ "type": "emoji", "emoji": emoji }])
            };
            put("reaction", reaction);
            "setMessageReaction"
        }
        // Refused before this by the capabilities; kept total.
        OutboundBody::Template { name, .. } => {
            put("text", json!(name));
            "sendMessage"
        }
    };
    let quoted = refs
        .reply_to
        .and_then(|m| id_in_chat(m.provider_message_id));
    if let (Some((_, id)), false) = (quoted, method == "setMessageReaction") {
        // A quoted message deleted meanwhile should not cost the reply.
        put(
            "reply_parameters",
            json!({ "message_id": id, "allow_sending_without_reply": true }),
        );
    }
    PreparedCall {
        endpoint: method.into(),
        body: Value::Object(fields).to_string(),
    }
}

/// `setWebhook` to the channel's URL. The secret is added by [`request`], so the prepared call
/// holds no credential.
pub fn set_webhook(webhook_url: &str) -> PreparedCall {
    PreparedCall {
        endpoint: SET_WEBHOOK.into(),
        body: json!({ "url": webhook_url, "allowed_updates": ALLOWED_UPDATES }).to_string(),
    }
}

fn bot_url(config: &TelegramConfig, secrets: &TelegramSecrets, method: &str) -> String {
    format!("{}/bot{}/{method}", config.base_url, secrets.bot_token)
}

pub fn request(
    config: &TelegramConfig,
    secrets: &TelegramSecrets,
    call: &PreparedCall,
) -> HttpRequest {
    let mut body = call.body.clone();
    if call.endpoint == SET_WEBHOOK {
        if let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(&body) {
            fields.insert("secret_token".into(), json!(secrets.webhook_secret()));
            body = Value::Object(fields).to_string();
        }
    }
    HttpRequest {
        method: "POST",
        url: bot_url(config, secrets, &call.endpoint),
        headers: vec![("Content-Type", "application/json".to_string())],
        body,
        secret_in_url: true,
    }
}

/// Accepted with `{chat_id}:{message_id}` of the message Telegram made; `setMessageReaction`
/// answers `true` and names none. Failures carry Telegram's `description`; 429 its
/// `parameters.retry_after`.
pub fn classify_send(answer: &Answer) -> SendOutcome {
    let json = answer.json();
    let ok = json
        .as_ref()
        .and_then(|j| j.get("ok"))
        .and_then(Value::as_bool);
    if !answer.is_success() || ok == Some(false) {
        return failure(answer, json.as_ref());
    }
    let result = json.as_ref().and_then(|j| j.get("result"));
    if result == Some(&Value::Bool(true)) {
        return SendOutcome::AcceptedUntracked;
    }
    let id = result.and_then(|r| {
        let chat = r.pointer("/chat/id")?.as_i64()?;
        Some(message_key(chat, r.get("message_id")?.as_i64()?))
    });
    match id {
        Some(provider_message_id) => SendOutcome::Accepted {
            provider_message_id,
            recipient: None,
        },
        // Telegram may have sent it: retrying could send it twice.
        None => SendOutcome::Permanent {
            code: None,
            title: "Telegram answered without a message; not retried to avoid a duplicate".into(),
        },
    }
}

fn failure(answer: &Answer, json: Option<&Value>) -> SendOutcome {
    let Some(json) = json else {
        return classify_http(answer, "Telegram refused the call");
    };
    let code = json
        .get("error_code")
        .and_then(Value::as_i64)
        .unwrap_or(i64::from(answer.status));
    let title = json
        .get("description")
        .and_then(Value::as_str)
        .filter(|d| !d.trim().is_empty())
        .map(|d| truncate(d.trim().to_string(), MAX_REASON_CHARS))
        .unwrap_or_else(|| format!("Telegram refused the call (HTTP {})", answer.status));
    let retry_after_s = json
        .pointer("/parameters/retry_after")
        .and_then(Value::as_u64)
        .and_then(|s| u32::try_from(s).ok())
        .or_else(|| answer.retry_after_s());
    if code == 429 || answer.status == 429 || (500..600).contains(&answer.status) {
        SendOutcome::Transient {
            code: Some(code),
            title,
            retry_after_s,
        }
    } else {
        SendOutcome::Permanent {
            code: Some(code),
            title,
        }
    }
}

/// `setWebhook` answers `{"ok":true,"result":true,"description":"Webhook was set"}`.
pub fn classify_connect(answer: &Answer) -> Result<ConnectionUpdate, SendOutcome> {
    match classify_send(answer) {
        SendOutcome::Accepted { .. } | SendOutcome::AcceptedUntracked => Ok(ConnectionUpdate {
            state: ConnectionState::Connected,
            qr: None,
        }),
        refused => Err(refused),
    }
}

/// `getFile` names the file's path, downloaded under `{base_url}/file/bot{token}/`. File ids are
/// URL-safe base64; anything else is refused so that a webhook cannot steer the token.
pub fn media_fetch(
    config: &TelegramConfig,
    secrets: &TelegramSecrets,
    media: &Media,
) -> Option<MediaFetch> {
    let id = media.id.as_deref().map(str::trim)?;
    let safe = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !safe {
        return None;
    }
    Some(MediaFetch::Resolve {
        lookup: HttpRequest {
            method: "GET",
            url: format!("{}?file_id={id}", bot_url(config, secrets, "getFile")),
            headers: Vec::new(),
            body: String::new(),
            secret_in_url: true,
        },
        url_field: "/result/file_path",
        relative_to: Some(format!("{}/file/bot{}", config.base_url, secrets.bot_token)),
        download_headers: Vec::new(),
    })
}
