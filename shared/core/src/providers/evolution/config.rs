//! An Evolution channel's configuration and secrets, parsed and checked once at the edge.

use serde::{Deserialize, Serialize};

use crate::outbound::FieldError;
use crate::providers::{parse_base_url, require_text, ChannelConfig, ChannelSecrets};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvolutionConfig {
    /// Where the Evolution server runs, without a trailing slash.
    pub base_url: String,
    /// The instance name: the last path segment of every call, and the envelope's `instance`.
    pub instance: String,
    /// Store group, broadcast, status and newsletter messages too.
    #[serde(default)]
    pub include_groups: bool,
}

/// `api_key` is sent as the `apikey` header. It must be the instance's own token rather than the
/// server's global key: Evolution puts the instance token in every webhook body's `apikey` (when
/// `AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES` is on), and a body whose key differs is refused.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvolutionSecrets {
    pub api_key: String,
}

impl ChannelConfig for EvolutionConfig {
    /// Checks every field and keeps the base URL in its stored form.
    fn checked(mut self) -> Result<Self, FieldError> {
        self.base_url = parse_base_url("config.base_url", &self.base_url)?;
        require_text("config.instance", &self.instance)?;
        Ok(self)
    }

    fn endpoints(&self) -> Vec<(&'static str, &str)> {
        vec![("config.base_url", &self.base_url)]
    }
}

impl ChannelSecrets for EvolutionSecrets {
    fn checked(self) -> Result<Self, FieldError> {
        require_text("secrets.api_key", &self.api_key)?;
        Ok(self)
    }
}

impl std::fmt::Debug for EvolutionSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EvolutionSecrets { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base_url: &str, instance: &str) -> EvolutionConfig {
        EvolutionConfig {
            base_url: base_url.into(),
            instance: instance.into(),
            include_groups: false,
        }
    }

    #[test]
    fn the_base_url_loses_its_trailing_slash_and_must_be_http() {
        let ok = config("https://evo.example.test/", "loja")
            .checked()
            .unwrap();
        assert_eq!(ok.base_url, "https://evo.example.test");
        let err = config("evo.example.test", "loja").checked().unwrap_err();
        assert_eq!(err.field, "config.base_url");
        let err = config("http://127.0.0.1:8080", "  ").checked().unwrap_err();
        assert_eq!(err.field, "config.instance");
    }

    #[test]
    fn secrets_must_be_present_and_never_print() {
        let secrets = EvolutionSecrets {
            api_key: "B6D711FCDE4D4FD5936544120E713976".into(),
        };
        assert!(secrets.clone().checked().is_ok());
        assert_eq!(format!("{secrets:?}"), "EvolutionSecrets { .. }");
        let blank = EvolutionSecrets { api_key: "".into() };
        assert_eq!(
            blank.clone().checked().unwrap_err().field,
            "secrets.api_key"
        );
    }
}
