//! The provider seam: what every adapter implements, so that the receive, store, send, retry and
//! realtime paths are written once.
//!
//! A [`Provider`] is a registered kind of channel (`meta`, `evolution`, …): it parses a channel's
//! config and secrets once, into a [`Channel`]. A channel knows everything about talking to its
//! provider: how its webhooks prove themselves, how they normalize into an [`InboundBatch`], how
//! a contact is addressed, the API calls it makes (as plain [`HttpRequest`] data) and what the
//! provider's answers mean.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::settings::StoredSettings;
use super::HttpRequest;
use crate::model::InboundBatch;
use crate::outbound::{FieldError, OutboundBody};

/// What a provider's channels can do. Sends of something a provider cannot do are refused up
/// front, naming the provider and the capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Delivery statuses come back by webhook.
    pub statuses: bool,
    /// Free-form messages only within 24 hours of the contact's last message (WhatsApp Cloud API).
    pub service_window: bool,
    pub templates: bool,
    pub reactions: bool,
    pub read_receipts: bool,
    pub media_by_link: bool,
    pub location: bool,
    /// The channel is a session on a phone that can drop and be reconnected (by QR code).
    pub session: bool,
}

impl Capabilities {
    /// A WhatsApp Web session on a linked phone, as Evolution API, Z-API and WPPConnect run
    /// one: no 24-hour customer-service window, and no templates (those are the Cloud API's).
    pub const WHATSAPP_WEB_GATEWAY: Capabilities = Capabilities {
        statuses: true,
        service_window: false,
        templates: false,
        reactions: true,
        read_receipts: true,
        media_by_link: true,
        location: true,
        session: true,
    };

    /// The capability a send body needs that this provider lacks, by its public name.
    pub fn lacks_for(&self, body: &OutboundBody) -> Option<&'static str> {
        let (has, name) = match body {
            OutboundBody::Text { .. } => (true, "text"),
            OutboundBody::Image { .. }
            | OutboundBody::Audio { .. }
            | OutboundBody::Sticker { .. }
            | OutboundBody::Video { .. }
            | OutboundBody::Document { .. } => (self.media_by_link, "media_by_link"),
            OutboundBody::Location { .. } => (self.location, "location"),
            OutboundBody::Reaction { .. } => (self.reactions, "reactions"),
            OutboundBody::Template { .. } => (self.templates, "templates"),
        };
        (!has).then_some(name)
    }
}

/// A registered provider: parses channels of its kind.
pub trait Provider: Sync {
    /// The name in URLs, channel rows and the API: `/webhooks/{name}/{token}`.
    fn name(&self) -> &'static str;

    fn capabilities(&self) -> Capabilities;

    /// Request headers the webhook needs to prove itself (lower-case names); the edge reads only
    /// these.
    fn webhook_headers(&self) -> &'static [&'static str] {
        &[]
    }

    /// Parses a channel's config and secrets, as an API caller gives them at creation and as they
    /// are stored. Errors name the field (`config.base_url`, `secrets.api_key`).
    fn open(&self, config: Value, secrets: Value) -> Result<Box<dyn Channel>, FieldError>;
}

/// One webhook request, as the adapter sees it.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    pub method: &'a str,
    /// The full public URL the provider called, as it signed it ([`public_url`]).
    pub url: &'a str,
    /// The path after the channel token, without its leading slash: `""`, or e.g.
    /// `"messages-upsert"` when Evolution appends the event name.
    pub rest: &'a str,
    /// The decoded query string.
    pub query: &'a [(String, String)],
    /// The headers named by [`Provider::webhook_headers`] that the request carried.
    pub headers: &'a [(&'static str, String)],
    pub body: &'a [u8],
    /// Stands in for a provider timestamp the payload lacks.
    pub received_at_ms: i64,
}

