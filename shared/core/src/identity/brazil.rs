//! Brazil's numbering plan (+55): the area codes (DDD) in use, what a subscriber number looks
//! like, the ninth digit mobiles gained from 2012 to 2016 (landlines never did), and how
//! Brazilians write a number nationally.

use std::fmt;

use super::PhoneError;

pub(super) const COUNTRY_CODE: &str = "55";

/// Anatel's area codes. Not every pair of digits 1–9 is one (20, 23, 25, 26, 29, 30, 36, 39,
/// 40, 50, 52, 56–60, 70, 72, 76, 78, 80 and 90 are not), and a ninth digit is only ever
/// added after a real one.
const AREA_CODES: [&str; 67] = [
    "11", "12", "13", "14", "15", "16", "17", "18", "19", // São Paulo
    "21", "22", "24", "27", "28", // Rio de Janeiro, Espírito Santo
    "31", "32", "33", "34", "35", "37", "38", // Minas Gerais
    "41", "42", "43", "44", "45", "46", "47", "48", "49", // Paraná, Santa Catarina
    "51", "53", "54", "55", // Rio Grande do Sul
    "61", "62", "63", "64", "65", "66", "67", "68",
    "69", // Centre-West, Tocantins, Rondônia, Acre
    "71", "73", "74", "75", "77", "79", // Bahia, Sergipe
    "81", "82", "83", "84", "85", "86", "87", "88", "89", // North-East
    "91", "92", "93", "94", "95", "96", "97", "98", "99", // North, Maranhão
];

fn is_area_code(ddd: &str) -> bool {
    AREA_CODES.contains(&ddd)
}

/// Checks what follows `55`: an area code, then 8 digits starting with 2–5 (a landline) or 6–9
/// (a mobile registered before the ninth digit), or 9 digits starting with 9 (a mobile).
pub(super) fn check_national(national: &str) -> Result<(), PhoneError> {
    if !matches!(national.len(), 10 | 11) {
        return Err(PhoneError::NationalLength(national.len()));
    }
    let (ddd, subscriber) = national.split_at(2);
    if !is_area_code(ddd) {
        return Err(PhoneError::AreaCode(ddd.to_string()));
    }
    let first = subscriber.as_bytes()[0];
    let valid = match subscriber.len() {
        8 => (b'2'..=b'9').contains(&first),
        _ => first == b'9',
    };
    if valid {
        Ok(())
    } else {
        Err(PhoneError::Subscriber(subscriber.to_string()))
    }
}

/// The international digits of a number written in Brazil without `+`: `(11) 98765-4321`,
/// `011 98765-4321`, `0 21 11 98765-4321` (trunk 0, then the carrier that the caller picks),
/// `00 21 1 415 555 0100` (the international prefix is 00 and a carrier too), or the full
/// international number as providers send it (`5511987654321`). Lengths tell them apart: a
/// national number is 10 or 11 digits, an international Brazilian one 12 or 13.
pub(super) fn international_digits(written: &str) -> Result<String, PhoneError> {
    if let Some(after_access) = written.strip_prefix("00") {
        let international = after_access.get(2..).unwrap_or_default();
        return Ok(international.to_string());
    }
    if let Some(after_trunk) = written.strip_prefix('0') {
        return match after_trunk.len() {
            10 | 11 => Ok(with_country_code(after_trunk)),
            12 | 13 => Ok(with_country_code(&after_trunk[2..])),
            n => Err(PhoneError::NationalLength(n)),
        };
    }
    match written.len() {
        8 | 9 => Err(PhoneError::MissingAreaCode),
        10 | 11 => Ok(with_country_code(written)),
        _ => Ok(written.to_string()),
    }
}

/// The international digits of what follows `0xx`: the area code and the number.
pub(super) fn after_trunk_any_carrier(national: &str) -> Result<String, PhoneError> {
    match national.len() {
        10 | 11 => Ok(with_country_code(national)),
        n => Err(PhoneError::NationalLength(n)),
    }
}

fn with_country_code(national: &str) -> String {
    format!("{COUNTRY_CODE}{national}")
}

/// `55 DD XXXXXXXX` with a mobile subscriber (6–9) → `55 DD 9XXXXXXXX`; anything else → None.
/// A landline (2–5) never gains a digit: `55 DD 9` followed by it would be another line.
pub(super) fn with_ninth_digit(digits: &str) -> Option<String> {
    let national = digits.strip_prefix(COUNTRY_CODE)?;
    let (ddd, subscriber) = national.split_at_checked(2)?;
    let is_old_mobile = subscriber.len() == 8
        && is_area_code(ddd)
        && (b'6'..=b'9').contains(&subscriber.as_bytes()[0]);
    is_old_mobile.then(|| format!("{COUNTRY_CODE}{ddd}9{subscriber}"))
}

/// `11 98765-4321` for a mobile, `11 3456-7890` for a landline: the grouping Brazilians write.
pub(super) fn write_national(f: &mut fmt::Formatter<'_>, national: &str) -> fmt::Result {
    match national.split_at_checked(2) {
        Some((ddd, subscriber)) if subscriber.len() > 4 => {
            let (head, tail) = subscriber.split_at(subscriber.len() - 4);
            write!(f, "{ddd} {head}-{tail}")
        }
        _ => f.write_str(national),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_codes_are_the_67_in_use() {
        assert_eq!(AREA_CODES.len(), 67);
        assert!(is_area_code("11") && is_area_code("99") && is_area_code("55"));
        assert!(!is_area_code("20") && !is_area_code("10") && !is_area_code("36"));
    }

    #[test]
    fn national_numbers_are_checked_by_area_code_and_first_digit() {
        assert_eq!(check_national("11987654321"), Ok(()));
        assert_eq!(check_national("1134567890"), Ok(()));
        assert_eq!(check_national("3198765432"), Ok(()));
        assert_eq!(
            check_national("2098765432"),
            Err(PhoneError::AreaCode("20".into()))
        );
        assert_eq!(
            check_national("11387654321"),
            Err(PhoneError::Subscriber("387654321".into()))
        );
        assert_eq!(
            check_national("1112345678"),
            Err(PhoneError::Subscriber("12345678".into()))
        );
        assert_eq!(
            check_national("119876543"),
            Err(PhoneError::NationalLength(9))
        );
    }

    #[test]
    fn national_forms_become_international() {
        for written in [
            "11987654321",
            "011987654321",
            "0211198765432 1",
            "0021 5511987654321",
        ] {
            let written: String = written.split(' ').collect();
            assert_eq!(
                international_digits(&written).as_deref(),
                Ok("5511987654321"),
                "{written}"
            );
        }
        assert_eq!(
            international_digits("5511987654321").as_deref(),
            Ok("5511987654321")
        );
        assert_eq!(
            international_digits("987654321"),
            Err(PhoneError::MissingAreaCode)
        );
        assert_eq!(
            international_digits("0987654321"),
            Err(PhoneError::NationalLength(9))
        );
    }

    #[test]
    fn only_old_mobiles_gain_the_ninth_digit() {
        assert_eq!(
            with_ninth_digit("553198765432").as_deref(),
            Some("5531998765432")
        );
        assert_eq!(with_ninth_digit("551134567890"), None);
        assert_eq!(with_ninth_digit("5531998765432"), None);
        assert_eq!(with_ninth_digit("552098765432"), None);
        assert_eq!(with_ninth_digit("16505551234"), None);
    }
}
