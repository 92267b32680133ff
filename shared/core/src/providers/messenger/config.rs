//! A Messenger channel's configuration and secrets, as given at creation and as stored.

use serde::{Deserialize, Serialize};

use super::super::meta::DEFAULT_GRAPH_BASE_URL;
use crate::outbound::FieldError;
use crate::providers::{parse_base_url, require_text, ChannelConfig, ChannelSecrets};

/// Graph ids are digits; anything else would reshape the send URL it is spliced into.
const MAX_ID_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessengerConfig {
    /// Always filled in, so that `config()` shows where the channel's calls go; tests point it at
    /// a local emulator.
    #[serde(default = "default_graph_base_url")]
    pub graph_base_url: String,
    /// The Facebook Page the channel speaks for: webhooks of other pages are ignored, and sends go
    /// to `/{page_id}/messages`.
    pub page_id: String,
    /// The Instagram professional account linked to the page, when Instagram Direct is used:
    /// Instagram's webhooks name that account, not the page. Without it they must name the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instagram_account_id: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessengerSecrets {
    pub page_access_token: String,
    /// Signs every webhook (`X-Hub-Signature-256`).
    pub app_secret: String,
    /// What the subscription handshake must name (`hub.verify_token`).
    pub verify_token: String,
}

fn default_graph_base_url() -> String {
    DEFAULT_GRAPH_BASE_URL.to_string()
}

fn check_id(field: &str, id: &str) -> Result<String, FieldError> {
    let id = id.trim();
    if id.is_empty() || id.len() > MAX_ID_CHARS || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(field, "must be the numeric id Meta shows"));
    }
    Ok(id.to_string())
}

impl MessengerConfig {
    /// The account whose webhooks this channel takes, for the webhook's `object`.
    pub fn account_for(&self, object: &str) -> &str {
        match (object, &self.instagram_account_id) {
            ("instagram", Some(account)) => account,
            _ => &self.page_id,
        }
    }
}

impl ChannelConfig for MessengerConfig {
    fn checked(mut self) -> Result<Self, FieldError> {
        self.graph_base_url = parse_base_url("config.graph_base_url", &self.graph_base_url)?;
        self.page_id = check_id("config.page_id", &self.page_id)?;
        if let Some(account) = &self.instagram_account_id {
            self.instagram_account_id = Some(check_id("config.instagram_account_id", account)?);
        }
        Ok(self)
    }

    fn endpoints(&self) -> Vec<(&'static str, &str)> {
        vec![("config.graph_base_url", &self.graph_base_url)]
    }
}

impl ChannelSecrets for MessengerSecrets {
    fn checked(self) -> Result<Self, FieldError> {
        require_text("secrets.page_access_token", &self.page_access_token)?;
        require_text("secrets.app_secret", &self.app_secret)?;
        require_text("secrets.verify_token", &self.verify_token)?;
        Ok(self)
    }
}

impl std::fmt::Debug for MessengerSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessengerSecrets { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(page_id: &str, url: &str) -> Result<MessengerConfig, FieldError> {
        MessengerConfig {
            graph_base_url: url.into(),
            page_id: page_id.into(),
            instagram_account_id: None,
        }
        .checked()
    }

    #[test]
    fn ids_must_be_numeric_and_urls_http() {
        let ok = config(" 1234567890 ", "http://127.0.0.1:9/").unwrap();
        assert_eq!(ok.page_id, "1234567890");
        assert_eq!(ok.graph_base_url, "http://127.0.0.1:9");
        for id in ["", "12/../3", "12 3", "abc"] {
            assert_eq!(
                config(id, DEFAULT_GRAPH_BASE_URL).unwrap_err().field,
                "config.page_id",
                "{id:?}"
            );
        }
        assert_eq!(
            config("1", "ftp://x").unwrap_err().field,
            "config.graph_base_url"
        );
    }

    #[test]
    fn instagram_webhooks_name_the_linked_account_when_one_is_set() {
        let mut c = config("1", DEFAULT_GRAPH_BASE_URL).unwrap();
        assert_eq!(c.account_for("instagram"), "1");
        c.instagram_account_id = Some("178".into());
        assert_eq!(c.account_for("instagram"), "178");
        assert_eq!(c.account_for("page"), "1");
    }

    #[test]
    fn secrets_must_be_present_and_never_print() {
        let s = MessengerSecrets {
            page_access_token: "EAAB".into(),
            app_secret: " ".into(),
            verify_token: "v".into(),
        };
        assert_eq!(s.clone().checked().unwrap_err().field, "secrets.app_secret");
        assert_eq!(format!("{s:?}"), "MessengerSecrets { .. }");
    }
}
