//! Properties of phone numbers over generated ones: every Brazilian area code, landlines and
//! mobiles with and without the ninth digit, in every written form, and a sample of other
//! countries. Every written form of one number reads as one E.164 and one identity; a landline
//! never gains a ninth digit; what is not a number is refused with a reason.
//!
//! The numbers come from a seeded generator rather than proptest: the area codes are walked
//! exhaustively anyway, every run checks the same numbers, and a failure names its input.

use ponte_core::identity::{ContactRef, PhoneError, PhoneNumber};

/// Anatel's area codes, written out here again so that the code is checked against the plan
/// rather than against itself.
const AREA_CODES: [&str; 67] = [
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "22", "24", "27", "28", "31", "32",
    "33", "34", "35", "37", "38", "41", "42", "43", "44", "45", "46", "47", "48", "49", "51", "53",
    "54", "55", "61", "62", "63", "64", "65", "66", "67", "68", "69", "71", "73", "74", "75", "77",
    "79", "81", "82", "83", "84", "85", "86", "87", "88", "89", "91", "92", "93", "94", "95", "96",
    "97", "98", "99",
];

/// Long-distance carriers a Brazilian caller may dial after the trunk 0.
const CARRIERS: [&str; 6] = ["12", "14", "15", "21", "31", "41"];

const NUMBERS_PER_AREA_AND_KIND: usize = 12;

/// xorshift64*: deterministic, so a failing number is the same on the next run.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn digit_in(&mut self, low: u8, high: u8) -> char {
        char::from(low + (self.next() % u64::from(high - low + 1)) as u8)
    }

    fn digits(&mut self, count: usize) -> String {
        (0..count).map(|_| self.digit_in(b'0', b'9')).collect()
    }
}

/// `98765-4321`, `3456-7890`: a Brazilian subscriber number as people group it.
fn hyphenated(subscriber: &str) -> String {
    let (head, tail) = subscriber.split_at(subscriber.len() - 4);
    format!("{head}-{tail}")
}

/// Every way of writing a number that names its country: `national` is the number after the
/// country code, `spaced` the same with a space after its area code.
fn international_forms(country: &str, national: &str, spaced: &str) -> Vec<String> {
    let full = format!("{country}{national}");
    let (area, rest) = spaced.split_once(' ').unwrap_or((spaced, ""));
    vec![
        format!("+{full}"),
        format!("+{country} ({area}) {rest}"),
        full.clone(),
        format!("+{country} {spaced}"),
        format!(" +{country}.{} ", spaced.replace([' ', '-'], ".")),
        format!("whatsapp:+{full}"),
        format!("WhatsApp:+{full}"),
        format!("whatsapp:{full}"),
        format!("{full}@s.whatsapp.net"),
        format!("{full}:3@s.whatsapp.net"),
        format!("{full}@c.us"),
    ]
}

/// Every way a Brazilian writes a number at home.
fn brazilian_national_forms(ddd: &str, subscriber: &str) -> Vec<String> {
    let grouped = hyphenated(subscriber);
    let mut forms = vec![
        format!("({ddd}) {grouped}"),
        format!("{ddd}{subscriber}"),
        format!("{ddd} {grouped}"),
        format!("0{ddd} {grouped}"),
        format!("(0{ddd}) {grouped}"),
        format!("0xx{ddd} {grouped}"),
        format!("0XX ({ddd}) {subscriber}"),
    ];
    for carrier in CARRIERS {
        forms.push(format!("0 {carrier} {ddd} {grouped}"));
        forms.push(format!("00 {carrier} 55 {ddd} {subscriber}"));
    }
    forms
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// 8 digits starting 2–5.
    Landline,
    /// 8 digits starting 6–9: registered before the ninth digit.
    OldMobile,
    /// 9 followed by 8 digits.
    Mobile,
}

fn subscriber(generator: &mut Generator, kind: Kind) -> String {
    match kind {
        Kind::Landline => format!("{}{}", generator.digit_in(b'2', b'5'), generator.digits(7)),
        Kind::OldMobile => format!("{}{}", generator.digit_in(b'6', b'9'), generator.digits(7)),
        Kind::Mobile => format!("9{}", generator.digits(8)),
    }
}

/// Calls `check(ddd, kind, subscriber)` for generated numbers of every area code and kind.
fn for_every_brazilian_number(mut check: impl FnMut(&str, Kind, &str)) {
    let mut generator = Generator(0x5EED_0055);
    for ddd in AREA_CODES {
        for kind in [Kind::Landline, Kind::OldMobile, Kind::Mobile] {
            for _ in 0..NUMBERS_PER_AREA_AND_KIND {
                check(ddd, kind, &subscriber(&mut generator, kind));
            }
        }
    }
}

fn read(input: &str, default_country: Option<&str>) -> PhoneNumber {
    let parsed = match default_country {
        Some(country) => PhoneNumber::parse_with_default(input, country),
        None => PhoneNumber::parse(input),
    };
    parsed.unwrap_or_else(|error| panic!("{input:?} (default {default_country:?}): {error}"))
}

