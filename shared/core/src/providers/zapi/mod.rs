//! Z-API (`zapi`): a hosted WhatsApp Web gateway, one instance per connected phone.
//!
//! Webhooks are flat JSON objects told apart by `type` (`ReceivedCallback`,
//! `MessageStatusCallback`, `DeliveryCallback`, `ConnectedCallback`, `DisconnectedCallback`).
//! Z-API signs none of them and their bodies carry no credential, so the unguessable webhook URL
//! is what authenticates them. Calls go to
//! `{base_url}/instances/{instance_id}/token/{instance_token}/…` with a `Client-Token` header.
//!
//! Reference: <https://developer.z-api.io/en/>.

mod config;
mod normalize;
mod received;
mod send;
mod wire;

use serde_json::Value;

pub use config::{ZApiConfig, ZApiSecrets, DEFAULT_BASE_URL};

use crate::media::{direct_fetch, whatsapp_media_limit};
use crate::model::{InboundBatch, Media};
use crate::outbound::{FieldError, OutboundBody};
use crate::providers::{
    Answer, Capabilities, Channel, ConnectionUpdate, HttpRequest, Malformed, MediaFetch,
    MessageRef, PreparedCall, Provider, ResolvedRefs, SendOutcome, Settings, Unauthenticated,
    WebhookRequest,
};

pub struct ZApi;

impl Provider for ZApi {
    fn name(&self) -> &'static str {
        "zapi"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::WHATSAPP_WEB_GATEWAY
    }

    fn open(&self, config: Value, secrets: Value) -> Result<Box<dyn Channel>, FieldError> {
        Ok(Box::new(ZApiChannel::parse(config, secrets)?))
    }
}

/// A ZApi channel: its settings are all it holds.
pub type ZApiChannel = Settings<ZApiConfig, ZApiSecrets>;

impl Channel for ZApiChannel {
    fn provider(&self) -> &'static dyn Provider {
        &ZApi
    }

    fn includes_groups(&self) -> bool {
        self.config.include_groups
    }

    /// Z-API neither signs its webhooks nor puts a credential in them: the URL token, checked
    /// before this is called, is the only proof there is.
    fn authenticate(&self, _request: &WebhookRequest) -> Result<(), Unauthenticated> {
        Ok(())
    }

    fn normalize(&self, request: &WebhookRequest) -> Result<InboundBatch, Malformed> {
        normalize::normalize(
            request.body,
            &self.config.instance_id,
            self.config.include_groups,
            request.received_at_ms,
        )
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

    fn mark_read(&self, to: &str, last_inbound: &MessageRef) -> Option<PreparedCall> {
        Some(send::read_message(to, last_inbound.provider_message_id))
    }

    fn classify_mark_read(&self, answer: &Answer) -> Result<(), SendOutcome> {
        send::classify_mark_read(answer)
    }

    /// Z-API re-hosts every file on its storage and names it in the webhook (`imageUrl`,
    /// `audioUrl`, …): one plain `GET`, no token (its links carry none).
    fn media_fetch(&self, media: &Media) -> Option<MediaFetch> {
        direct_fetch(media)
    }

    fn media_limit_bytes(&self, content_type: &str) -> Option<u64> {
        whatsapp_media_limit(content_type)
    }

    fn connect(&self, _webhook_url: &str) -> Option<PreparedCall> {
        Some(send::qr_code())
    }

    fn classify_connect(&self, answer: &Answer) -> Result<ConnectionUpdate, SendOutcome> {
        send::classify_connect(answer)
    }
}
