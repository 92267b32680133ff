//! Errors as RFC 9457 `application/problem+json`. Each route's failures split into "your input
//! was wrong" (4xx, with a detail that says what) and "something failed here" (5xx, details
//! logged, never returned).

use serde_json::json;
use worker::{Headers, Response};

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized(String),
    Forbidden(String),
    NotFound(String),
    /// Holds the `Allow` header's value: the methods the path does answer.
    MethodNotAllowed(String),
    Conflict(String),
    PayloadTooLarge(String),
    Unprocessable(String),
    /// A well-formed request with a wrong field: 422, naming the field in `field` too.
    InvalidField {
        field: String,
        reason: String,
    },
    /// The provider refused the call for good; `resource` (the stored result, e.g. the failed
    /// message) travels with the problem so the caller can show it.
    ProviderRejected {
        detail: String,
        resource: Option<(&'static str, serde_json::Value)>,
    },
    /// The provider did not answer, so whether it acted is unknown; `resource` as above.
    ProviderSilent {
        detail: String,
        resource: Option<(&'static str, serde_json::Value)>,
    },
    /// The provider could not take the call now; the caller may retry.
    ProviderUnavailable(String),
    /// A byte range past the end of the resource.
    RangeNotSatisfiable(String),
    /// The endpoint speaks another protocol (WebSocket) than the one the request used.
    UpgradeRequired(String),
    /// Storage or a dependency failed; the caller may retry.
    Unavailable(String),
    /// The deployment lacks what this request needs (e.g. the master key a channel's secrets
    /// were sealed under) until its operator fixes it; the detail says what, naming no secret.
    Misconfigured(String),
    /// A bug or misconfiguration; the message is logged, not returned.
    Internal(String),
}

impl ApiError {
    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into())
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unauthorized(_) => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::MethodNotAllowed(_) => 405,
            Self::Conflict(_) => 409,
            Self::PayloadTooLarge(_) => 413,
            Self::Unprocessable(_) | Self::InvalidField { .. } => 422,
            Self::ProviderRejected { .. } => 502,
            Self::ProviderSilent { .. } => 504,
            Self::ProviderUnavailable(_) => 503,
            Self::UpgradeRequired(_) => 426,
            Self::RangeNotSatisfiable(_) => 416,
            Self::Unavailable(_) | Self::Misconfigured(_) => 503,
            Self::Internal(_) => 500,
        }
    }

    /// The detail shown to the caller (internal errors stay generic).
    pub fn detail(&self) -> String {
        self.title_and_detail().1
    }

    fn title_and_detail(&self) -> (&'static str, String) {
        match self {
            Self::BadRequest(d) => ("Bad request", d.clone()),
            Self::Unauthorized(d) => ("Unauthorized", d.clone()),
            Self::Forbidden(d) => ("Forbidden", d.clone()),
            Self::NotFound(d) => ("Not found", d.clone()),
            Self::MethodNotAllowed(allow) => (
                "Method not allowed",
                format!("this path does not accept this method; it accepts {allow}"),
            ),
            Self::Conflict(d) => ("Conflict", d.clone()),
            Self::PayloadTooLarge(d) => ("Payload too large", d.clone()),
            Self::Unprocessable(d) => ("Unprocessable content", d.clone()),
            Self::InvalidField { field, reason } => {
                ("Unprocessable content", format!("{field}: {reason}"))
            }
            Self::ProviderRejected { detail, .. } => ("Provider refused", detail.clone()),
            Self::ProviderSilent { detail, .. } => ("Provider did not answer", detail.clone()),
            Self::ProviderUnavailable(d) => ("Provider unavailable", d.clone()),
            Self::UpgradeRequired(d) => ("Upgrade required", d.clone()),
            Self::RangeNotSatisfiable(d) => ("Range not satisfiable", d.clone()),
            Self::Unavailable(_) => (
                "Service unavailable",
                "storage is unavailable; retry later".into(),
            ),
            Self::Misconfigured(d) => ("Service unavailable", d.clone()),
            Self::Internal(_) => ("Internal error", "an internal error occurred".into()),
        }
    }

    pub fn to_response(&self) -> Response {
        if let Self::Unavailable(m) | Self::Misconfigured(m) | Self::Internal(m) = self {
            worker::console_error!("{}: {m}", self.status());
        }
        let (title, detail) = self.title_and_detail();
        let mut body = json!({"type": "about:blank", "title": title, "status": self.status(), "detail": detail});
        match self {
            Self::InvalidField { field, .. } => body["field"] = json!(field),
            Self::ProviderRejected {
                resource: Some((name, value)),
                ..
            }
            | Self::ProviderSilent {
                resource: Some((name, value)),
                ..
            } => body[*name] = value.clone(),
            _ => {}
        }
        let headers = Headers::new();
        let _ = headers.set("content-type", "application/problem+json");
        match self {
            Self::Unauthorized(_) => {
                let _ = headers.set("www-authenticate", "Bearer");
            }
            Self::MethodNotAllowed(allow) => {
                let _ = headers.set("allow", allow);
            }
            _ => {}
        }
        Response::from_bytes(body.to_string().into_bytes())
            .unwrap_or_else(|_| Response::empty().expect("an empty response can always be built"))
            .with_status(self.status())
            .with_headers(headers)
    }
}

/// Storage errors become 503: the request may be retried and nothing half-written is kept.
impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// A field the caller got wrong: 422, naming it.
impl From<ponte_core::outbound::FieldError> for ApiError {
    fn from(e: ponte_core::outbound::FieldError) -> Self {
        Self::InvalidField {
            field: e.field,
            reason: e.reason,
        }
    }
}