#[test]
fn every_written_form_of_a_brazilian_number_reads_as_one_e164_and_one_identity() {
    for_every_brazilian_number(|ddd, kind, subscriber| {
        let digits = format!("55{ddd}{subscriber}");
        let canonical = match kind {
            Kind::OldMobile => format!("55{ddd}9{subscriber}"),
            Kind::Landline | Kind::Mobile => digits.clone(),
        };
        let shown = format!("+55 {ddd} {}", hyphenated(subscriber));
        let spaced = format!("{ddd} {}", hyphenated(subscriber));
        let mut readings = Vec::new();
        for form in international_forms("55", &format!("{ddd}{subscriber}"), &spaced) {
            for default in [None, Some("55"), Some("1"), Some("351")] {
                let bare_under_foreign_default =
                    default.is_some_and(|d| d != "55") && form.bytes().all(|b| b.is_ascii_digit());
                if !bare_under_foreign_default {
                    readings.push((read(&form, default), form.clone()));
                }
            }
        }
        for form in brazilian_national_forms(ddd, subscriber) {
            readings.push((read(&form, Some("55")), form));
        }
        readings.push((read(&shown, None), shown.clone()));
        for (phone, form) in readings {
            assert_eq!(phone.digits(), digits, "{form:?}");
            assert_eq!(phone.canonical().digits(), canonical, "{form:?}");
            assert_eq!(
                phone.identity_key().to_string(),
                format!("phone:+{canonical}"),
                "{form:?}"
            );
            assert_eq!(phone.display().to_string(), shown, "{form:?}");
        }
    });
}

#[test]
fn a_mobile_with_and_without_its_ninth_digit_is_one_contact() {
    for_every_brazilian_number(|ddd, kind, subscriber| {
        let Kind::OldMobile = kind else { return };
        let without = format!("55{ddd}{subscriber}");
        let with = format!("55{ddd}9{subscriber}");
        let expected = format!("phone:+{with}");
        for wa_id in [&without, &with] {
            let contact = ContactRef::whatsapp(Some(wa_id), None);
            assert_eq!(contact.identity_keys()[0], expected, "wa_id {wa_id}");
            assert_eq!(
                read(wa_id, None).identity_key().to_string(),
                expected,
                "{wa_id}"
            );
        }
    });
}

#[test]
fn a_landline_never_gains_a_ninth_digit() {
    for_every_brazilian_number(|ddd, kind, subscriber| {
        let Kind::Landline = kind else { return };
        let landline = format!("55{ddd}{subscriber}");
        let phone = read(&landline, None);
        assert_eq!(phone.canonical().digits(), landline);
        // `9` and the same 8 digits is a mobile, which is another line and another contact.
        let mobile = read(&format!("55{ddd}9{subscriber}"), None);
        assert_ne!(phone.identity_key(), mobile.identity_key(), "{landline}");
    });
}

/// A country, how its numbers are dialled at home, and a sample of its numbers.
struct Country {
    code: &'static str,
    /// None where no trunk prefix is dialled.
    trunk: Option<&'static str>,
    access: &'static str,
    /// The start of the sampled numbers, then how many random digits follow.
    prefix: &'static str,
    random: usize,
}

const COUNTRIES: [Country; 11] = [
    Country {
        code: "1",
        trunk: Some("1"),
        access: "011",
        prefix: "415",
        random: 7,
    },
    Country {
        code: "44",
        trunk: Some("0"),
        access: "00",
        prefix: "7",
        random: 9,
    },
    Country {
        code: "49",
        trunk: Some("0"),
        access: "00",
        prefix: "15",
        random: 9,
    },
    Country {
        code: "33",
        trunk: Some("0"),
        access: "00",
        prefix: "6",
        random: 8,
    },
    Country {
        code: "39",
        trunk: None,
        access: "00",
        prefix: "06",
        random: 8,
    },
    Country {
        code: "7",
        trunk: Some("8"),
        access: "810",
        prefix: "9",
        random: 9,
    },
    Country {
        code: "351",
        trunk: None,
        access: "00",
        prefix: "9",
        random: 8,
    },
    Country {
        code: "54",
        trunk: None,
        access: "00",
        prefix: "911",
        random: 8,
    },
    Country {
        code: "91",
        trunk: Some("0"),
        access: "00",
        prefix: "98",
        random: 8,
    },
    Country {
        code: "86",
        trunk: Some("0"),
        access: "00",
        prefix: "13",
        random: 9,
    },
    Country {
        code: "972",
        trunk: Some("0"),
        access: "00",
        prefix: "5",
        random: 8,
    },
];

