//! Why a text is not a phone number, in words a person who typed it can act on.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneError {
    Empty,
    InvalidCharacter(char),
    /// Digits of the whole international number, country code included.
    Length(usize),
    /// The number begins with a 0 where its country code should be.
    LeadingZero,
    /// A WhatsApp address on a server that does not carry a phone number (`lid`, `g.us`, …),
    /// or any other `user@server` address. Holds the server.
    NotAPhone(String),
    /// The default country given for national forms is not 1 to 3 digits.
    CountryCode(String),
    /// A Brazilian number whose two digits after `55` are not an area code (DDD) in use.
    AreaCode(String),
    /// A Brazilian number that is neither 10 nor 11 digits after `55` (area code and number).
    NationalLength(usize),
    /// A Brazilian number written nationally without its area code.
    MissingAreaCode,
    /// A Brazilian subscriber number that is neither 8 digits starting with 2–9 nor 9 digits
    /// starting with 9. Holds it.
    Subscriber(String),
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "phone number is empty"),
            Self::InvalidCharacter(c) => write!(f, "phone number contains {c:?}"),
            Self::Length(n) => write!(f, "phone number has {n} digits, expected 8 to 15"),
            Self::LeadingZero => write!(f, "phone number must start with a country code"),
            Self::NotAPhone(server) => match server.to_ascii_lowercase().as_str() {
                "lid" => write!(
                    f,
                    "a WhatsApp linked id (@lid) hides the phone number; it is not one"
                ),
                "g.us" => write!(f, "a WhatsApp group (@g.us) is not a phone number"),
                "broadcast" => write!(f, "a WhatsApp broadcast list is not a phone number"),
                "newsletter" => write!(f, "a WhatsApp channel is not a phone number"),
                _ => write!(f, "an address at @{server} is not a phone number"),
            },
            Self::CountryCode(code) => {
                write!(f, "{code:?} is not a country calling code (1 to 3 digits)")
            }
            Self::AreaCode(ddd) => write!(f, "{ddd} is not a Brazilian area code (DDD)"),
            Self::NationalLength(n) => write!(
                f,
                "a Brazilian number has 10 or 11 digits after +55 (area code and number), not {n}"
            ),
            Self::MissingAreaCode => {
                write!(f, "a Brazilian number needs its two-digit area code (DDD)")
            }
            Self::Subscriber(number) => write!(
                f,
                "{number} is not a Brazilian number: a landline has 8 digits starting with 2 to 5, \
                 a mobile 9 digits starting with 9 (or 8 starting with 6 to 9, as registered \
                 before the ninth digit)"
            ),
        }
    }
}

impl std::error::Error for PhoneError {}
