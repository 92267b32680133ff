//! Phone numbers in E.164 form, and the Brazilian mobiles' ninth digit.

use std::fmt;

/// An international phone number in E.164 form (digits only, country code first, at most 15).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneError {
    Empty,
    InvalidCharacter(char),
    Length(usize),
    LeadingZero,
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "phone number is empty"),
            Self::InvalidCharacter(c) => write!(f, "phone number contains {c:?}"),
            Self::Length(n) => write!(f, "phone number has {n} digits, expected 8 to 15"),
            Self::LeadingZero => write!(f, "phone number must start with a country code"),
        }
    }
}

impl std::error::Error for PhoneError {}

impl PhoneNumber {
    /// Accepts the common written forms: `+55 (11) 98765-4321`, `5511987654321`,
    /// `whatsapp:+5511987654321`, `+1 555.555.5555`.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        let trimmed = trimmed.strip_prefix("whatsapp:").unwrap_or(trimmed);
        let trimmed = trimmed.strip_prefix('+').unwrap_or(trimmed);
        let mut digits = String::with_capacity(trimmed.len());
        for c in trimmed.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '(' | ')' | '.' => {}
                other => return Err(PhoneError::InvalidCharacter(other)),
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(PhoneError::Length(digits.len()));
        }
        if digits.starts_with('0') {
            return Err(PhoneError::LeadingZero);
        }
        Ok(Self(digits))
    }

    /// Digits only, as WhatsApp's `wa_id` and the Graph API's `to` expect.
    pub fn digits(&self) -> &str {
        &self.0
    }

    pub fn e164(&self) -> String {
        format!("+{}", self.0)
    }

    /// The form under which the number is stored: for a Brazilian mobile registered before the
    /// ninth digit (12 digits, subscriber starting 6–9), the 13-digit number people dial today.
    pub fn canonical(&self) -> PhoneNumber {
        match brazil_with_ninth_digit(&self.0) {
            Some(with_nine) => PhoneNumber(with_nine),
            None => self.clone(),
        }
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

fn is_brazil_area_code(ddd: &[u8]) -> bool {
    ddd.len() == 2 && (b'1'..=b'9').contains(&ddd[0]) && (b'1'..=b'9').contains(&ddd[1])
}

/// `55 DD XXXXXXXX` with a mobile subscriber (6–9) → `55 DD 9XXXXXXXX`; anything else → None.
fn brazil_with_ninth_digit(digits: &str) -> Option<String> {
    let bytes = digits.as_bytes();
    let is_old_mobile = bytes.len() == 12
        && digits.starts_with("55")
        && is_brazil_area_code(&bytes[2..4])
        && (b'6'..=b'9').contains(&bytes[4]);
    is_old_mobile.then(|| format!("{}9{}", &digits[..4], &digits[4..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_written_forms() {
        for input in [
            "+55 (11) 98765-4321",
            "5511987654321",
            "whatsapp:+5511987654321",
            " +55.11.98765.4321 ",
        ] {
            assert_eq!(PhoneNumber::parse(input).unwrap().digits(), "5511987654321");
        }
    }

    #[test]
    fn rejects_what_is_not_a_phone_number() {
        assert_eq!(PhoneNumber::parse(""), Err(PhoneError::Empty));
        assert_eq!(PhoneNumber::parse("+"), Err(PhoneError::Empty));
        assert_eq!(
            PhoneNumber::parse("12ab"),
            Err(PhoneError::InvalidCharacter('a'))
        );
        assert_eq!(PhoneNumber::parse("1234567"), Err(PhoneError::Length(7)));
        assert_eq!(
            PhoneNumber::parse("1234567890123456"),
            Err(PhoneError::Length(16))
        );
        assert_eq!(
            PhoneNumber::parse("0044123456789"),
            Err(PhoneError::LeadingZero)
        );
        assert!(PhoneNumber::parse("<WHATSAPP_USER_PHONE_NUMBER>").is_err());
    }

    #[test]
    fn brazilian_mobile_without_ninth_digit_gets_it() {
        let old = PhoneNumber::parse("553198765432").unwrap();
        assert_eq!(old.canonical().digits(), "5531998765432");
        let new = PhoneNumber::parse("5531998765432").unwrap();
        assert_eq!(new.canonical(), old.canonical());
    }

    #[test]
    fn brazilian_landlines_and_other_countries_are_left_alone() {
        // Landline: subscriber starts with 2–5.
        assert_eq!(
            PhoneNumber::parse("551133334444")
                .unwrap()
                .canonical()
                .digits(),
            "551133334444"
        );
        // A 12-digit number of another country that happens to start with 55... is still Brazil's
        // prefix, but a non-mobile subscriber: untouched.
        assert_eq!(
            PhoneNumber::parse("552145678901")
                .unwrap()
                .canonical()
                .digits(),
            "552145678901"
        );
        assert_eq!(
            PhoneNumber::parse("16505551234")
                .unwrap()
                .canonical()
                .digits(),
            "16505551234"
        );
        assert_eq!(
            PhoneNumber::parse("972987654321")
                .unwrap()
                .canonical()
                .digits(),
            "972987654321"
        );
    }
}