#[test]
fn numbers_of_other_countries_read_the_same_in_every_form_and_never_gain_a_digit() {
    let mut generator = Generator(0xC0FF_EE01);
    for country in COUNTRIES {
        for _ in 0..40 {
            let national = format!("{}{}", country.prefix, generator.digits(country.random));
            let digits = format!("{}{national}", country.code);
            let spaced = format!("{} {}", &national[..3], &national[3..]);
            let mut readings = Vec::new();
            for form in international_forms(country.code, &national, &spaced) {
                readings.push((read(&form, None), form.clone()));
                readings.push((read(&form, Some(country.code)), form));
            }
            let mut national_forms = vec![
                national.clone(),
                format!("{} {}{}", country.access, country.code, national),
            ];
            national_forms.extend(country.trunk.map(|trunk| format!("{trunk} {spaced}")));
            for form in national_forms {
                readings.push((read(&form, Some(country.code)), form));
            }
            let shown = read(&digits, None).display().to_string();
            assert!(shown.starts_with(&format!("+{} ", country.code)), "{shown}");
            readings.push((read(&shown, None), shown));
            for (phone, form) in readings {
                assert_eq!(phone.digits(), digits, "{form:?}");
                assert_eq!(phone.canonical(), phone, "{form:?}");
            }
        }
    }
}

fn refused(input: &str, default_country: Option<&str>) -> PhoneError {
    let parsed = match default_country {
        Some(country) => PhoneNumber::parse_with_default(input, country),
        None => PhoneNumber::parse(input),
    };
    let error = parsed.expect_err(input);
    assert!(
        !error.to_string().is_empty(),
        "{input:?} refused without a reason"
    );
    error
}

#[test]
fn what_is_not_a_phone_number_is_refused_with_its_reason() {
    for input in ["", "   ", "+", "whatsapp:", "@c.us"] {
        assert_eq!(refused(input, None), PhoneError::Empty, "{input:?}");
    }
    for (address, server) in [
        ("8189000000001@lid", "lid"),
        ("5511987654321@g.us", "g.us"),
        ("120363025246125486@g.us", "g.us"),
        ("status@broadcast", "broadcast"),
        ("120363000000000001@newsletter", "newsletter"),
        ("ana@example.com", "example.com"),
    ] {
        for default in [None, Some("55")] {
            let error = refused(address, default);
            assert_eq!(error, PhoneError::NotAPhone(server.into()), "{address}");
        }
    }
    let mut generator = Generator(0xBAD_F00D);
    for letter in "abcdefghijklmnopqrstuvwyzABCDEFGHIJKLMNOPQRSTUVWYZ#*,;<>_=ç€".chars() {
        let digits = generator.digits(12);
        let at = (generator.next() % 12) as usize + 1;
        let input = format!("+{}{letter}{}", &digits[..at], &digits[at..]);
        for default in [None, Some("55"), Some("44")] {
            let error = refused(&input, default);
            assert_eq!(error, PhoneError::InvalidCharacter(letter), "{input}");
        }
    }
    for count in (1..8).chain(16..20) {
        let input = format!("+7{}", generator.digits(count - 1));
        assert_eq!(refused(&input, None), PhoneError::Length(count), "{input}");
    }
    assert_eq!(refused("00 44 20 7946 0958", None), PhoneError::LeadingZero);
}

#[test]
fn brazilian_numbers_that_cannot_exist_are_refused_with_their_reason() {
    let mut generator = Generator(0xDDD0_0000);
    for pair in (0..100).map(|n| format!("{n:02}")) {
        if AREA_CODES.contains(&pair.as_str()) {
            continue;
        }
        let subscriber = format!("9{}", generator.digits(8));
        let international = format!("+55 {pair} {}", hyphenated(&subscriber));
        let expected = PhoneError::AreaCode(pair.clone());
        assert_eq!(refused(&international, None), expected, "{international}");
        // A national form starting with 0 reads as the trunk prefix, so only those without.
        if !pair.starts_with('0') {
            let national = format!("({pair}) {}", hyphenated(&subscriber));
            assert_eq!(refused(&national, Some("55")), expected, "{national}");
        }
    }
    for ddd in AREA_CODES {
        let nine_not_mobile = format!("{}{}", generator.digit_in(b'0', b'8'), generator.digits(8));
        let eight_from_0_or_1 =
            format!("{}{}", generator.digit_in(b'0', b'1'), generator.digits(7));
        for subscriber in [nine_not_mobile, eight_from_0_or_1] {
            let input = format!("+55 {ddd} {subscriber}");
            let expected = PhoneError::Subscriber(subscriber.clone());
            assert_eq!(refused(&input, None), expected, "{input}");
        }
        for length in [4, 7, 10, 11] {
            let input = format!("55{ddd}9{}", generator.digits(length - 1));
            let expected = PhoneError::NationalLength(2 + length);
            assert_eq!(refused(&input, None), expected, "{input}");
        }
    }
    for subscriber in ["98765-4321", "3456-7890"] {
        assert_eq!(
            refused(subscriber, Some("55")),
            PhoneError::MissingAreaCode,
            "{subscriber}"
        );
    }
}
