//! Provider adapters, one folder each, behind one seam ([`Provider`] and [`Channel`]): each turns
//! its provider's webhooks into an [`crate::model::InboundBatch`] and builds its API calls as
//! plain [`HttpRequest`] data for the edge to send. Nothing outside the adapters names a provider.

pub mod endpoints;
pub mod evolution;
pub mod gupshup;
pub mod lenient;
pub mod messenger;
pub mod meta;
mod seam;
mod settings;
pub mod telegram;
pub mod twilio;
pub mod wppconnect;
pub mod zapi;

use std::fmt;

pub use seam::{
    classify_http, error_reason, public_url, Answer, Capabilities, Channel, ConnectionState,
    ConnectionUpdate, Malformed, MediaFetch, MediaUpload, MessageRef, PreparedCall, Provider, Qr,
    Reply, ResolvedRefs, SendOutcome, Template, Unauthenticated, WebhookRequest,
};
pub use settings::{
    parse_base_url, parse_part, require_text, ChannelConfig, ChannelSecrets, Settings,
    StoredSettings,
};

/// Every provider Ponte speaks. Adding one is its folder plus one line here.
static PROVIDERS: [&dyn Provider; 8] = [
    &meta::Meta,
    &evolution::Evolution,
    &zapi::ZApi,
    &wppconnect::WppConnect,
    &telegram::Telegram,
    &twilio::Twilio,
    &messenger::Messenger,
    &gupshup::Gupshup,
];

/// The provider registered under `name`, as in `/webhooks/{name}/{token}`.
pub fn provider(name: &str) -> Option<&'static dyn Provider> {
    PROVIDERS.iter().copied().find(|p| p.name() == name)
}

/// The registered providers' names, in registration order.
pub fn names() -> impl Iterator<Item = &'static str> {
    PROVIDERS.iter().map(|p| p.name())
}

/// An HTTP call described as data, so that building it stays pure and testable and only the
/// edge touches the network.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// The request carries a credential outside its headers (Z-API's instance token and
    /// Telegram's bot token are in the path; Telegram's `setWebhook` body holds the webhook
    /// secret): logs show only the URL's origin, and no body.
    pub secret_in_url: bool,
}

impl HttpRequest {
    /// A plain `GET` of `url`, with no header and no credential.
    pub fn get(url: &str) -> Self {
        Self {
            method: "GET",
            url: url.to_string(),
            headers: Vec::new(),
            body: String::new(),
            secret_in_url: false,
        }
    }
}

/// Headers that carry credentials, never shown in logs.
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "apikey", "client-token"];

impl HttpRequest {
    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Leaves the credentials out: requests end up in logs and panics.
impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(key, value)| {
                let secret = CREDENTIAL_HEADERS
                    .iter()
                    .any(|name| key.eq_ignore_ascii_case(name));
                let shown = if secret { "<redacted>" } else { value.as_str() };
                (*key, shown)
            })
            .collect();
        let url = if self.secret_in_url {
            let origin_end = self
                .url
                .find("://")
                .and_then(|scheme| self.url[scheme + 3..].find('/').map(|i| scheme + 3 + i))
                .unwrap_or(self.url.len());
            format!("{}/<redacted>", &self.url[..origin_end])
        } else {
            self.url.clone()
        };
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &url)
            .field("headers", &headers)
            .field(
                "body",
                &if self.secret_in_url {
                    "<redacted>"
                } else {
                    self.body.as_str()
                },
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_token() {
        let request = HttpRequest {
            method: "POST",
            url: "https://example.test/1/messages".into(),
            headers: vec![
                ("Authorization", "Bearer s3cret".into()),
                ("apikey", "k3y".into()),
                ("Client-Token", "t0ken".into()),
            ],
            body: "{}".into(),
            secret_in_url: false,
        };
        let printed = format!("{request:?}");
        for secret in ["s3cret", "k3y", "t0ken"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("<redacted>"));
        assert_eq!(request.header("authorization"), Some("Bearer s3cret"));
        assert_eq!(request.header("content-type"), None);
        let in_url = HttpRequest {
            url: "https://api.example.test/instances/I1/token/s3cret/send-text".into(),
            body: r#"{"secret_token":"b0dy-secret"}"#.into(),
            secret_in_url: true,
            ..request
        };
        let printed = format!("{in_url:?}");
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(!printed.contains("b0dy-secret"), "{printed}");
        assert!(
            printed.contains("https://api.example.test/<redacted>"),
            "{printed}"
        );
    }

    #[test]
    fn every_provider_is_found_by_its_name() {
        for name in names() {
            assert_eq!(provider(name).map(|p| p.name()), Some(name));
        }
        assert!(provider("carrier-pigeon").is_none());
    }
}
