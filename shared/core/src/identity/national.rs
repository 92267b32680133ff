//! Numbers written without `+` under a default country other than Brazil (whose rules are in
//! `brazil.rs`): a trunk prefix to drop, an international access code to recognise, or the
//! full international number as providers send it.

/// Countries whose numbers begin with a 0 that belongs to the number, so there is no trunk
/// prefix to drop: Italy and the Vatican, San Marino, Côte d'Ivoire, Burkina Faso, Niger, Benin.
const ZERO_IS_PART_OF_THE_NUMBER: [&str; 6] = ["39", "378", "225", "226", "227", "229"];

/// What a caller dials before a long-distance call at home; dropped, as E.164 has none.
fn trunk_prefix(country: &str) -> Option<&'static str> {
    match country {
        "1" => Some("1"),
        "7" => Some("8"),
        _ if ZERO_IS_PART_OF_THE_NUMBER.contains(&country) => None,
        _ => Some("0"),
    }
}

/// What a caller dials before a foreign country code: 00 for most of the world.
fn international_access_code(country: &str) -> &'static str {
    match country {
        "1" => "011",
        "7" => "810",
        _ => "00",
    }
}

/// The international digits of `written` (digits only) under `country`'s dialling rules. A
/// national number that begins with the country code's own digits must be written with its
/// trunk prefix or `+`: bare, it reads as international, which is what providers send.
pub(super) fn international_digits(written: &str, country: &str) -> String {
    if let Some(international) = written.strip_prefix(international_access_code(country)) {
        return international.to_string();
    }
    if let Some(national) = trunk_prefix(country).and_then(|trunk| written.strip_prefix(trunk)) {
        return format!("{country}{national}");
    }
    if written.starts_with(country) {
        return written.to_string();
    }
    format!("{country}{written}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_and_access_codes_follow_the_country() {
        for (written, country, expected) in [
            ("4155550100", "1", "14155550100"),
            ("14155550100", "1", "14155550100"),
            ("011447911123456", "1", "447911123456"),
            ("07911123456", "44", "447911123456"),
            ("447911123456", "44", "447911123456"),
            ("0033612345678", "44", "33612345678"),
            ("0612345678", "39", "390612345678"),
            ("89123456789", "7", "79123456789"),
            ("612345678", "34", "34612345678"),
        ] {
            assert_eq!(
                international_digits(written, country),
                expected,
                "{written} in {country}"
            );
        }
    }
}
