//! A WPPConnect channel's configuration and secrets, parsed and checked when the channel is
//! created and every time it is opened.

use serde::{Deserialize, Serialize};

use crate::outbound::FieldError;
use crate::providers::{parse_base_url, require_text, ChannelConfig, ChannelSecrets};

const MAX_SESSION_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WppConnectConfig {
    /// Where WPPConnect Server runs, without a trailing slash.
    pub base_url: String,
    /// The session name in `/api/{session}/…` and in every webhook body.
    pub session: String,
    /// Whether group, broadcast and newsletter messages are stored.
    #[serde(default)]
    pub include_groups: bool,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WppConnectSecrets {
    /// The bearer token WPPConnect Server generated for the session.
    pub token: String,
}

impl ChannelConfig for WppConnectConfig {
    /// The config as it is stored: `base_url` normalized, everything checked.
    fn checked(self) -> Result<Self, FieldError> {
        let base_url = parse_base_url("config.base_url", &self.base_url)?;
        require_text("config.session", &self.session)?;
        if !is_path_safe(&self.session) || self.session.chars().count() > MAX_SESSION_CHARS {
            // `:` is refused too: WPPConnect reads `session:token` in the path as a credential.
            return Err(FieldError::new(
                "config.session",
                "must be at most 100 letters, digits, '-', '_', '.' or '~'",
            ));
        }
        Ok(Self { base_url, ..self })
    }

    fn endpoints(&self) -> Vec<(&'static str, &str)> {
        vec![("config.base_url", &self.base_url)]
    }
}

impl ChannelSecrets for WppConnectSecrets {
    fn checked(self) -> Result<Self, FieldError> {
        require_text("secrets.token", &self.token)?;
        // The token becomes a header value: a space or line break would corrupt the request.
        if self
            .token
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(FieldError::new(
                "secrets.token",
                "must not contain spaces or line breaks",
            ));
        }
        Ok(self)
    }
}

impl std::fmt::Debug for WppConnectSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WppConnectSecrets { .. }")
    }
}

fn is_path_safe(segment: &str) -> bool {
    segment
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base_url: &str, session: &str) -> WppConnectConfig {
        WppConnectConfig {
            base_url: base_url.into(),
            session: session.into(),
            include_groups: false,
        }
    }

    #[test]
    fn the_base_url_loses_its_trailing_slash_and_the_session_must_fit_a_path() {
        let ok = config("http://127.0.0.1:21465/", "NERDWHATS_AMERICA")
            .checked()
            .unwrap();
        assert_eq!(ok.base_url, "http://127.0.0.1:21465");
        for bad in ["", " ", "loja centro", "a/b", "s:token", "ação"] {
            let err = config("http://x.test", bad).checked().unwrap_err();
            assert_eq!(err.field, "config.session", "{bad:?}");
        }
        let err = config("ftp://x.test", "s").checked().unwrap_err();
        assert_eq!(err.field, "config.base_url");
    }

    #[test]
    fn the_token_must_be_one_header_safe_word_and_never_prints() {
        let blank = WppConnectSecrets { token: " ".into() };
        assert_eq!(blank.clone().checked().unwrap_err().field, "secrets.token");
        let split = WppConnectSecrets {
            token: "abc\r\nX-Evil: 1".into(),
        };
        assert_eq!(split.clone().checked().unwrap_err().field, "secrets.token");
        let good = WppConnectSecrets {
            token: "$2b$10$Zk0uQ".into(),
        };
        assert!(good.clone().checked().is_ok());
        assert_eq!(format!("{good:?}"), "WppConnectSecrets { .. }");
    }
}
