//! A channel's settings: the adapter's typed config and secrets, read from the JSON an API caller
//! gives at creation (and the store keeps), checked field by field, and written back for storage.
//!
//! Every adapter's channel is a [`Settings`] of its own config and secrets types, so parsing,
//! checking, serializing and the endpoint list are written once here, not once per provider.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::identity::CallingCode;
use crate::outbound::FieldError;

/// The config field every channel may carry beside its provider's: the country whose national
/// forms (`(11) 98765-4321`) a send's `to` is read in.
pub const DEFAULT_COUNTRY: &str = "default_country";

/// A provider's non-secret channel config.
pub trait ChannelConfig: Serialize + DeserializeOwned {
    /// The config as kept (URLs without their trailing slash, ids trimmed), or the field that is
    /// wrong and why.
    fn checked(self) -> Result<Self, FieldError>;

    /// The URLs the channel calls with its credential, each with its config field, for the
    /// deployment to judge ([`crate::providers::endpoints::check_endpoint`]).
    fn endpoints(&self) -> Vec<(&'static str, &str)>;
}

/// A provider's channel secrets: sealed at rest, never shown.
pub trait ChannelSecrets: Serialize + DeserializeOwned {
    /// The secrets as kept (any generated ones filled in), or the field that is wrong and why.
    fn checked(self) -> Result<Self, FieldError>;
}

/// An opened channel's settings; each adapter's channel type is one of these.
pub struct Settings<C, S> {
    pub config: C,
    pub secrets: S,
    pub default_country: Option<CallingCode>,
}

impl<C: ChannelConfig, S: ChannelSecrets> Settings<C, S> {
    /// Reads and checks both parts; the error names the field.
    pub fn parse(mut config: Value, secrets: Value) -> Result<Self, FieldError> {
        let default_country = take_default_country(&mut config)?;
        Ok(Self {
            config: parse_part::<C>("config", config)?.checked()?,
            secrets: parse_part::<S>("secrets", secrets)?.checked()?,
            default_country,
        })
    }
}

/// What the edge keeps of every channel, whatever its provider.
pub trait StoredSettings {
    /// The non-secret config, as stored and shown.
    fn config(&self) -> Value;

    /// The secrets, serialized for sealing at rest.
    fn secrets(&self) -> Value;

    /// See [`ChannelConfig::endpoints`].
    fn endpoints(&self) -> Vec<(&'static str, &str)>;

    /// See [`DEFAULT_COUNTRY`].
    fn default_country(&self) -> Option<&CallingCode>;
}

impl<C: ChannelConfig, S: ChannelSecrets> StoredSettings for Settings<C, S> {
    fn config(&self) -> Value {
        let mut config = serde_json::to_value(&self.config).unwrap_or(Value::Null);
        if let (Some(object), Some(country)) = (config.as_object_mut(), &self.default_country) {
            object.insert(DEFAULT_COUNTRY.into(), Value::from(country.as_str()));
        }
        config
    }

    fn secrets(&self) -> Value {
        serde_json::to_value(&self.secrets).unwrap_or(Value::Null)
    }

    fn endpoints(&self) -> Vec<(&'static str, &str)> {
        self.config.endpoints()
    }

