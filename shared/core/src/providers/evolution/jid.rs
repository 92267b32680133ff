//! WhatsApp JIDs as Evolution gives them, and the contact identities they carry.

use crate::identity::{ContactRef, IdentityKey, PhoneNumber};
use crate::model::Sender;

/// What a JID addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jid {
    /// A person by the digits WhatsApp registered (`…@s.whatsapp.net`, `…@c.us`).
    Phone(String),
    /// A person by linked id, kept whole: `…@lid`.
    Lid(String),
    /// A group (`…@g.us`).
    Group(String),
    /// A broadcast list or the status feed (`…@broadcast`).
    Broadcast(String),
    /// A channel (`…@newsletter`).
    Newsletter(String),
}

impl Jid {
    /// `None` for what is not a WhatsApp address. A device suffix (`5511…:12@s.whatsapp.net`)
    /// names the same person and is dropped.
    pub fn parse(raw: &str) -> Option<Jid> {
        let raw = raw.trim();
        let (user, server) = raw.rsplit_once('@').unwrap_or((raw, "s.whatsapp.net"));
        let user = user.split(':').next().unwrap_or_default();
        if user.is_empty() {
            return None;
        }
        let digits = user.bytes().all(|b| b.is_ascii_digit());
        match server {
            "s.whatsapp.net" | "c.us" if digits => Some(Jid::Phone(user.to_string())),
            "lid" => Some(Jid::Lid(format!("{user}@lid"))),
            "g.us" => Some(Jid::Group(raw.to_string())),
            "broadcast" => Some(Jid::Broadcast(raw.to_string())),
            "newsletter" => Some(Jid::Newsletter(raw.to_string())),
            _ => None,
        }
    }

    /// A conversation with many people, stored only when the channel includes groups.
    pub fn shared_kind(&self) -> Option<&'static str> {
        match self {
            Jid::Phone(_) | Jid::Lid(_) => None,
            Jid::Group(_) => Some("group"),
            Jid::Broadcast(_) => Some("broadcast"),
            Jid::Newsletter(_) => Some("newsletter"),
        }
    }

    /// The identity a sent message's recipient is known by: digits for a phone, the JID for
    /// the rest.
    pub fn recipient_id(&self) -> &str {
        match self {
            Jid::Phone(id) | Jid::Lid(id) | Jid::Group(id) => id,
            Jid::Broadcast(id) | Jid::Newsletter(id) => id,
        }
    }
}

/// The first of `alternates` that is a phone JID, as its digits.
fn phone_among(alternates: &[Option<&str>]) -> Option<String> {
    alternates
        .iter()
        .flatten()
        .find_map(|raw| match Jid::parse(raw) {
            Some(Jid::Phone(digits)) => Some(digits),
            _ => None,
        })
}

fn lid_among(alternates: &[Option<&str>]) -> Option<String> {
    alternates
        .iter()
        .flatten()
        .find_map(|raw| match Jid::parse(raw) {
            Some(Jid::Lid(lid)) => Some(lid),
            _ => None,
        })
}

fn push_phone(contact: &mut ContactRef, digits: &str) {
    if let Ok(phone) = PhoneNumber::parse(digits) {
        contact.push(phone.identity_key());
    }
    contact.push(IdentityKey::WhatsApp(digits.to_string()));
}

/// The person a one-to-one chat is with, by every address the payload gives: the phone (in
/// canonical form), WhatsApp's digits, then the linked id. `alternates` are the chat's other
/// addresses (`remoteJidAlt`, `senderPn`, `senderLid`), in any order.
pub fn person(chat: &Jid, alternates: &[Option<&str>]) -> ContactRef {
    let mut contact = ContactRef::default();
    match chat {
        Jid::Phone(digits) => {
            push_phone(&mut contact, digits);
            if let Some(lid) = lid_among(alternates) {
                contact.push(IdentityKey::Lid(lid));
            }
        }
        Jid::Lid(lid) => {
            if let Some(digits) = phone_among(alternates) {
                push_phone(&mut contact, &digits);
            }
            contact.push(IdentityKey::Lid(lid.clone()));
        }
        Jid::Group(id) | Jid::Broadcast(id) | Jid::Newsletter(id) => {
            contact.push(IdentityKey::Group(id.clone()));
        }
    }
    contact
}

/// The group member who wrote a message: their JID as given, and their phone in E.164 when the
/// JID or one of its `alternates` is a phone number.
pub fn member(participant: &str, alternates: &[Option<&str>], name: Option<String>) -> Sender {
    let mut candidates = vec![Some(participant)];
    candidates.extend_from_slice(alternates);
    let phone = phone_among(&candidates)
        .and_then(|digits| PhoneNumber::parse(&digits).ok())
        .map(|phone| phone.canonical().e164());
    Sender {
        id: participant.trim().to_string(),
        phone,
        name,
    }
}

/// The JID WhatsApp addresses a recipient by, from [`crate::providers::Channel::address`]'s
/// form: digits become a phone JID, a linked id or group id is already one.
pub fn chat_jid(to: &str) -> String {
    if to.contains('@') {
        to.to_string()
    } else {
        format!("{to}@s.whatsapp.net")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jids_are_told_apart_by_their_server() {
        assert_eq!(
            Jid::parse("5511987654321:7@s.whatsapp.net"),
            Some(Jid::Phone("5511987654321".into()))
        );
        assert_eq!(
            Jid::parse("553198765432@c.us"),
            Some(Jid::Phone("553198765432".into()))
        );
        assert_eq!(
            Jid::parse("208115126378602:3@lid"),
            Some(Jid::Lid("208115126378602@lid".into()))
        );
        assert_eq!(
            Jid::parse("120363041234567890@g.us").and_then(|j| j.shared_kind()),
            Some("group")
        );
        assert_eq!(
            Jid::parse("status@broadcast").and_then(|j| j.shared_kind()),
            Some("broadcast")
        );
        assert_eq!(Jid::parse("abc@s.whatsapp.net"), None);
        assert_eq!(Jid::parse("@s.whatsapp.net"), None);
        assert_eq!(Jid::parse("x@example.com"), None);
        assert_eq!(Jid::parse(""), None);
    }

    #[test]
    fn a_lid_chat_with_its_phone_gives_three_keys() {
        let chat = Jid::parse("208115126378602@lid").unwrap();
        let contact = person(&chat, &[None, Some("553198765432@s.whatsapp.net")]);
        assert_eq!(
            contact.identity_keys(),
            [
                "phone:+5531998765432",
                "wa:553198765432",
                "lid:208115126378602@lid"
            ]
        );
        assert_eq!(
            person(&chat, &[]).identity_keys(),
            ["lid:208115126378602@lid"]
        );
    }

    #[test]
    fn members_are_named_by_jid_with_their_phone() {
        let sender = member(
            "208115126378602@lid",
            &[Some("5511987654321@s.whatsapp.net")],
            None,
        );
        assert_eq!(sender.id, "208115126378602@lid");
        assert_eq!(sender.phone.as_deref(), Some("+5511987654321"));
        assert_eq!(member("99@lid", &[], None).phone, None);
    }

    #[test]
    fn recipients_become_jids() {
        assert_eq!(chat_jid("5511987654321"), "5511987654321@s.whatsapp.net");
        assert_eq!(chat_jid("208115126378602@lid"), "208115126378602@lid");
        assert_eq!(
            chat_jid("120363041234567890@g.us"),
            "120363041234567890@g.us"
        );
    }
}
