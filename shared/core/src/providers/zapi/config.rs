//! A Z-API channel's configuration and secrets, as given at creation and as stored.

use serde::{Deserialize, Serialize};

use crate::outbound::FieldError;
use crate::providers::{parse_base_url, require_text, ChannelConfig, ChannelSecrets};

/// Z-API's hosted API; self-hosted deployments and tests set their own `base_url`.
pub const DEFAULT_BASE_URL: &str = "https://api.z-api.io";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZApiConfig {
    /// Always filled in (with [`DEFAULT_BASE_URL`] when not given) so that `config()` shows
    /// where the channel's calls go.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    pub instance_id: String,
    #[serde(default)]
    pub include_groups: bool,
}

/// Both tokens end up in every request: the instance token in the URL path, the account's
/// security token in the `Client-Token` header.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZApiSecrets {
    pub instance_token: String,
    pub client_token: String,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}

impl ChannelConfig for ZApiConfig {
    /// The config as it is kept: base URL without its trailing slash, instance id checked.
    fn checked(mut self) -> Result<Self, FieldError> {
        self.base_url = parse_base_url("config.base_url", &self.base_url)?;
        require_path_segment("config.instance_id", &self.instance_id)?;
        Ok(self)
    }

    fn endpoints(&self) -> Vec<(&'static str, &str)> {
        vec![("config.base_url", &self.base_url)]
    }
}

impl ChannelSecrets for ZApiSecrets {
    fn checked(self) -> Result<Self, FieldError> {
        require_path_segment("secrets.instance_token", &self.instance_token)?;
        require_text("secrets.client_token", &self.client_token)?;
        Ok(self)
    }
}

/// Values spliced into the request path (`/instances/{id}/token/{token}/…`) must not be able to
/// change which path is called. The reason never repeats the value: it may be a secret.
fn require_path_segment(field: &str, value: &str) -> Result<(), FieldError> {
    require_text(field, value)?;
    let reshapes_the_path = value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | '%'));
    if reshapes_the_path {
        return Err(FieldError::new(
            field,
            "must not contain spaces, '/', '?', '#' or '%'",
        ));
    }
    Ok(())
}

impl std::fmt::Debug for ZApiSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ZApiSecrets { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base_url: &str, instance_id: &str) -> ZApiConfig {
        ZApiConfig {
            base_url: base_url.into(),
            instance_id: instance_id.into(),
            include_groups: false,
        }
    }

    #[test]
    fn the_base_url_loses_its_trailing_slash_and_must_be_http() {
        let kept = config("http://127.0.0.1:8080/", "3C67").checked().unwrap();
        assert_eq!(kept.base_url, "http://127.0.0.1:8080");
        let err = config("ftp://x", "3C67").checked().unwrap_err();
        assert_eq!(err.field, "config.base_url");
    }

    #[test]
    fn ids_that_would_reshape_the_path_are_refused() {
        for bad in ["", " ", "3C67/../x", "3C67?x", "a b", "3C%2F"] {
            let err = config(DEFAULT_BASE_URL, bad).checked().unwrap_err();
            assert_eq!(err.field, "config.instance_id", "{bad:?}");
        }
    }

    #[test]
    fn secret_errors_name_the_field_without_the_value() {
        let secrets = ZApiSecrets {
            instance_token: "tok/en".into(),
            client_token: "c".into(),
        };
        let err = secrets.clone().checked().unwrap_err();
        assert_eq!(err.field, "secrets.instance_token");
        assert!(!err.reason.contains("tok/en"));
        let blank = ZApiSecrets {
            instance_token: "t".into(),
            client_token: "  ".into(),
        };
        assert_eq!(
            blank.clone().checked().unwrap_err().field,
            "secrets.client_token"
        );
        assert_eq!(format!("{blank:?}"), "ZApiSecrets { .. }");
    }
}
