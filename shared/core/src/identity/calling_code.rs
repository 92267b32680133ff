//! A country's calling code (`55`, `1`, `351`): the country a channel's people write their
//! numbers in, so that a national form (`(11) 98765-4321`) can be read as an international one.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::PhoneError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CallingCode(String);

impl CallingCode {
    /// `55` or `+55`: 1 to 3 digits, not starting with 0.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let code = input.strip_prefix('+').unwrap_or(input);
        let is_calling_code = (1..=3).contains(&code.len())
            && !code.starts_with('0')
            && code.bytes().all(|b| b.is_ascii_digit());
        if !is_calling_code {
            return Err(PhoneError::CountryCode(input.to_string()));
        }
        Ok(Self(code.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CallingCode {
    type Error = PhoneError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CallingCode> for String {
    fn from(code: CallingCode) -> Self {
        code.0
    }
}

impl fmt::Display for CallingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calling_code_is_one_to_three_digits_with_or_without_its_plus() {
        assert_eq!(CallingCode::parse("55").unwrap().as_str(), "55");
        assert_eq!(CallingCode::parse("+351").unwrap().as_str(), "351");
        assert_eq!(CallingCode::parse("1").unwrap().as_str(), "1");
        for wrong in ["", "+", "0", "055", "1234", "BR", "5 5", " 55", "++55"] {
            assert_eq!(
                CallingCode::parse(wrong),
                Err(PhoneError::CountryCode(wrong.to_string())),
                "{wrong:?}"
            );
        }
    }
}