impl WebhookRequest<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The URL a provider called, given the URL the Worker saw: the same path and query on the public
/// origin `public_base`. Behind the router and Cloudflare's edge the origin the Worker sees is not
/// necessarily the one the provider signed (Twilio signs the full URL).
pub fn public_url(public_base: &str, seen: &str) -> String {
    let after_scheme = seen.find("://").map_or(0, |at| at + 3);
    let path_start = seen[after_scheme..]
        .find(['/', '?'])
        .map_or(seen.len(), |at| after_scheme + at);
    format!(
        "{}{}",
        public_base.trim_end_matches('/'),
        &seen[path_start..]
    )
}

/// A webhook that failed to prove itself: answered 401 and logged, its body not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unauthenticated(pub String);

/// A proven webhook whose body is not what the provider sends: answered 400 and kept in the event
/// log, since retrying the same bytes would fail the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a provider expects to read back, when it is not Ponte's JSON receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

/// A call to the provider's API as stored with a message: what to call and with which body,
/// without the base URL or any credential, so that a retry replays exactly this body with the
/// channel's current settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedCall {
    /// The adapter's own name for the endpoint, e.g. `message/sendText`.
    pub endpoint: String,
    pub body: String,
}

/// A provider's answer to a call, raw.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub status: u16,
    pub retry_after: Option<&'a str>,
    pub body: &'a [u8],
}

impl Answer<'_> {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(self.body).ok()
    }

    /// Seconds from a `Retry-After` header, when it gives a number.
    pub fn retry_after_s(&self) -> Option<u32> {
        self.retry_after.and_then(|s| s.trim().parse().ok())
    }
}

/// What a provider made of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Accepted {
        provider_message_id: String,
        /// The provider's canonical id of the recipient, when it reports one (Meta's `wa_id`,
        /// which for older Brazilian numbers lacks the ninth digit the caller dialled). It joins
        /// the contact's identities.
        recipient: Option<String>,
    },
    /// The provider took it but names no id for it (WPPConnect's reactions): it is sent, and no
    /// status will ever follow.
    AcceptedUntracked,
    /// Worth retrying: 429, 5xx, the provider's throttling or temporary codes.
    Transient {
        code: Option<i64>,
        title: String,
        retry_after_s: Option<u32>,
    },
    /// Will fail again: bad request, bad credentials, a refusal the provider names.
    Permanent { code: Option<i64>, title: String },
}

/// The provider ids a send body refers to, resolved by the caller from our ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolvedRefs<'a> {
    /// The message being quoted (from `SendRequest::reply_to`).
    pub reply_to: Option<MessageRef<'a>>,
    /// The message being reacted to (from the reaction's `message_id`).
    pub reaction_to: Option<MessageRef<'a>>,
    /// The provider's own id for the file a media body sends, from its upload API
    /// ([`Channel::media_upload`]); the body's link is then not used.
    pub media_id: Option<&'a str>,
}

/// One stored message as a provider knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageRef<'a> {
    pub provider_message_id: &'a str,
    /// Sent by the business (WhatsApp Web gateways address a message by who sent it too).
    pub outbound: bool,
    /// Its text, for gateways that quote the text along with the id.
    pub text: Option<&'a str>,
}

/// A gateway session's state, as `GET /v1/channels` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    Connected,
    Connecting,
    Disconnected,
    QrRequired,
}

impl ConnectionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::Connecting => "connecting",
            Self::Disconnected => "disconnected",
            Self::QrRequired => "qr_required",
        }
    }
}

/// A QR code to scan with the phone: the raw code and, when the gateway renders one, an image
/// (a `data:` URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qr {
    pub code: Option<String>,
    pub image: Option<String>,
}

/// A change of a gateway session, from a webhook or a connect call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionUpdate {
    pub state: ConnectionState,
    pub qr: Option<Qr>,
}

