//! A Telegram channel's configuration and secrets, as given at creation and as stored.

use serde::{Deserialize, Serialize};

use crate::ids::random_bytes;
use crate::outbound::FieldError;
use crate::providers::{parse_base_url, require_text, ChannelConfig, ChannelSecrets};

/// The Bot API; tests and self-hosted Bot API servers set their own `base_url`.
pub const DEFAULT_BASE_URL: &str = "https://api.telegram.org";

/// Telegram takes 1–256 characters `A-Z`, `a-z`, `0-9`, `_` and `-` as a webhook secret.
const MAX_SECRET_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramConfig {
    /// Always filled in, so that `config()` shows where the channel's calls go.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Whether messages in groups, supergroups and channels the bot is in are stored.
    #[serde(default)]
    pub include_groups: bool,
}

/// The bot token goes into every URL (`/bot{token}/method`); the webhook secret is what Telegram
/// sends back in `X-Telegram-Bot-Api-Secret-Token` once `setWebhook` told it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSecrets {
    pub bot_token: String,
    /// Generated when the channel is created, so a user only pastes a bot token.
    #[serde(default)]
    pub webhook_secret: Option<String>,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}

impl ChannelConfig for TelegramConfig {
    fn checked(mut self) -> Result<Self, FieldError> {
        self.base_url = parse_base_url("config.base_url", &self.base_url)?;
        Ok(self)
    }

    fn endpoints(&self) -> Vec<(&'static str, &str)> {
        vec![("config.base_url", &self.base_url)]
    }
}

impl ChannelSecrets for TelegramSecrets {
    /// The secrets as kept: token checked, a webhook secret generated when none was given.
    fn checked(mut self) -> Result<Self, FieldError> {
        require_text("secrets.bot_token", &self.bot_token)?;
        // `123456:ABC-DEF…`: spliced into the path, so nothing that could reshape it.
        let reshapes_the_path = self
            .bot_token
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-')));
        if reshapes_the_path {
            return Err(FieldError::new(
                "secrets.bot_token",
                "must be a bot token as BotFather gives it (digits, ':', letters, '_', '-')",
            ));
        }
        match &self.webhook_secret {
            Some(secret) => {
                let valid = !secret.is_empty()
                    && secret.len() <= MAX_SECRET_CHARS
                    && secret
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !valid {
                    return Err(FieldError::new(
                        "secrets.webhook_secret",
                        "must be 1 to 256 characters A-Z, a-z, 0-9, '_' or '-'",
                    ));
                }
            }
            None => self.webhook_secret = Some(hex::encode(random_bytes::<32>())),
        }
        Ok(self)
    }
}

impl TelegramSecrets {
    pub fn webhook_secret(&self) -> &str {
        self.webhook_secret.as_deref().unwrap_or_default()
    }
}

impl std::fmt::Debug for TelegramSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TelegramSecrets { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(token: &str, secret: Option<&str>) -> TelegramSecrets {
        TelegramSecrets {
            bot_token: token.into(),
            webhook_secret: secret.map(str::to_string),
        }
    }

    #[test]
    fn a_webhook_secret_is_generated_once_and_kept_after() {
        let first = secrets("123:AbC-d_e", None).checked().unwrap();
        let generated = first.webhook_secret().to_string();
        assert_eq!(generated.len(), 64);
        let other = secrets("123:AbC-d_e", None).checked().unwrap();
        assert_ne!(other.webhook_secret(), generated, "random per channel");
        let reopened = first.checked().unwrap();
        assert_eq!(reopened.webhook_secret(), generated);
    }

    #[test]
    fn tokens_and_secrets_telegram_would_refuse_are_named_without_their_value() {
        for token in ["", " ", "123:abc/../x", "123:a?b", "12 3"] {
            let err = secrets(token, None).checked().unwrap_err();
            assert_eq!(err.field, "secrets.bot_token", "{token:?}");
        }
        for secret in ["", "has space", "semi;colon", &"x".repeat(257)] {
            let err = secrets("1:a", Some(secret)).checked().unwrap_err();
            assert_eq!(err.field, "secrets.webhook_secret");
            assert!(!err.reason.contains("semi;colon"));
        }
        assert_eq!(
            format!("{:?}", secrets("1:a", None)),
            "TelegramSecrets { .. }"
        );
    }
}
