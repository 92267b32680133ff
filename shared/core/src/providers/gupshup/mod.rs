//! GupShup's WhatsApp API (`gupshup`), a Business Solution Provider in front of the Cloud API.
//!
//! Callbacks are v2 envelopes (`message`, `message-event`, …) or, for apps moved to v3, the
//! Cloud API's own shape with GupShup's ids beside WhatsApp's. GupShup does not sign them: the
//! unguessable URL token proves them, and a callback for another app is ignored. Sends are one
//! form-encoded endpoint with the `apikey` header. The 24-hour window is WhatsApp's.
//!
//! Reference: <https://docs.gupshup.io/docs/whatsapp-api-documentation>.

mod config;
mod normalize;
mod send;
mod wire;

pub use config::{GupshupConfig, GupshupSecrets, DEFAULT_BASE_URL};
pub use send::MESSAGES;

use serde_json::Value;

use crate::media::{direct_fetch, whatsapp_media_limit};
use crate::model::{InboundBatch, Media};
use crate::outbound::{FieldError, OutboundBody};
use crate::providers::{
    Answer, Capabilities, Channel, HttpRequest, Malformed, MediaFetch, PreparedCall, Provider,
    ResolvedRefs, SendOutcome, Settings, Unauthenticated, WebhookRequest,
};

pub struct Gupshup;

impl Provider for Gupshup {
    fn name(&self) -> &'static str {
        "gupshup"
    }

    /// The Cloud API's, less what GupShup serves on other endpoints: its templates are
    /// GupShup template ids, and read receipts need the app's id.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            statuses: true,
            service_window: true,
            templates: false,
            reactions: true,
            read_receipts: false,
            media_by_link: true,
            location: true,
            session: false,
        }
    }

    fn open(&self, config: Value, secrets: Value) -> Result<Box<dyn Channel>, FieldError> {
        Ok(Box::new(GupshupChannel::parse(config, secrets)?))
    }
}

/// A GupShup channel: its settings are all it holds.
pub type GupshupChannel = Settings<GupshupConfig, GupshupSecrets>;

impl Channel for GupshupChannel {
    fn provider(&self) -> &'static dyn Provider {
        &Gupshup
    }

    /// GupShup has no signature to check; the URL's token is the proof.
    fn authenticate(&self, _request: &WebhookRequest) -> Result<(), Unauthenticated> {
        Ok(())
    }

    fn normalize(&self, request: &WebhookRequest) -> Result<InboundBatch, Malformed> {
        normalize::normalize(request.body, &self.config.app_name, request.received_at_ms)
    }

    fn address(&self, identities: &[&str]) -> Option<String> {
        send::address(identities)
    }

    fn prepare_send(&self, to: &str, body: &OutboundBody, refs: &ResolvedRefs) -> PreparedCall {
        send::prepare_send(&self.config, to, body, refs)
    }

    fn request(&self, call: &PreparedCall) -> HttpRequest {
        send::request(&self.config, &self.secrets, call)
    }

    fn classify_send(&self, _call: &PreparedCall, answer: &Answer) -> SendOutcome {
        send::classify_send(answer)
    }

    /// GupShup's file manager serves the file by its URL alone, for a limited time.
    fn media_fetch(&self, media: &Media) -> Option<MediaFetch> {
        direct_fetch(media)
    }

    fn media_limit_bytes(&self, content_type: &str) -> Option<u64> {
        whatsapp_media_limit(content_type)
    }
}