/// How to download one attachment a webhook referred to, as plain data. Built when the copy runs,
/// from the [`crate::model::Media`] stored with the message and the channel's current credentials,
/// so no credential is ever stored with the job.
#[derive(Clone, PartialEq, Eq)]
pub enum MediaFetch {
    /// The bytes are one request away (a gateway's direct URL, with any header it needs).
    Direct(HttpRequest),
    /// The provider first tells where the bytes are: `lookup` answers JSON in which the JSON
    /// pointer `url_field` names a short-lived URL (Meta's `GET /{media_id}`: `/url`), or, with
    /// `relative_to`, a path under that base (Telegram's `getFile`: `/result/file_path` under
    /// `{base}/file/bot{token}/`). It is then fetched with `download_headers`. A download refused
    /// as expired is resolved again.
    Resolve {
        lookup: HttpRequest,
        url_field: &'static str,
        /// Holds a credential when set (Telegram's token is in its file URLs): never logged.
        relative_to: Option<String>,
        download_headers: Vec<(&'static str, String)>,
    },
}

impl MediaFetch {
    /// The download a `Resolve` lookup's `answer` points at, or `None` when it names none. A
    /// relative path may not climb out of its base or carry a query: the base holds the token.
    pub fn located(
        answer: &Value,
        url_field: &str,
        relative_to: Option<&str>,
        download_headers: &[(&'static str, String)],
    ) -> Option<HttpRequest> {
        let found = answer.pointer(url_field)?.as_str()?.trim();
        if found.is_empty() {
            return None;
        }
        let (url, secret_in_url) = match relative_to {
            None => (found.to_string(), false),
            Some(base) => {
                let escapes = found.starts_with('/')
                    || found.contains("://")
                    || found.split('/').any(|segment| segment == "..")
                    || found
                        .chars()
                        .any(|c| c.is_whitespace() || matches!(c, '?' | '#' | '\\'));
                if escapes {
                    return None;
                }
                (format!("{}/{found}", base.trim_end_matches('/')), true)
            }
        };
        Some(HttpRequest {
            method: "GET",
            url,
            headers: download_headers.to_vec(),
            body: String::new(),
            secret_in_url,
        })
    }
}

/// Leaves the download headers out: they carry the provider's token, and plans end up in logs.
impl std::fmt::Debug for MediaFetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Direct(request) => f.debug_tuple("Direct").field(request).finish(),
            Self::Resolve {
                lookup, url_field, ..
            } => f
                .debug_struct("Resolve")
                .field("lookup", lookup)
                .field("url_field", url_field)
                .field("relative_to", &"<redacted>")
                .field("download_headers", &"<redacted>")
                .finish(),
        }
    }
}

/// A template the business may send: its name and language are what a send names.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Template {
    pub name: String,
    pub language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// As the provider describes them (header, body with its `{{1}}` placeholders, buttons).
    pub components: Vec<Value>,
}

/// A provider's own upload API for a file the business sends, as plain data: a multipart `POST`
/// of the text `fields` and the file's bytes under `file_field`. The edge adds the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct MediaUpload {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub fields: Vec<(&'static str, String)>,
    pub file_field: &'static str,
}

/// Leaves the headers out: they carry the provider's token.
impl std::fmt::Debug for MediaUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaUpload")
            .field("url", &self.url)
            .field("fields", &self.fields)
            .field("file_field", &self.file_field)
            .finish()
    }
}

/// An opened channel: config parsed, secrets in hand.
///
/// Its settings (config, secrets, endpoints) come from [`StoredSettings`], which every
/// [`super::Settings`] of a provider's config and secrets types has.
pub trait Channel: StoredSettings {
    fn provider(&self) -> &'static dyn Provider;

    /// Whether group, broadcast and status messages are stored.
    fn includes_groups(&self) -> bool {
        false
    }

    /// A `GET` to the webhook URL: the subscription handshake, when the provider has one.
    fn handshake(&self, _request: &WebhookRequest) -> Option<Result<Reply, Unauthenticated>> {
        None
    }

    /// Whether the delivery comes from the provider: a signature, a secret header, a credential
    /// in the body. Providers that only have the unguessable URL token accept everything.
    fn authenticate(&self, request: &WebhookRequest) -> Result<(), Unauthenticated>;

