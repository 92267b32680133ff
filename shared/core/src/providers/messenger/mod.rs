//! Facebook Messenger and Instagram Direct (`messenger`), both through Meta's Messenger Platform:
//! one channel is one Facebook Page, and the Instagram professional account linked to it.
//!
//! Webhooks prove themselves as all of Meta's do (`X-Hub-Signature-256` with the app secret, and
//! the `hub.*` subscription handshake); their `object` says which platform wrote. Contacts are
//! known by the id the platform scopes to the page, `psid:` on Messenger and `igsid:` on
//! Instagram, never by a phone. Delivery and read receipts often name no message but a moment
//! (a watermark): every earlier message the page sent in that conversation moves forward to it.
//! Sends are free-form only within 24 hours of the contact's last message, and there are no
//! templates.
//!
//! Reference: <https://developers.facebook.com/documentation/business-messaging/messenger-platform>.

mod config;
mod content;
mod normalize;
mod send;
mod wire;

use serde_json::Value;

pub use config::{MessengerConfig, MessengerSecrets};

use crate::model::{InboundBatch, Media};
use crate::outbound::{FieldError, OutboundBody};
use crate::providers::meta::{authenticate_signature, handshake_reply, SIGNATURE_HEADER};
use crate::providers::{
    Answer, Capabilities, Channel, HttpRequest, Malformed, MediaFetch, MessageRef, PreparedCall,
    Provider, Reply, ResolvedRefs, SendOutcome, Settings, Unauthenticated, WebhookRequest,
};

/// The largest attachment the Send API and the platform's webhooks document.
const MAX_ATTACHMENT_BYTES: u64 = 25 * 1024 * 1024;

pub struct Messenger;

impl Provider for Messenger {
    fn name(&self) -> &'static str {
        "messenger"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            statuses: true,
            service_window: true,
            templates: false,
            reactions: true,
            read_receipts: true,
            media_by_link: true,
            location: false,
            session: false,
        }
    }

    fn webhook_headers(&self) -> &'static [&'static str] {
        &[SIGNATURE_HEADER]
    }

    fn open(&self, config: Value, secrets: Value) -> Result<Box<dyn Channel>, FieldError> {
        Ok(Box::new(MessengerChannel::parse(config, secrets)?))
    }
}

/// A Messenger channel: its settings are all it holds.
pub type MessengerChannel = Settings<MessengerConfig, MessengerSecrets>;

impl Channel for MessengerChannel {
    fn provider(&self) -> &'static dyn Provider {
        &Messenger
    }

    fn handshake(&self, request: &WebhookRequest) -> Option<Result<Reply, Unauthenticated>> {
        Some(handshake_reply(request, &self.secrets.verify_token))
    }

    fn authenticate(&self, request: &WebhookRequest) -> Result<(), Unauthenticated> {
        authenticate_signature(request, &self.secrets.app_secret)
    }

    fn normalize(&self, request: &WebhookRequest) -> Result<InboundBatch, Malformed> {
        normalize::normalize(request.body, &self.config, request.received_at_ms)
    }

    fn address(&self, identities: &[&str]) -> Option<String> {
        send::address(identities)
    }

    fn prepare_send(&self, to: &str, body: &OutboundBody, refs: &ResolvedRefs) -> PreparedCall {
        send::prepare_send(to, body, refs)
    }

    fn request(&self, call: &PreparedCall) -> HttpRequest {
        send::request(&self.config, &self.secrets, call)
    }

    fn classify_send(&self, _call: &PreparedCall, answer: &Answer) -> SendOutcome {
        send::classify_send(answer)
    }

    /// `mark_seen` marks the whole conversation seen: no message is named.
    fn mark_read(&self, to: &str, _last_inbound: &MessageRef) -> Option<PreparedCall> {
        Some(send::mark_seen(to))
    }

    fn classify_mark_read(&self, answer: &Answer) -> Result<(), SendOutcome> {
        send::classify_sender_action(answer)
    }

    /// Attachment URLs in webhooks are direct CDN links that need no token.
    fn media_fetch(&self, media: &Media) -> Option<MediaFetch> {
        let url = media
            .url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())?;
        let lower = url.to_ascii_lowercase();
        (lower.starts_with("https://") || lower.starts_with("http://"))
            .then(|| MediaFetch::Direct(HttpRequest::get(url)))
    }

    fn media_limit_bytes(&self, _content_type: &str) -> Option<u64> {
        Some(MAX_ATTACHMENT_BYTES)
    }
}
