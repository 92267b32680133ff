//! A GupShup channel's configuration and secrets, as given at creation and as stored.

use serde::{Deserialize, Serialize};

use crate::identity::PhoneNumber;
use crate::outbound::FieldError;
use crate::providers::{parse_base_url, require_text, ChannelConfig, ChannelSecrets};

/// GupShup's API; tests point `base_url` at a local emulator.
pub const DEFAULT_BASE_URL: &str = "https://api.gupshup.io";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GupshupConfig {
    /// Always filled in, so that `config()` shows where the channel's calls go.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// The GupShup app registered for the number: `src.name` on every send, and the envelope's
    /// `app` on every webhook.
    pub app_name: String,
    /// The business's WhatsApp number as GupShup takes it: digits with the country code, no `+`.
    pub source: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GupshupSecrets {
    /// Sent as the `apikey` header.
    pub api_key: String,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}

impl ChannelConfig for GupshupConfig {
    /// The config as kept: base URL without its trailing slash, `source` as bare digits
    /// whatever way it was written (`+91 98…`, `9198…`).
    fn checked(mut self) -> Result<Self, FieldError> {
        self.base_url = parse_base_url("config.base_url", &self.base_url)?;
        require_text("config.app_name", &self.app_name)?;
        self.app_name = self.app_name.trim().to_string();
        let phone = PhoneNumber::parse(&self.source).map_err(|e| {
            FieldError::new(
                "config.source",
                format!("must be the business's WhatsApp number with its country code: {e}"),
            )
        })?;
        self.source = phone.digits().to_string();
        Ok(self)
    }

    fn endpoints(&self) -> Vec<(&'static str, &str)> {
        vec![("config.base_url", &self.base_url)]
    }
}

impl ChannelSecrets for GupshupSecrets {
    fn checked(self) -> Result<Self, FieldError> {
        require_text("secrets.api_key", &self.api_key)?;
        // The key becomes a header value: a space or line break would corrupt the request.
        if self
            .api_key
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(FieldError::new(
                "secrets.api_key",
                "must not contain spaces or line breaks",
            ));
        }
        Ok(self)
    }
}

impl std::fmt::Debug for GupshupSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GupshupSecrets { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(app_name: &str, source: &str) -> Result<GupshupConfig, FieldError> {
        GupshupConfig {
            base_url: "http://127.0.0.1:8796/".into(),
            app_name: app_name.into(),
            source: source.into(),
        }
        .checked()
    }

    #[test]
    fn the_source_is_kept_as_gupshup_writes_it() {
        let kept = config(" DemoApp ", "+91 98765-43210").unwrap();
        assert_eq!(kept.source, "919876543210");
        assert_eq!(kept.app_name, "DemoApp");
        assert_eq!(kept.base_url, "http://127.0.0.1:8796");
    }

    #[test]
    fn wrong_fields_are_named() {
        assert_eq!(
            config("", "919876543210").unwrap_err().field,
            "config.app_name"
        );
        for bad in ["", "abc", "12"] {
            assert_eq!(
                config("App", bad).unwrap_err().field,
                "config.source",
                "{bad:?}"
            );
        }
        let why = config("App", "abc").unwrap_err().reason;
        assert!(why.contains("phone number contains 'a'"), "{why}");
    }

    #[test]
    fn the_api_key_is_one_header_safe_word_and_never_printed() {
        for bad in ["", " ", "a b", "k\r\nX-Evil: 1"] {
            let secrets = GupshupSecrets {
                api_key: bad.into(),
            };
            assert_eq!(secrets.checked().unwrap_err().field, "secrets.api_key");
        }
        let good = GupshupSecrets {
            api_key: "s3cr3tk3y".into(),
        };
        assert_eq!(format!("{good:?}"), "GupshupSecrets { .. }");
        assert!(good.checked().is_ok());
    }
}
