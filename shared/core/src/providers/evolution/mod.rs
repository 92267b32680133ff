//! Evolution API v2 (a WhatsApp Web gateway on Baileys) on the provider seam: webhooks
//! normalized, sends built as plain data, the session's QR code.
//!
//! Wire format: `shared/docs/providers.md` §3b and Evolution's own source
//! (<https://github.com/EvolutionAPI/evolution-api>).

mod answers;
mod config;
mod jid;
mod message;
mod normalize;
mod profiles;
mod send;
mod updates;
mod wire;

use serde::Deserialize;
use serde_json::Value;

pub use config::{EvolutionConfig, EvolutionSecrets};
pub use send::{CONNECT, MARK_READ, SEND_LOCATION, SEND_MEDIA, SEND_REACTION, SEND_TEXT};

use crate::identity::stored_identity;
use crate::media::{direct_fetch, whatsapp_media_limit};
use crate::model::{InboundBatch, Media};
use crate::outbound::{FieldError, OutboundBody};
use crate::providers::{
    Answer, Capabilities, Channel, ConnectionUpdate, HttpRequest, Malformed, MediaFetch,
    MessageRef, PreparedCall, Provider, ResolvedRefs, SendOutcome, Settings, Unauthenticated,
    WebhookRequest,
};
use crate::signature::constant_time_eq;

pub struct Evolution;

impl Provider for Evolution {
    fn name(&self) -> &'static str {
        "evolution"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::WHATSAPP_WEB_GATEWAY
    }

    fn open(&self, config: Value, secrets: Value) -> Result<Box<dyn Channel>, FieldError> {
        Ok(Box::new(EvolutionChannel::parse(config, secrets)?))
    }
}

/// A Evolution channel: its settings are all it holds.
pub type EvolutionChannel = Settings<EvolutionConfig, EvolutionSecrets>;

/// The one credential an Evolution webhook body carries; every other field is skipped unread.
#[derive(Deserialize)]
struct BodyCredential {
    apikey: Option<Value>,
}

impl Channel for EvolutionChannel {
    fn provider(&self) -> &'static dyn Provider {
        &Evolution
    }

    fn includes_groups(&self) -> bool {
        self.config.include_groups
    }

    /// Evolution does not sign its webhooks: the URL's token proves them. A body that names an
    /// `apikey` must name this channel's, though; one that names none (or null: the server
    /// hides instance tokens) is accepted, and a body that is not JSON is left for
    /// [`Channel::normalize`] to reject.
    fn authenticate(&self, request: &WebhookRequest) -> Result<(), Unauthenticated> {
        if !normalize::starts_as_object(request.body) {
            return Ok(());
        }
        let apikey = match serde_json::from_slice::<BodyCredential>(request.body) {
            Ok(BodyCredential { apikey }) => apikey,
            // Fails closed: a body whose credential cannot be read (two `apikey` fields) could
            // otherwise slip a wrong one past the check.
            Err(e) if e.is_data() => {
                return Err(Unauthenticated(
                    "the body's apikey could not be read".into(),
                ))
            }
            Err(_) => return Ok(()),
        };
        let matches = match &apikey {
            None | Some(Value::Null) => true,
            Some(Value::String(key)) => {
                constant_time_eq(key.as_bytes(), self.secrets.api_key.as_bytes())
            }
            Some(_) => false,
        };
        if matches {
            Ok(())
        } else {
            Err(Unauthenticated(
                "the body's apikey is not this channel's API key".into(),
            ))
        }
    }

    fn normalize(&self, request: &WebhookRequest) -> Result<InboundBatch, Malformed> {
        let target = normalize::Target {
            instance: &self.config.instance,
            include_groups: self.config.include_groups,
            received_at_ms: request.received_at_ms,
        };
        normalize::normalize(request.body, request.rest, &target)
    }

    /// WhatsApp's own digits when known, else the phone's, else the linked id, else the group.
    fn address(&self, identities: &[&str]) -> Option<String> {
        stored_identity(identities, "wa")
            .map(str::to_string)
            .or_else(|| {
                stored_identity(identities, "phone")
                    .map(|phone| phone.trim_start_matches('+').to_string())
            })
            .or_else(|| stored_identity(identities, "lid").map(str::to_string))
            .or_else(|| stored_identity(identities, "group").map(str::to_string))
    }

    fn prepare_send(&self, to: &str, body: &OutboundBody, refs: &ResolvedRefs) -> PreparedCall {
        send::prepare_send(to, body, refs)
    }

    fn request(&self, call: &PreparedCall) -> HttpRequest {
        send::request(&self.config, &self.secrets, call)
    }

    fn classify_send(&self, _call: &PreparedCall, answer: &Answer) -> SendOutcome {
        answers::classify_send(answer)
    }

    fn mark_read(&self, to: &str, last_inbound: &MessageRef) -> Option<PreparedCall> {
        Some(send::mark_read(to, last_inbound))
    }

    fn classify_mark_read(&self, answer: &Answer) -> Result<(), SendOutcome> {
        answers::classify_mark_read(answer)
    }

    /// Evolution's own copy of the file (`mediaUrl`, when the server uploads media to S3) is
    /// what normalize keeps; without S3 only WhatsApp's encrypted link is left, which is nothing
    /// to copy: for media to be copyable, Evolution must be set up with S3 (or base64 in the
    /// webhook, which Ponte does not store).
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
        answers::classify_connect(answer)
    }
}
