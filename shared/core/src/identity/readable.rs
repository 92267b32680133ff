//! A phone number as people read it: `+55 11 98765-4321`, `+1 415 555 0100`, `+44 791 112 3456`.
//! Every form shown parses back to the same number.

use std::fmt;

use super::brazil;

/// Written by [`super::PhoneNumber::display`].
pub struct Readable<'a>(pub(super) &'a str);

impl fmt::Display for Readable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (country, national) = self.0.split_at(country_code_len(self.0).min(self.0.len()));
        write!(f, "+{country} ")?;
        match country {
            brazil::COUNTRY_CODE => brazil::write_national(f, national),
            "1" if national.len() == 10 => write!(
                f,
                "{} {} {}",
                &national[..3],
                &national[3..6],
                &national[6..]
            ),
            _ => write_groups(f, national),
        }
    }
}

/// ITU's one- and two-digit country codes; every other code has three digits. E.164 is built
/// so that no code is the start of another, which is what makes this split unambiguous.
const TWO_DIGIT_CODES: [&str; 44] = [
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

fn country_code_len(digits: &str) -> usize {
    if digits.starts_with('1') || digits.starts_with('7') {
        1
    } else if TWO_DIGIT_CODES.iter().any(|code| digits.starts_with(code)) {
        2
    } else {
        3
    }
}

/// Groups of three, with the last group four digits long when three would leave one or two
/// alone: no country's own grouping, but easy to read and to dictate.
fn write_groups(f: &mut fmt::Formatter<'_>, national: &str) -> fmt::Result {
    let mut rest = national;
    let mut first = true;
    while !rest.is_empty() {
        let take = match rest.len() {
            n if n <= 4 => n,
            5 => 2,
            8 => 4,
            _ => 3,
        };
        let (group, tail) = rest.split_at(take);
        if !first {
            f.write_str(" ")?;
        }
        f.write_str(group)?;
        first = false;
        rest = tail;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(digits: &str) -> String {
        Readable(digits).to_string()
    }

    #[test]
    fn brazil_groups_like_brazilians_write() {
        assert_eq!(shown("5511987654321"), "+55 11 98765-4321");
        assert_eq!(shown("551134567890"), "+55 11 3456-7890");
        assert_eq!(shown("553198765432"), "+55 31 9876-5432");
    }

    #[test]
    fn other_countries_get_plain_groups_after_their_code() {
        assert_eq!(shown("14155550100"), "+1 415 555 0100");
        assert_eq!(shown("447911123456"), "+44 791 112 3456");
        assert_eq!(shown("33612345678"), "+33 612 345 678");
        assert_eq!(shown("35191234567"), "+351 9123 4567");
        assert_eq!(shown("4915123456789"), "+49 151 2345 6789");
        assert_eq!(shown("79123456789"), "+7 912 345 6789");
    }
}
