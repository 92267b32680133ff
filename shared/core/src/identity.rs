//! Who a message is from: phone numbers and the identity aliases that point at one contact.
//!
//! A contact is not its phone number. WhatsApp's `wa_id`, the E.164 number, Meta's business-scoped
//! user id (BSUID) and, for Brazil, the number with and without the ninth digit are all aliases of
//! one contact, unique per tenant. Aliases are plain strings `kind:value` so that one indexed
//! `IN (...)` lookup finds the contact whatever the provider gave us.

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

/// One alias of a contact, typed by what kind of id it is. Stored as `kind:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityKey {
    /// An E.164 number in canonical form (a Brazilian mobile with its ninth digit).
    Phone(PhoneNumber),
    /// A WhatsApp account id: the digits WhatsApp registered, which for older Brazilian
    /// numbers lack the ninth digit.
    WhatsApp(String),
    /// WhatsApp's privacy-preserving "linked id" (`…@lid`), given instead of a number.
    Lid(String),
    /// Meta's business-scoped user id.
    Bsuid(String),
    /// A group or broadcast list: the conversation is the group's, not one person's.
    Group(String),
    /// A Telegram user id: Telegram gives no phone number, and a user's id is also the id of
    /// their private chat with the bot.
    Telegram(String),
    /// A Facebook Messenger page-scoped user id: the person as one Page knows them, no phone.
    Psid(String),
    /// An Instagram-scoped user id: the person as one Instagram professional account knows them.
    Igsid(String),
}

impl IdentityKey {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Phone(_) => "phone",
            Self::WhatsApp(_) => "wa",
            Self::Lid(_) => "lid",
            Self::Bsuid(_) => "bsuid",
            Self::Group(_) => "group",
            Self::Telegram(_) => "tg",
            Self::Psid(_) => "psid",
            Self::Igsid(_) => "igsid",
        }
    }
}

impl fmt::Display for IdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Phone(phone) => write!(f, "phone:{phone}"),
            Self::WhatsApp(v)
            | Self::Lid(v)
            | Self::Bsuid(v)
            | Self::Group(v)
            | Self::Telegram(v)
            | Self::Psid(v)
            | Self::Igsid(v) => write!(f, "{}:{v}", self.kind()),
        }
    }
}

/// The value of the first stored identity (`kind:value` strings) of this kind.
pub fn stored_identity<'a>(identities: &[&'a str], kind: &str) -> Option<&'a str> {
    identities.iter().find_map(|identity| {
        identity
            .strip_prefix(kind)
            .and_then(|rest| rest.strip_prefix(':'))
            .filter(|value| !value.is_empty())
    })
}

/// How many identity keys a contact can bring, e.g. phone, WhatsApp id and linked id. The D1
/// arrival views take exactly this many key columns (migrations/0006_identity_columns.sql).
pub const MAX_IDENTITY_KEYS: usize = 3;

/// What a provider told us about the other party of a conversation: its identity keys, most
/// specific first (the first key that already belongs to a contact decides who it is), and its
/// profile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactRef {
    keys: Vec<IdentityKey>,
    pub name: Option<String>,
    pub username: Option<String>,
}

impl ContactRef {
    /// Adds `key` after the ones already given, unless it is a repeat or the contact already
    /// has [`MAX_IDENTITY_KEYS`]. Empty values are no identity at all.
    pub fn push(&mut self, key: IdentityKey) {
        let empty = match &key {
            IdentityKey::Phone(_) => false,
            IdentityKey::WhatsApp(v)
            | IdentityKey::Lid(v)
            | IdentityKey::Bsuid(v)
            | IdentityKey::Group(v)
            | IdentityKey::Telegram(v)
            | IdentityKey::Psid(v)
            | IdentityKey::Igsid(v) => v.trim().is_empty(),
        };
        if !empty && self.keys.len() < MAX_IDENTITY_KEYS && !self.keys.contains(&key) {
            self.keys.push(key);
        }
    }

    pub fn with(mut self, key: IdentityKey) -> Self {
        self.push(key);
        self
    }

