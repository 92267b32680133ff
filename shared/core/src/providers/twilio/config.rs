//! A Twilio channel's configuration and secrets, as given at creation and as stored.

use serde::{Deserialize, Serialize};

use crate::identity::PhoneNumber;
use crate::outbound::FieldError;
use crate::providers::{parse_base_url, require_text, ChannelConfig, ChannelSecrets};

/// Twilio's REST API; tests point `base_url` at a local emulator.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";
/// How Twilio writes a WhatsApp address: `whatsapp:+E164`.
pub const WHATSAPP_PREFIX: &str = "whatsapp:";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioConfig {
    /// Always filled in so that `config()` shows where the channel's calls go.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    pub account_sid: String,
    /// The sender: `+E164` for SMS, `whatsapp:+E164` for WhatsApp. One adapter serves both;
    /// this prefix is what tells them apart.
    pub from: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSecrets {
    /// Both the API password (with the account SID) and the webhook signing key.
    pub auth_token: String,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}

impl ChannelConfig for TwilioConfig {
    /// The config as kept: base URL without its trailing slash, the account SID safe to splice
    /// into a path, and `from` written the way Twilio writes it (`+E164`, or `whatsapp:+E164`).
    fn checked(mut self) -> Result<Self, FieldError> {
        self.base_url = parse_base_url("config.base_url", &self.base_url)?;
        require_text("config.account_sid", &self.account_sid)?;
        let reshapes_the_path = self.account_sid.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | '%' | '.')
        });
        if reshapes_the_path {
            return Err(FieldError::new(
                "config.account_sid",
                "must not contain spaces, '/', '?', '#', '%' or '.'",
            ));
        }
        let from = self.from.trim();
        let (whatsapp, number) = match strip_prefix_ignore_case(from, WHATSAPP_PREFIX) {
            Some(number) => (true, number),
            None => (false, from),
        };
        let wrong = |why: String| {
            FieldError::new(
                "config.from",
                format!("must be +E164 (SMS) or whatsapp:+E164 (WhatsApp): {why}"),
            )
        };
        if !number.trim_start().starts_with('+') {
            return Err(wrong("the number does not start with +".into()));
        }
        let phone = PhoneNumber::parse(number).map_err(|e| wrong(e.to_string()))?;
        self.from = if whatsapp {
            format!("{WHATSAPP_PREFIX}{}", phone.e164())
        } else {
            phone.e164()
        };
        Ok(self)
    }

    fn endpoints(&self) -> Vec<(&'static str, &str)> {
        vec![("config.base_url", &self.base_url)]
    }
}

impl TwilioConfig {
    /// Whether the channel sends and receives WhatsApp messages, not SMS.
    pub fn is_whatsapp(&self) -> bool {
        self.from.starts_with(WHATSAPP_PREFIX)
    }
}

impl ChannelSecrets for TwilioSecrets {
    fn checked(self) -> Result<Self, FieldError> {
        require_text("secrets.auth_token", &self.auth_token)?;
        Ok(self)
    }
}

pub(super) fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

impl std::fmt::Debug for TwilioSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TwilioSecrets { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(account_sid: &str, from: &str) -> Result<TwilioConfig, FieldError> {
        TwilioConfig {
            base_url: "http://127.0.0.1:8795/".into(),
            account_sid: account_sid.into(),
            from: from.into(),
        }
        .checked()
    }

    #[test]
    fn from_is_kept_in_twilios_spelling() {
        let sms = config("AC1", " +1 (415) 555-0100 ").unwrap();
        assert_eq!(sms.from, "+14155550100");
        assert!(!sms.is_whatsapp());
        assert_eq!(sms.base_url, "http://127.0.0.1:8795");
        let wa = config("AC1", "WhatsApp:+14155550100").unwrap();
        assert_eq!(wa.from, "whatsapp:+14155550100");
        assert!(wa.is_whatsapp());
    }

    #[test]
    fn a_sender_that_is_no_e164_number_is_refused() {
        for bad in [
            "14155550100",
            "whatsapp:14155550100",
            "sms:+14155550100",
            "",
            "MG123",
        ] {
            assert_eq!(
                config("AC1", bad).unwrap_err().field,
                "config.from",
                "{bad:?}"
            );
        }
        // The reason says what is wrong with the number, as for any phone number.
        let short = config("AC1", "+1415").unwrap_err().reason;
        assert!(short.contains("4 digits, expected 8 to 15"), "{short}");
        let bare = config("AC1", "14155550100").unwrap_err().reason;
        assert!(bare.contains("does not start with +"), "{bare}");
    }

    #[test]
    fn account_sids_that_would_reshape_the_path_are_refused() {
        for bad in ["", " ", "AC1/../x", "AC1?x", "AC%2F", ".."] {
            let err = config(bad, "+14155550100").unwrap_err();
            assert_eq!(err.field, "config.account_sid", "{bad:?}");
        }
    }

    #[test]
    fn the_auth_token_is_required_and_never_printed() {
        let secrets = TwilioSecrets {
            auth_token: "  ".into(),
        };
        assert_eq!(
            secrets.clone().checked().unwrap_err().field,
            "secrets.auth_token"
        );
        assert_eq!(format!("{secrets:?}"), "TwilioSecrets { .. }");
    }
}
