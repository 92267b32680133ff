//! WPPConnect Server (wppconnect-team/wppconnect-server), a WhatsApp Web gateway: one session
//! per channel, webhooks `{event, session, ...}` at the channel's URL, sends as
//! `POST {base_url}/api/{session}/…` with the session's bearer token.
//!
//! Format: `shared/docs/providers.md` §3d, and the server's `src/util/createSessionUtil.ts`
//! (which events are posted), `src/controller/messageController.ts` (send bodies and answers).
//! What Ponte needs from the server's `webhook` settings, each off by default: `listenAcks`
//! (statuses), `onSelfMessage` (the business's own messages, echoes of API sends included),
//! `onReactionMessage` and `onRevokedMessage`; `autoDownload` with `uploadS3` for media links
//! that are not WhatsApp's encrypted ones. The `mapper` (tagone) must stay off: it rewrites the
//! bodies.
//!
//! A message is named by its serialized id (`false_5521…@c.us_3EB0…`): that is what every
//! stored WPPConnect message, reply context and status refers to, and what the server takes
//! back in `quotedMsg` and `msgId`.

mod answers;
mod config;
mod content;
mod message;
mod normalize;
mod send;
mod session;
mod wire;

use serde_json::Value;

pub use config::{WppConnectConfig, WppConnectSecrets};
pub use normalize::parse_webhook;

use crate::identity::stored_identity;
use crate::media::{direct_fetch, whatsapp_media_limit};
use crate::model::{InboundBatch, Media};
use crate::outbound::{FieldError, OutboundBody};
use crate::providers::{
    Answer, Capabilities, Channel, ConnectionUpdate, HttpRequest, Malformed, MediaFetch,
    MessageRef, PreparedCall, Provider, ResolvedRefs, SendOutcome, Settings, Unauthenticated,
    WebhookRequest,
};

pub struct WppConnect;

impl Provider for WppConnect {
    fn name(&self) -> &'static str {
        "wppconnect"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::WHATSAPP_WEB_GATEWAY
    }

    fn open(&self, config: Value, secrets: Value) -> Result<Box<dyn Channel>, FieldError> {
        Ok(Box::new(WppConnectChannel::parse(config, secrets)?))
    }
}

/// A WppConnect channel: its settings are all it holds.
pub type WppConnectChannel = Settings<WppConnectConfig, WppConnectSecrets>;

impl Channel for WppConnectChannel {
    fn provider(&self) -> &'static dyn Provider {
        &WppConnect
    }

    fn includes_groups(&self) -> bool {
        self.config.include_groups
    }

    /// WPPConnect neither signs its webhooks nor puts a credential in them: the unguessable
    /// URL token is the proof.
    fn authenticate(&self, _request: &WebhookRequest) -> Result<(), Unauthenticated> {
        Ok(())
    }

    fn normalize(&self, request: &WebhookRequest) -> Result<InboundBatch, Malformed> {
        parse_webhook(request.body, &self.config, request.received_at_ms)
    }

    /// The number WhatsApp registered (`wa:`), else the phone's digits; the server checks the
    /// number and finds the registered form itself. A linked id only when nothing else is
    /// known, then the group or newsletter. Broadcast lists cannot be sent to.
    fn address(&self, identities: &[&str]) -> Option<String> {
        let digits = |value: &str| {
            let digits = value.trim_start_matches('+');
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| digits.to_string())
        };
        if let Some(wa) = stored_identity(identities, "wa").and_then(digits) {
            return Some(wa);
        }
        if let Some(phone) = stored_identity(identities, "phone").and_then(digits) {
            return Some(phone);
        }
        if let Some(lid) = stored_identity(identities, "lid") {
            let user = lid.strip_suffix("@lid").unwrap_or(lid);
            return digits(user).map(|user| format!("{user}@lid"));
        }
        let group = stored_identity(identities, "group")?;
        match group.split_once('@') {
            None => Some(format!("{group}@g.us")),
            Some((_, "g.us" | "newsletter")) => Some(group.to_string()),
            Some(_) => None,
        }
    }

    fn prepare_send(&self, to: &str, body: &OutboundBody, refs: &ResolvedRefs) -> PreparedCall {
        send::prepare(to, body, refs)
    }

    fn request(&self, call: &PreparedCall) -> HttpRequest {
        send::request(&self.config, &self.secrets, call)
    }

    fn classify_send(&self, call: &PreparedCall, answer: &Answer) -> SendOutcome {
        answers::classify_send(&call.endpoint, answer)
    }

    fn mark_read(&self, to: &str, last_inbound: &MessageRef) -> Option<PreparedCall> {
        Some(send::mark_read(to, last_inbound))
    }

    fn classify_mark_read(&self, answer: &Answer) -> Result<(), SendOutcome> {
        answers::classify_mark_read(answer)
    }

    /// The server's S3 copy (`fileUrl`, with `autoDownload` and `uploadS3` on) is one plain
    /// `GET`; the fallback normalize keeps, WhatsApp's encrypted `deprecatedMms3Url`, is nothing
    /// to copy.
    fn media_fetch(&self, media: &Media) -> Option<MediaFetch> {
        direct_fetch(media)
    }

    fn media_limit_bytes(&self, content_type: &str) -> Option<u64> {
        whatsapp_media_limit(content_type)
    }

    fn connect(&self, _webhook_url: &str) -> Option<PreparedCall> {
        Some(send::connect())
    }

    fn classify_connect(&self, answer: &Answer) -> Result<ConnectionUpdate, SendOutcome> {
        session::connect_update(answer)
    }
}
