//! Twilio Programmable Messaging (`twilio`): SMS and WhatsApp through one adapter, told apart
//! by the channel's `from` (`+E164` or `whatsapp:+E164`).
//!
//! Webhooks are form-encoded and signed with `X-Twilio-Signature` over the public URL Twilio
//! called plus the sorted parameters, keyed by the auth token; they are answered with an empty
//! TwiML `<Response/>`. Sends go to the Messages API with basic auth and a `StatusCallback`
//! naming the channel's webhook URL, which is how Twilio learns where statuses go.
//!
//! Reference: <https://www.twilio.com/docs/messaging>.

mod config;
mod errors;
mod normalize;
mod send;

use serde_json::Value;

pub use config::{TwilioConfig, TwilioSecrets, DEFAULT_BASE_URL};
pub use normalize::{delivery_status, params};

use crate::media::http_origin;
use crate::model::{InboundBatch, Media};
use crate::outbound::{FieldError, OutboundBody};
use crate::providers::{
    Answer, Capabilities, Channel, HttpRequest, Malformed, MediaFetch, PreparedCall, Provider,
    Reply, ResolvedRefs, SendOutcome, Settings, Unauthenticated, WebhookRequest,
};
use crate::signature::{constant_time_eq, sha256_hex, verify_twilio, SignatureError};

const SIGNATURE_HEADER: &str = "x-twilio-signature";
/// Twilio's own API, where `MediaUrl{N}` point in production.
const TWILIO_API_ORIGIN: &str = "https://api.twilio.com:443";
/// An empty TwiML document: received, nothing to say back.
pub const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

pub struct Twilio;

impl Provider for Twilio {
    fn name(&self) -> &'static str {
        "twilio"
    }

    /// Plain messages and files by link. Twilio's WhatsApp templates are Content API SIDs, not
    /// Meta's names, and it has no reactions or read receipts by this API. Its 24-hour rule
    /// is WhatsApp's only and Twilio enforces it itself (63016, failed with that reason).
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            statuses: true,
            service_window: false,
            templates: false,
            reactions: false,
            read_receipts: false,
            media_by_link: true,
            location: false,
            session: false,
        }
    }

    fn webhook_headers(&self) -> &'static [&'static str] {
        &[SIGNATURE_HEADER]
    }

    fn open(&self, config: Value, secrets: Value) -> Result<Box<dyn Channel>, FieldError> {
        Ok(Box::new(TwilioChannel::parse(config, secrets)?))
    }
}

/// A Twilio channel: its settings are all it holds.
pub type TwilioChannel = Settings<TwilioConfig, TwilioSecrets>;

impl Channel for TwilioChannel {
    fn provider(&self) -> &'static dyn Provider {
        &Twilio
    }

    /// The signature covers the URL and every form parameter. A JSON body instead carries its
    /// SHA-256 in the signed URL (`bodySHA256`), and the signature covers the URL alone.
    fn authenticate(&self, request: &WebhookRequest) -> Result<(), Unauthenticated> {
        let params = match request.query_param("bodySHA256") {
            Some(expected) => {
                let actual = sha256_hex(request.body);
                if !constant_time_eq(actual.as_bytes(), expected.to_ascii_lowercase().as_bytes()) {
                    return Err(Unauthenticated(
                        "the body does not match its bodySHA256".into(),
                    ));
                }
                Vec::new()
            }
            None => params(request.body),
        };
        let token = self.secrets.auth_token.as_bytes();
        verify_twilio(
            token,
            request.url,
            &params,
            request.header(SIGNATURE_HEADER),
        )
        .map_err(|e| {
            Unauthenticated(
                match e {
                    SignatureError::Missing => "X-Twilio-Signature is missing",
                    SignatureError::Malformed => "X-Twilio-Signature is not a base64 SHA-1",
                    SignatureError::Mismatch => {
                        "X-Twilio-Signature does not match the URL and parameters"
                    }
                }
                .into(),
            )
        })
    }

    /// Twilio's forms cannot be malformed as such: a request that is not one of its messages
    /// or statuses is accepted and ignored with its reason.
    fn normalize(&self, request: &WebhookRequest) -> Result<InboundBatch, Malformed> {
        Ok(normalize::normalize(request.body, request.received_at_ms))
    }

    /// Twilio reads the answer to a message as TwiML instructions: an empty `<Response/>` says
    /// nothing back (and is harmless on status callbacks, whose answer it ignores).
    fn reply(&self, _batch: &InboundBatch) -> Option<Reply> {
        Some(Reply {
            status: 200,
            content_type: "text/xml",
            body: EMPTY_TWIML.to_string(),
        })
    }

    fn address(&self, identities: &[&str]) -> Option<String> {
        send::address(&self.config, identities)
    }

    fn prepare_send(&self, to: &str, body: &OutboundBody, _refs: &ResolvedRefs) -> PreparedCall {
        send::prepare_send(&self.config, to, body, None)
    }

    fn prepare_send_reporting_to(
        &self,
        to: &str,
        body: &OutboundBody,
        _refs: &ResolvedRefs,
        webhook_url: &str,
    ) -> PreparedCall {
        send::prepare_send(&self.config, to, body, Some(webhook_url))
    }

    fn request(&self, call: &PreparedCall) -> HttpRequest {
        send::request(&self.config, &self.secrets, call)
    }

    fn classify_send(&self, _call: &PreparedCall, answer: &Answer) -> SendOutcome {
        send::classify_send(answer)
    }

    /// `MediaUrl{N}` answers with basic auth when the account enforces it (and redirects to
    /// the file). The credential goes only to Twilio's API, or to the configured `base_url`'s
    /// origin, never to whatever server a URL in a webhook names.
    fn media_fetch(&self, media: &Media) -> Option<MediaFetch> {
        let url = media.url.as_deref()?.trim();
        let origin = http_origin(url)?;
        let mut request = HttpRequest::get(url);
        let own_origin = http_origin(&self.config.base_url);
        if origin == TWILIO_API_ORIGIN || own_origin.as_deref() == Some(origin.as_str()) {
            request.headers.push((
                "Authorization",
                send::basic_auth(&self.config, &self.secrets),
            ));
        }
        Some(MediaFetch::Direct(request))
    }
}