    fn default_country(&self) -> Option<&CallingCode> {
        self.default_country.as_ref()
    }
}

/// Takes [`DEFAULT_COUNTRY`] out of the config, so that the provider's own type reads only its
/// own fields.
fn take_default_country(config: &mut Value) -> Result<Option<CallingCode>, FieldError> {
    let field = || format!("config.{DEFAULT_COUNTRY}");
    match config
        .as_object_mut()
        .and_then(|o| o.remove(DEFAULT_COUNTRY))
    {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(code)) => CallingCode::parse(&code)
            .map(Some)
            .map_err(|e| FieldError::new(field(), e.to_string())),
        Some(_) => Err(FieldError::new(
            field(),
            "must be a country calling code as a string, such as \"55\"",
        )),
    }
}

/// A channel's `config` or `secrets` object read into the adapter's type; the error names the
/// part and what serde found wrong (`config: missing field `instance``).
pub fn parse_part<T: DeserializeOwned>(part: &str, value: Value) -> Result<T, FieldError> {
    if !value.is_object() {
        return Err(FieldError::new(part, "must be a JSON object"));
    }
    serde_json::from_value(value).map_err(|e| FieldError::new(part, e.to_string()))
}

/// A config field that holds where an HTTP API lives: an http(s) URL, kept without its trailing
/// slash.
pub fn parse_base_url(field: &str, url: &str) -> Result<String, FieldError> {
    let trimmed = url.trim().trim_end_matches('/');
    let lower = trimmed.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !trimmed.chars().any(char::is_whitespace) => {
            Ok(trimmed.to_string())
        }
        _ => Err(FieldError::new(field, "must be an http(s) URL")),
    }
}

/// A required secret or id: present and not blank.
pub fn require_text(field: &str, value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Config {
        base_url: String,
    }

    impl ChannelConfig for Config {
        fn checked(mut self) -> Result<Self, FieldError> {
            self.base_url = parse_base_url("config.base_url", &self.base_url)?;
            Ok(self)
        }

        fn endpoints(&self) -> Vec<(&'static str, &str)> {
            vec![("config.base_url", &self.base_url)]
        }
    }

    #[derive(Serialize, Deserialize)]
    struct Secrets {
        key: String,
    }

    impl ChannelSecrets for Secrets {
        fn checked(self) -> Result<Self, FieldError> {
            require_text("secrets.key", &self.key)?;
            Ok(self)
        }
    }

    type Channel = Settings<Config, Secrets>;

    #[test]
    fn settings_are_checked_as_read_and_written_back_as_kept() {
        let channel = Channel::parse(
            json!({"base_url": "http://127.0.0.1:9/"}),
            json!({"key": "k"}),
        )
        .unwrap();
        assert_eq!(channel.config(), json!({"base_url": "http://127.0.0.1:9"}));
        assert_eq!(channel.secrets(), json!({"key": "k"}));
        assert_eq!(
            channel.endpoints(),
            vec![("config.base_url", "http://127.0.0.1:9")]
        );
    }

    #[test]
    fn any_channel_may_name_its_default_country() {
        let parse = |config: Value| Channel::parse(config, json!({"key": "k"}));
        let channel = parse(json!({"base_url": "http://x", "default_country": "+55"})).unwrap();
        assert_eq!(
            channel.default_country().map(CallingCode::as_str),
            Some("55")
        );
        assert_eq!(
            channel.config(),
            json!({"base_url": "http://x", "default_country": "55"})
        );
        let without = parse(json!({"base_url": "http://x", "default_country": null})).unwrap();
        assert!(without.default_country().is_none());
        assert_eq!(without.config(), json!({"base_url": "http://x"}));
        for wrong in [json!("BR"), json!(55), json!("0055")] {
            let error = parse(json!({"base_url": "http://x", "default_country": wrong}))
                .err()
                .unwrap();
            assert_eq!(error.field, "config.default_country", "{wrong}");
        }
    }

    #[test]
    fn each_wrong_part_is_named() {
        let field = |config: Value, secrets: Value| {
            Channel::parse(config, secrets)
                .err()
                .map(|e| e.field)
                .unwrap_or_default()
        };
        let url = json!({"base_url": "http://x"});
        assert_eq!(field(json!([]), json!({"key": "k"})), "config");
        assert_eq!(
            field(json!({"base_url": "ftp://x"}), json!({"key": "k"})),
            "config.base_url"
        );
        assert_eq!(
            field(
                json!({"base_url": "http://x", "extra": 1}),
                json!({"key": "k"})
            ),
            "config"
        );
        assert_eq!(field(url.clone(), json!("k")), "secrets");
        assert_eq!(field(url, json!({"key": " "})), "secrets.key");
    }
}