    /// A WhatsApp user: the phone behind the WhatsApp id when it is one, the id itself, and the
    /// business-scoped user id.
    pub fn whatsapp(wa_id: Option<&str>, user_id: Option<&str>) -> Self {
        let mut contact = Self::default();
        if let Some(wa_id) = wa_id {
            if let Ok(phone) = PhoneNumber::parse(wa_id) {
                contact.push(IdentityKey::Phone(phone.canonical()));
            }
            contact.push(IdentityKey::WhatsApp(wa_id.to_string()));
        }
        if let Some(user_id) = user_id {
            contact.push(IdentityKey::Bsuid(user_id.to_string()));
        }
        contact
    }

    pub fn keys(&self) -> &[IdentityKey] {
        &self.keys
    }

    /// The contact's phone number, in canonical form, when a key is one.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        self.keys.iter().find_map(|key| match key {
            IdentityKey::Phone(phone) => Some(phone),
            _ => None,
        })
    }

    /// The first key's value of this kind, e.g. `"wa"`.
    pub fn key_of(&self, kind: &str) -> Option<String> {
        self.keys
            .iter()
            .find(|key| key.kind() == kind)
            .map(|key| match key {
                IdentityKey::Phone(phone) => phone.e164(),
                IdentityKey::WhatsApp(v)
                | IdentityKey::Lid(v)
                | IdentityKey::Bsuid(v)
                | IdentityKey::Group(v)
                | IdentityKey::Telegram(v)
                | IdentityKey::Psid(v)
                | IdentityKey::Igsid(v) => v.clone(),
            })
    }

    /// Alias keys as stored, most specific first, at most [`MAX_IDENTITY_KEYS`]. Empty when the
    /// provider gave no usable id at all.
    pub fn identity_keys(&self) -> Vec<String> {
        self.keys.iter().map(IdentityKey::to_string).collect()
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
    fn both_brazilian_variants_share_an_identity_key() {
        let old = ContactRef::whatsapp(Some("553198765432"), None);
        let new = ContactRef::whatsapp(Some("5531998765432"), None);
        assert_eq!(old.identity_keys()[0], "phone:+5531998765432");
        assert_eq!(old.identity_keys()[0], new.identity_keys()[0]);
        assert_ne!(old.identity_keys()[1], new.identity_keys()[1]);
    }

    #[test]
    fn opaque_ids_still_identify_a_contact() {
        let bsuid_only = ContactRef::whatsapp(None, Some("US.123"));
        assert_eq!(bsuid_only.identity_keys(), vec!["bsuid:US.123".to_string()]);
        let placeholder = ContactRef::whatsapp(Some("<USER>"), None);
        assert_eq!(placeholder.identity_keys(), vec!["wa:<USER>".to_string()]);
        assert!(ContactRef::default().identity_keys().is_empty());
    }

    #[test]
    fn every_id_at_once_gives_the_most_keys_most_specific_first() {
        let all = ContactRef::whatsapp(Some("5511987654321"), Some("BR.777"));
        let keys = all.identity_keys();
        assert_eq!(
            keys,
            ["phone:+5511987654321", "wa:5511987654321", "bsuid:BR.777"]
        );
        assert_eq!(keys.len(), MAX_IDENTITY_KEYS);
    }

    #[test]
    fn keys_keep_their_order_and_stop_at_the_maximum_without_repeats() {
        let phone = PhoneNumber::parse("5511987654321").unwrap();
        let contact = ContactRef::default()
            .with(IdentityKey::Lid("8189@lid".into()))
            .with(IdentityKey::Phone(phone.clone()))
            .with(IdentityKey::Lid("8189@lid".into()))
            .with(IdentityKey::WhatsApp(" ".into()))
            .with(IdentityKey::WhatsApp("5511987654321".into()))
            .with(IdentityKey::Group("1203@g.us".into()));
        assert_eq!(
            contact.identity_keys(),
            ["lid:8189@lid", "phone:+5511987654321", "wa:5511987654321"]
        );
        assert_eq!(contact.phone(), Some(&phone));
        assert_eq!(contact.key_of("wa").as_deref(), Some("5511987654321"));
        assert_eq!(contact.key_of("group"), None);
    }

    #[test]
    fn stored_identities_are_found_by_kind() {
        let stored = ["phone:+5511987654321", "wa:551187654321", "lid:"];
        assert_eq!(stored_identity(&stored, "wa"), Some("551187654321"));
        assert_eq!(stored_identity(&stored, "phone"), Some("+5511987654321"));
        assert_eq!(stored_identity(&stored, "lid"), None);
        assert_eq!(stored_identity(&stored, "w"), None);
    }
}
