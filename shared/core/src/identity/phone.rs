//! Phone numbers: what people and providers write, read into E.164; the form a number is
//! stored under; and how it is shown.
//!
//! Written by hand rather than with a libphonenumber port: the `phonenumber` crate compiles to
//! wasm but carries every country's metadata and the `regex` engine into each function, about
//! half a megabyte gzipped, doubling a function's size. What Ponte needs is E.164 digits,
//! Brazil's numbering plan in full (its ninth digit decides who a contact is) and plain
//! national forms elsewhere; other countries' numbers are checked only for length.

use std::fmt;

use super::readable::Readable;
use super::written::{Start, WrittenNumber};
use super::{brazil, national, CallingCode, IdentityKey, PhoneError};

/// An international phone number in E.164 form (digits only, country code first, 8 to 15).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// A number that names its country: `+55 (11) 98765-4321`, `5511987654321`,
    /// `whatsapp:+5511987654321`, `5511987654321@s.whatsapp.net`, `…@c.us`, `+1 555.555.5555`.
    /// A Brazilian number must be one that exists (area code and first digit).
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        Self::parse_in(input, None)
    }

    /// Also reads national forms, as written in the country whose calling code is
    /// `country_calling_code` (`"55"` for a Brazilian channel): `(11) 98765-4321`,
    /// `011 98765-4321`, `0xx11 98765-4321`, `0 21 11 98765-4321` (21 being the carrier).
    /// Forms that name their country are read as [`PhoneNumber::parse`] reads them.
    pub fn parse_with_default(input: &str, country_calling_code: &str) -> Result<Self, PhoneError> {
        Self::parse_in(input, Some(&CallingCode::parse(country_calling_code)?))
    }

    /// [`PhoneNumber::parse_with_default`] when a channel names its country, else
    /// [`PhoneNumber::parse`].
    pub fn parse_in(input: &str, country: Option<&CallingCode>) -> Result<Self, PhoneError> {
        Self::read_in(&WrittenNumber::parse(input)?, country)
    }

    /// A number already read as written, in `country` if given (see [`PhoneNumber::parse_in`]).
    pub fn read_in(
        written: &WrittenNumber,
        country: Option<&CallingCode>,
    ) -> Result<Self, PhoneError> {
        let written = written.0.clone();
        let Some(country) = country else {
            return match written.start {
                Start::International | Start::Bare => Self::international(written.digits),
                Start::TrunkAnyCarrier => Err(PhoneError::LeadingZero),
            };
        };
        let country = country.as_str();
        let digits = match (written.start, country) {
            (Start::International, _) => written.digits,
            (Start::TrunkAnyCarrier, brazil::COUNTRY_CODE) => {
                brazil::after_trunk_any_carrier(&written.digits)?
            }
            (Start::TrunkAnyCarrier, _) => return Err(PhoneError::InvalidCharacter('x')),
            (Start::Bare, brazil::COUNTRY_CODE) => brazil::international_digits(&written.digits)?,
            (Start::Bare, _) => national::international_digits(&written.digits, country),
        };
        Self::international(digits)
    }

    fn international(digits: String) -> Result<Self, PhoneError> {
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(PhoneError::Length(digits.len()));
        }
        if digits.starts_with('0') {
            return Err(PhoneError::LeadingZero);
        }
        if let Some(national) = digits.strip_prefix(brazil::COUNTRY_CODE) {
            brazil::check_national(national)?;
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
        match brazil::with_ninth_digit(&self.0) {
            Some(with_nine) => PhoneNumber(with_nine),
            None => self.clone(),
        }
    }

    /// The contact alias the number brings: its canonical form, so that a Brazilian mobile
    /// with or without its ninth digit is one contact.
    pub fn identity_key(&self) -> IdentityKey {
        IdentityKey::Phone(self.canonical())
    }

    /// For people: `+55 11 98765-4321`, `+55 11 3456-7890`, `+1 415 555 0100`. `Display` on
    /// the number itself stays E.164, the form stored in identity keys.
    pub fn display(&self) -> Readable<'_> {
        Readable(&self.0)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
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

    #[test]
    fn jids_and_the_whatsapp_scheme_are_phones_but_linked_ids_and_groups_are_not() {
        for input in [
            "5511987654321@s.whatsapp.net",
            "5511987654321:7@s.whatsapp.net",
            "5511987654321@c.us",
            "WHATSAPP:+5511987654321",
        ] {
            assert_eq!(PhoneNumber::parse(input).unwrap().digits(), "5511987654321");
        }
        let lid = PhoneNumber::parse("8189000000001@lid").unwrap_err();
        assert_eq!(lid, PhoneError::NotAPhone("lid".into()));
        assert!(lid.to_string().contains("linked id"));
        let group = PhoneNumber::parse("120363025246125486@g.us").unwrap_err();
        assert!(group.to_string().contains("group"));
    }

    #[test]
    fn brazilian_numbers_that_cannot_exist_are_refused_with_the_reason() {
        assert_eq!(
            PhoneNumber::parse("+55 20 98765-4321"),
            Err(PhoneError::AreaCode("20".into()))
        );
        assert_eq!(
            PhoneNumber::parse("+55 11 8765-43210"),
            Err(PhoneError::Subscriber("876543210".into()))
        );
        assert_eq!(
            PhoneNumber::parse("+55 11 98765"),
            Err(PhoneError::NationalLength(7))
        );
    }

    #[test]
    fn national_forms_need_and_use_the_default_country() {
        for input in [
            "(11) 98765-4321",
            "011 98765-4321",
            "0xx11 98765-4321",
            "0 21 11 98765-4321",
            "+55 11 98765-4321",
            "5511987654321",
        ] {
            let phone = PhoneNumber::parse_with_default(input, "55").unwrap();
            assert_eq!(phone.digits(), "5511987654321", "{input}");
        }
        assert_eq!(
            PhoneNumber::parse("0xx11 98765-4321"),
            Err(PhoneError::LeadingZero)
        );
        assert_eq!(
            PhoneNumber::parse_with_default("98765-4321", "55"),
            Err(PhoneError::MissingAreaCode)
        );
        assert_eq!(
            PhoneNumber::parse_with_default("(415) 555-0100", "+1")
                .unwrap()
                .digits(),
            "14155550100"
        );
        assert_eq!(
            PhoneNumber::parse_with_default("0xx11 98765-4321", "1"),
            Err(PhoneError::InvalidCharacter('x'))
        );
        assert_eq!(
            PhoneNumber::parse_with_default("11 98765-4321", "BR"),
            Err(PhoneError::CountryCode("BR".into()))
        );
    }

    #[test]
    fn both_forms_of_a_brazilian_mobile_bring_one_identity_key() {
        let old = PhoneNumber::parse("553198765432").unwrap();
        let new = PhoneNumber::parse("+55 31 99876-5432").unwrap();
        assert_eq!(old.identity_key(), new.identity_key());
        assert_eq!(new.identity_key().to_string(), "phone:+5531998765432");
        let landline = PhoneNumber::parse("553134567890").unwrap();
        assert_eq!(landline.identity_key().to_string(), "phone:+553134567890");
    }

    #[test]
    fn shown_for_people_and_read_back() {
        for (digits, shown) in [
            ("5511987654321", "+55 11 98765-4321"),
            ("551134567890", "+55 11 3456-7890"),
            ("14155550100", "+1 415 555 0100"),
        ] {
            let phone = PhoneNumber::parse(digits).unwrap();
            assert_eq!(phone.display().to_string(), shown);
            assert_eq!(PhoneNumber::parse(shown), Ok(phone));
        }
    }
}