    fn normalize(&self, request: &WebhookRequest) -> Result<InboundBatch, Malformed>;

    /// The answer the provider expects; `None` for Ponte's JSON receipt.
    fn reply(&self, _batch: &InboundBatch) -> Option<Reply> {
        None
    }

    /// How the provider addresses a contact, from the contact's stored identities
    /// (`phone:+55…`, `wa:…`, `lid:…`, `group:…`). `None` when it cannot reach them.
    fn address(&self, identities: &[&str]) -> Option<String>;

    /// The call that sends `body` to `to` (from [`Channel::address`]). The body is already
    /// checked against [`Capabilities::lacks_for`].
    fn prepare_send(&self, to: &str, body: &OutboundBody, refs: &ResolvedRefs) -> PreparedCall;

    /// Like [`Channel::prepare_send`], with the channel's public webhook URL for providers that
    /// are told with each send where to post its statuses (Twilio's `StatusCallback`). The
    /// others learn it once, at the provider, and ignore it here.
    fn prepare_send_reporting_to(
        &self,
        to: &str,
        body: &OutboundBody,
        refs: &ResolvedRefs,
        _webhook_url: &str,
    ) -> PreparedCall {
        self.prepare_send(to, body, refs)
    }

    /// The full request for a prepared call: base URL and credentials added.
    fn request(&self, call: &PreparedCall) -> HttpRequest;

    /// What the provider made of `call`, sent with [`Channel::request`].
    fn classify_send(&self, call: &PreparedCall, answer: &Answer) -> SendOutcome;

    /// The call that shows the contact their messages up to `last_inbound` as read.
    fn mark_read(&self, _to: &str, _last_inbound: &MessageRef) -> Option<PreparedCall> {
        None
    }

    /// `Ok` when the provider took the read receipt.
    fn classify_mark_read(&self, answer: &Answer) -> Result<(), SendOutcome> {
        if answer.is_success() {
            Ok(())
        } else {
            Err(classify_http(
                answer,
                "the provider refused the read receipt",
            ))
        }
    }

    /// How to download `media`, or `None` when the provider gave nothing to download it by.
    fn media_fetch(&self, _media: &crate::model::Media) -> Option<MediaFetch> {
        None
    }

    /// The largest attachment of this content type the provider documents, in bytes.
    fn media_limit_bytes(&self, _content_type: &str) -> Option<u64> {
        None
    }

    /// How to hand a file of `content_type` to the provider's own upload API, when it has one;
    /// without one, a file is sent by a signed link to it.
    fn media_upload(&self, _content_type: &str) -> Option<MediaUpload> {
        None
    }

    /// The provider's id for the uploaded file, or why it refused it.
    fn parse_media_upload(&self, answer: &Answer) -> Result<String, SendOutcome> {
        Err(classify_http(answer, "the provider refused the upload"))
    }

    /// The call that lists the templates the business may send, or why this channel cannot:
    /// only providers with templates keep them.
    fn templates_request(&self) -> Result<HttpRequest, String> {
        Err(format!(
            "{} channels have no templates",
            self.provider().name()
        ))
    }

    /// The templates in the provider's answer, or why it refused.
    fn parse_templates(&self, answer: &Answer) -> Result<Vec<Template>, SendOutcome> {
        Err(classify_http(
            answer,
            "the provider refused the template list",
        ))
    }

    /// The call that asks a gateway for a new session or QR code, or points the provider at
    /// `webhook_url`, the channel's public webhook URL (Telegram's `setWebhook`).
    fn connect(&self, _webhook_url: &str) -> Option<PreparedCall> {
        None
    }

    /// What the provider said about its session in answer to [`Channel::connect`].
    fn classify_connect(&self, answer: &Answer) -> Result<ConnectionUpdate, SendOutcome> {
        if answer.is_success() {
            Ok(ConnectionUpdate {
                state: ConnectionState::Connecting,
                qr: None,
            })
        } else {
            Err(classify_http(answer, "the gateway refused to connect"))
        }
    }
}

