//! A Meta channel's configuration and secrets, parsed and checked at the edge.

use serde::{Deserialize, Serialize};

use crate::outbound::FieldError;
use crate::providers::{ChannelConfig, ChannelSecrets};

pub const DEFAULT_GRAPH_BASE_URL: &str = "https://graph.facebook.com/v23.0";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaConfig {
    pub phone_number_id: String,
    /// Where the Graph API lives; tests point it at a local emulator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph_base_url: Option<String>,
    /// The WhatsApp Business Account the number belongs to: its templates are listed there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_account_id: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaSecrets {
    pub access_token: String,
    pub app_secret: String,
    pub verify_token: String,
}

impl MetaConfig {
    /// Returns the name of the wrong field and why.
    pub fn check(&self) -> Result<(), String> {
        let id = &self.phone_number_id;
        if id.is_empty() || id.len() > 64 || id.chars().any(char::is_whitespace) {
            return Err("config.phone_number_id must be a non-empty id without spaces".into());
        }
        if let Some(account) = &self.business_account_id {
            if account.is_empty() || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err("config.business_account_id must be the account's numeric id".into());
            }
        }
        if let Some(url) = &self.graph_base_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err("config.graph_base_url must be an http(s) URL".into());
            }
        }
        Ok(())
    }

    pub fn graph_base_url(&self) -> &str {
        self.graph_base_url
            .as_deref()
            .unwrap_or(DEFAULT_GRAPH_BASE_URL)
            .trim_end_matches('/')
    }
}

impl MetaSecrets {
    pub fn check(&self) -> Result<(), String> {
        for (name, value) in [
            ("access_token", &self.access_token),
            ("app_secret", &self.app_secret),
            ("verify_token", &self.verify_token),
        ] {
            if value.trim().is_empty() {
                return Err(format!("secrets.{name} must not be empty"));
            }
        }
        Ok(())
    }
}

impl ChannelConfig for MetaConfig {
    fn checked(self) -> Result<Self, FieldError> {
        self.check()
            .map_err(|reason| FieldError::new("config", reason))?;
        Ok(self)
    }

    fn endpoints(&self) -> Vec<(&'static str, &str)> {
        vec![("config.graph_base_url", self.graph_base_url())]
    }
}

impl ChannelSecrets for MetaSecrets {
    fn checked(self) -> Result<Self, FieldError> {
        self.check()
            .map_err(|reason| FieldError::new("secrets", reason))?;
        Ok(self)
    }
}

impl std::fmt::Debug for MetaSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetaSecrets { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_checks_name_the_wrong_field() {
        let ok = MetaConfig {
            phone_number_id: "1065".into(),
            graph_base_url: None,
            business_account_id: None,
        };
        assert!(ok.check().is_ok());
        assert_eq!(ok.graph_base_url(), DEFAULT_GRAPH_BASE_URL);
        let blank = MetaConfig {
            phone_number_id: " ".into(),
            graph_base_url: None,
            business_account_id: None,
        };
        assert!(blank.check().unwrap_err().contains("phone_number_id"));
        let url = MetaConfig {
            phone_number_id: "1".into(),
            graph_base_url: Some("ftp://x".into()),
            business_account_id: None,
        };
        assert!(url.check().unwrap_err().contains("graph_base_url"));
        let local = MetaConfig {
            phone_number_id: "1".into(),
            graph_base_url: Some("http://127.0.0.1:9/".into()),
            business_account_id: None,
        };
        assert_eq!(local.graph_base_url(), "http://127.0.0.1:9");
    }

    #[test]
    fn secrets_must_be_present_and_never_print() {
        let s = MetaSecrets {
            access_token: "t".into(),
            app_secret: "".into(),
            verify_token: "v".into(),
        };
        assert!(s.check().unwrap_err().contains("app_secret"));
        assert_eq!(format!("{s:?}"), "MetaSecrets { .. }");
    }
}
