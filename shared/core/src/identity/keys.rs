//! The identity aliases of a contact, and what a provider says about the other party.

use std::fmt;

use super::PhoneNumber;

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
    /// A link to their profile picture, where the provider gives one (see [`avatar_url`]).
    pub avatar_url: Option<String>,
}

/// The longest profile picture link kept; a longer one is not kept at all.
const MAX_AVATAR_URL: usize = 2048;

/// A provider's profile picture link, kept when it is an http(s) URL of sane length.
pub fn avatar_url(url: Option<&str>) -> Option<String> {
    let url = url?.trim();
    let lower = url.get(..8)?.to_ascii_lowercase();
    let web = lower.starts_with("https://") || lower.starts_with("http://");
    (web && url.len() <= MAX_AVATAR_URL && !url.chars().any(char::is_whitespace))
        .then(|| url.to_string())
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
                contact.push(phone.identity_key());
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
    fn an_avatar_is_kept_only_as_a_web_link() {
        let kept = avatar_url(Some(" https://pps.whatsapp.net/v/a.jpg?oe=1 "));
        assert_eq!(
            kept.as_deref(),
            Some("https://pps.whatsapp.net/v/a.jpg?oe=1")
        );
        assert!(avatar_url(Some("HTTP://cdn.example/a.png")).is_some());
        let long = format!("https://cdn.example/{}", "a".repeat(2048));
        for wrong in [
            "",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "https://a b",
            "ftp://x/y",
            long.as_str(),
        ] {
            assert_eq!(avatar_url(Some(wrong)), None, "{wrong}");
        }
        assert_eq!(avatar_url(None), None);
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