/// The classification every HTTP API shares: 429 and 5xx are worth retrying, the rest is not.
/// `title` is used when the answer gives no reason of its own.
pub fn classify_http(answer: &Answer, title: &str) -> SendOutcome {
    let reason = answer
        .json()
        .as_ref()
        .and_then(error_reason)
        .unwrap_or_else(|| format!("{title} (HTTP {})", answer.status));
    if answer.status == 429 || (500..600).contains(&answer.status) {
        SendOutcome::Transient {
            code: Some(i64::from(answer.status)),
            title: reason,
            retry_after_s: answer.retry_after_s(),
        }
    } else {
        SendOutcome::Permanent {
            code: Some(i64::from(answer.status)),
            title: reason,
        }
    }
}

const MAX_REASON_CHARS: usize = 300;

/// The human-readable reason in a gateway's error body: `message` (a string or a list of them),
/// `error`, or `response.message`, cut to a loggable length.
pub fn error_reason(json: &Value) -> Option<String> {
    let candidates = [
        json.get("message"),
        json.pointer("/response/message"),
        json.get("error"),
        json.pointer("/error/message"),
    ];
    let text = candidates.into_iter().flatten().find_map(|v| match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        _ => None,
    })?;
    Some(truncate(text, MAX_REASON_CHARS))
}

pub(crate) fn truncate(text: String, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text;
    }
    let mut cut: String = text.chars().take(max_chars - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> SendOutcome {
        classify_http(
            &Answer {
                status,
                retry_after: Some("7"),
                body: body.as_bytes(),
            },
            "fallback",
        )
    }

    #[test]
    fn http_failures_split_into_transient_and_permanent_with_the_gateways_reason() {
        assert_eq!(
            answer(503, ""),
            SendOutcome::Transient {
                code: Some(503),
                title: "fallback (HTTP 503)".into(),
                retry_after_s: Some(7)
            }
        );
        assert!(matches!(answer(429, "{}"), SendOutcome::Transient { .. }));
        assert_eq!(
            answer(
                400,
                r#"{"status":400,"error":"Bad Request","response":{"message":["number is not on WhatsApp"]}}"#
            ),
            SendOutcome::Permanent {
                code: Some(400),
                title: "number is not on WhatsApp".into()
            }
        );
        assert_eq!(
            answer(401, r#"{"message":"Unauthorized"}"#),
            SendOutcome::Permanent {
                code: Some(401),
                title: "Unauthorized".into()
            }
        );
    }

    #[test]
    fn the_public_url_keeps_the_path_and_query_on_the_public_origin() {
        let seen = "http://ponte-webhook-receiver/webhooks/twilio/t0k?a=1&b=It%27s";
        assert_eq!(
            public_url("https://ponte.example.com/", seen),
            "https://ponte.example.com/webhooks/twilio/t0k?a=1&b=It%27s"
        );
        assert_eq!(
            public_url("https://p.example", "http://127.0.0.1:8787?x=1"),
            "https://p.example?x=1"
        );
    }

    #[test]
    fn long_reasons_are_cut() {
        let body = serde_json::json!({ "message": "x".repeat(1000) }).to_string();
        let SendOutcome::Permanent { title, .. } = answer(400, &body) else {
            panic!("permanent")
        };
        assert_eq!(title.chars().count(), MAX_REASON_CHARS);
    }

    #[test]
    fn a_capability_a_provider_lacks_is_named() {
        let caps = Capabilities {
            statuses: true,
            service_window: false,
            templates: false,
            reactions: true,
            read_receipts: true,
            media_by_link: true,
            location: true,
            session: true,
        };
        let template = OutboundBody::Template {
            name: "t".into(),
            language: "pt_BR".into(),
            components: Vec::new(),
        };
        assert_eq!(caps.lacks_for(&template), Some("templates"));
        let text = OutboundBody::Text {
            body: "oi".into(),
            preview_url: false,
        };
        assert_eq!(caps.lacks_for(&text), None);
    }
}
