//! Reading a phone number as people and providers write it, before any country's rules: the
//! digits, and whether they are known to start with a country code.

use super::PhoneError;

/// How the digits of a written number begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Start {
    /// After `+`, `whatsapp:` or in a WhatsApp JID: the country code comes first.
    International,
    /// Only digits: an international number without its `+`, as providers send it, or a
    /// national one, which only a default country can tell.
    Bare,
    /// After Brazil's `0xx`: a trunk 0 and a placeholder for the long-distance carrier.
    TrunkAnyCarrier,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Written {
    pub start: Start,
    pub digits: String,
}

/// A phone number as someone wrote it, read as far as it can be before its country is known
/// (a send's `to` is read in its channel's default country once the channel is found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenNumber(pub(super) Written);

impl WrittenNumber {
    /// Refuses what could be no number at all (letters, an empty text, a group's address).
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        read(input).map(Self)
    }
}

/// Twilio's address scheme for WhatsApp; its users write it in any case.
const WHATSAPP_SCHEME: &str = "whatsapp:";
/// WhatsApp servers whose JID user is the phone number (`@c.us` is WhatsApp Web's older name).
const PHONE_SERVERS: [&str; 2] = ["s.whatsapp.net", "c.us"];
/// Written where `xx` stands for the carrier a caller picks.
const TRUNK_ANY_CARRIER: &str = "0xx";

pub(super) fn read(input: &str) -> Result<Written, PhoneError> {
    let text = input.trim();
    let (text, scheme) = match strip_prefix_ignore_case(text, WHATSAPP_SCHEME) {
        Some(rest) => (rest.trim_start(), true),
        None => (text, false),
    };
    if let Some((user, server)) = text.rsplit_once('@') {
        return jid(user, server);
    }
    let (text, plus) = match text.strip_prefix('+') {
        Some(rest) => (rest, true),
        None => (text, false),
    };
    let compact: String = text.chars().filter(|c| !is_separator(*c)).collect();
    let (start, body) = if plus || scheme {
        (Start::International, compact.as_str())
    } else {
        match strip_prefix_ignore_case(&compact, TRUNK_ANY_CARRIER) {
            Some(rest) => (Start::TrunkAnyCarrier, rest),
            None => (Start::Bare, compact.as_str()),
        }
    };
    Ok(Written {
        start,
        digits: only_digits(body)?,
    })
}

/// `user@server`: a phone only on WhatsApp's phone servers. A device suffix
/// (`5511…:12@s.whatsapp.net`) names a phone of the same account and is dropped.
fn jid(user: &str, server: &str) -> Result<Written, PhoneError> {
    let server = server.trim();
    if !PHONE_SERVERS
        .iter()
        .any(|phone| phone.eq_ignore_ascii_case(server))
    {
        return Err(PhoneError::NotAPhone(server.to_string()));
    }
    let user = user.split(':').next().unwrap_or_default();
    Ok(Written {
        start: Start::International,
        digits: only_digits(user)?,
    })
}

fn only_digits(text: &str) -> Result<String, PhoneError> {
    match text.chars().find(|c| !c.is_ascii_digit()) {
        Some(other) => Err(PhoneError::InvalidCharacter(other)),
        None => Ok(text.to_string()),
    }
}

/// What people put between groups of digits; none of it changes the number.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '(' | ')' | '.' | '/' | '\u{2010}'..='\u{2015}')
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(start: Start, digits: &str) -> Result<Written, PhoneError> {
        Ok(Written {
            start,
            digits: digits.to_string(),
        })
    }

    #[test]
    fn scheme_plus_and_jids_mark_the_country_code() {
        for input in [
            "+55 (11) 98765-4321",
            "WhatsApp:+5511987654321",
            "whatsapp: 5511987654321",
            "5511987654321@s.whatsapp.net",
            "5511987654321:12@s.whatsapp.net",
            "5511987654321@C.US",
        ] {
            assert_eq!(
                read(input),
                written(Start::International, "5511987654321"),
                "{input}"
            );
        }
    }

    #[test]
    fn bare_digits_and_the_carrier_placeholder_are_told_apart() {
        assert_eq!(read("(11) 98765–4321"), written(Start::Bare, "11987654321"));
        assert_eq!(
            read("0XX11 98765-4321"),
            written(Start::TrunkAnyCarrier, "11987654321")
        );
        assert_eq!(read("+0xx11"), Err(PhoneError::InvalidCharacter('x')));
        assert_eq!(read("1x23"), Err(PhoneError::InvalidCharacter('x')));
    }

    #[test]
    fn addresses_that_hide_or_are_not_a_phone_are_refused() {
        for (input, server) in [
            ("8189000000001@lid", "lid"),
            ("120363025246125486@g.us", "g.us"),
            ("status@broadcast", "broadcast"),
            ("ana@example.com", "example.com"),
        ] {
            assert_eq!(
                read(input),
                Err(PhoneError::NotAPhone(server.into())),
                "{input}"
            );
        }
        assert_eq!(
            read("+5511@s.whatsapp.net"),
            Err(PhoneError::InvalidCharacter('+'))
        );
    }
}
