//! WPPConnect Server's webhook bodies, field for field: `{event, session, ...}` with the event's
//! own object spread at the top level (`src/util/functions.ts#callWebHook`). Every field is
//! optional: the objects are WhatsApp Web's own models serialized, and they change with it.
//!
//! Ids and JIDs arrive either as strings (`false_5521999999999@c.us_3EB0…`, `5521…@c.us`) or as
//! the objects they were serialized from (`{_serialized, fromMe, remote, id}`), depending on the
//! event; [`serialized`] and [`message_id`] accept both.

use serde::Deserialize;
use serde_json::Value;

/// A message: `onmessage`, `onselfmessage`, `onanymessage`, `unreadmessages`
/// (wppconnect `src/api/model/message.ts`, serialized by `serialize-message.js`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Message {
    pub id: Option<Value>,
    /// The text of a `chat`; for media a thumbnail or the whole file in base64, never kept.
    pub body: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub t: Option<f64>,
    pub timestamp: Option<f64>,
    pub notify_name: Option<String>,
    pub from: Option<Value>,
    pub to: Option<Value>,
    pub author: Option<Value>,
    pub chat_id: Option<Value>,
    pub from_me: Option<bool>,
    pub is_group_msg: Option<bool>,
    pub is_notification: Option<bool>,
    pub is_forwarded: Option<bool>,
    pub sender: Option<Contact>,
    pub chat: Option<Chat>,
    pub mimetype: Option<String>,
    pub caption: Option<String>,
    pub filename: Option<String>,
    /// Set by the server's `autoDownload` with S3 upload.
    pub file_url: Option<String>,
    pub deprecated_mms3_url: Option<String>,
    pub filehash: Option<String>,
    /// The file's size in bytes.
    pub size: Option<f64>,
    pub is_animated: Option<bool>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub loc: Option<String>,
    pub vcard_formatted_name: Option<String>,
    pub vcard_list: Option<Vec<Value>>,
    /// On a `revoked` message: the key of the message that was deleted.
    pub protocol_message_key: Option<Value>,
    pub list_response: Option<ListResponse>,
    pub selected_button_id: Option<String>,
    pub selected_id: Option<String>,
    pub quoted_msg_id: Option<Value>,
    pub quoted_msg_obj: Option<Value>,
    #[serde(rename = "quotedStanzaID")]
    pub quoted_stanza_id: Option<String>,
    pub quoted_participant: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Contact {
    pub id: Option<Value>,
    pub pushname: Option<String>,
    /// WhatsApp Web's phone JID behind an `@lid` contact, when it knows it.
    pub phone_number: Option<Value>,
    pub profile_pic_thumb_obj: Option<ProfilePicture>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfilePicture {
    /// The picture's link on WhatsApp's CDN.
    pub eurl: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Chat {
    pub name: Option<String>,
    pub formatted_title: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListResponse {
    pub title: Option<String>,
    pub description: Option<String>,
    pub single_select_reply: Option<SingleSelectReply>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SingleSelectReply {
    pub selected_row_id: Option<String>,
}

/// `onack`: the whole message whose ack changed (WhatsApp Web's `change:ack`), `id` as an
/// object.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Ack {
    pub id: Option<Value>,
    pub ack: Option<i64>,
    pub from_me: Option<bool>,
}

/// `onreactionmessage` (wa-js `chat.new_reaction`, as wppconnect forwards it).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Reaction {
    /// The reaction's own key.
    pub id: Option<Value>,
    /// The key of the message reacted to.
    pub msg_id: Option<Value>,
    /// Empty when the reaction was removed.
    pub reaction_text: Option<String>,
    pub timestamp: Option<f64>,
    pub sender: Option<Value>,
}

/// `onrevokedmessage` (wa-js `chat.msg_revoke`): `id` is the revoke's own id, `refId` the
/// deleted message's.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Revoke {
    pub ref_id: Option<Value>,
}

/// `status-find`: the session's login progress.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatusFind {
    pub status: Option<String>,
}

/// `qrcode`: the image (base64 PNG, its `data:` prefix stripped by the server) and the raw code.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QrCode {
    pub qrcode: Option<String>,
    pub urlcode: Option<String>,
}

/// A JID or id as a string: itself, or the `_serialized` of the object it was written from.
pub fn serialized(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Object(map) => map.get("_serialized").and_then(serialized),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// A message id in WhatsApp Web's serialized form, `{fromMe}_{chat}_{id}[_{participant}]`,
/// which is how WPPConnect names a message in every call. An object without `_serialized` is
/// serialized from its parts.
pub fn message_id(value: &Value) -> Option<String> {
    if let Some(id) = serialized(value) {
        return Some(id);
    }
    let from_me = value.get("fromMe")?.as_bool()?;
    let remote = value.get("remote").and_then(serialized)?;
    let id = value.get("id")?.as_str().filter(|id| !id.is_empty())?;
    Some(match value.get("participant").and_then(serialized) {
        Some(participant) => format!("{from_me}_{remote}_{id}_{participant}"),
        None => format!("{from_me}_{remote}_{id}"),
    })
}

/// The parts of a serialized message id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageKey {
    pub from_me: bool,
    /// The chat's JID.
    pub remote: String,
    /// The group member who wrote it, in groups.
    pub participant: Option<String>,
}

impl MessageKey {
    pub fn parse(serialized: &str) -> Option<Self> {
        let (from_me, rest) = serialized.split_once('_')?;
        let from_me = match from_me {
            "true" => true,
            "false" => false,
            _ => return None,
        };
        let (remote, rest) = rest.split_once('_')?;
        if !remote.contains('@') || rest.is_empty() {
            return None;
        }
        // Old ids end in `_out`; only a JID after the stanza id is a participant.
        let participant = rest
            .split_once('_')
            .map(|(_, tail)| tail)
            .filter(|tail| tail.contains('@'))
            .map(str::to_string);
        Some(Self {
            from_me,
            remote: remote.to_string(),
            participant,
        })
    }
}

/// Who a JID names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    /// `<digits>@c.us` or `<digits>@s.whatsapp.net`: the digits WhatsApp registered.
    Person(String),
    /// `<digits>@lid`, as the full JID.
    Lid(String),
    /// `@g.us`, `@broadcast` (including `status@broadcast`) or `@newsletter`, as the full JID.
    Group(String),
}

impl Party {
    pub fn of(jid: &str) -> Option<Self> {
        let (user, server) = jid.split_once('@')?;
        // A device suffix (`5511…:12@s.whatsapp.net`) names a phone of the same account.
        let user = user.split(':').next().unwrap_or(user);
        let digits = !user.is_empty() && user.bytes().all(|b| b.is_ascii_digit());
        match server {
            "c.us" | "s.whatsapp.net" if digits => Some(Self::Person(user.to_string())),
            "lid" if digits => Some(Self::Lid(format!("{user}@lid"))),
            "g.us" | "broadcast" | "newsletter" if !user.is_empty() => {
                Some(Self::Group(jid.to_string()))
            }
            _ => None,
        }
    }

    pub fn is_group(&self) -> bool {
        matches!(self, Self::Group(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_arrive_as_strings_or_objects() {
        let text = "false_5521999999999@c.us_3EB01DE65ACC6";
        assert_eq!(message_id(&json!(text)).as_deref(), Some(text));
        assert_eq!(
            message_id(&json!({"_serialized": text, "fromMe": false})).as_deref(),
            Some(text)
        );
        let parts = json!({"fromMe": true, "remote": {"_serialized": "5521999999999@c.us"},
                           "id": "3EB0AA"});
        assert_eq!(
            message_id(&parts).as_deref(),
            Some("true_5521999999999@c.us_3EB0AA")
        );
        for odd in [
            json!(""),
            json!(7),
            json!({}),
            json!({"_serialized": 1}),
            json!(null),
        ] {
            assert_eq!(message_id(&odd), None, "{odd}");
        }
    }

    #[test]
    fn serialized_ids_split_into_their_parts() {
        assert_eq!(
            MessageKey::parse("false_120363041234567890@g.us_3A1F_5511987654321@c.us"),
            Some(MessageKey {
                from_me: false,
                remote: "120363041234567890@g.us".into(),
                participant: Some("5511987654321@c.us".into()),
            })
        );
        let old = MessageKey::parse("true_5521999999999@c.us_3EB01DE65ACC6_out").unwrap();
        assert!(old.from_me);
        assert_eq!(old.participant, None);
        for bad in [
            "",
            "3EB0",
            "maybe_x@c.us_1",
            "true_nochat_1",
            "true_5521@c.us_",
        ] {
            assert_eq!(MessageKey::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn jids_name_a_person_a_linked_id_or_a_group() {
        assert_eq!(
            Party::of("5511987654321@c.us"),
            Some(Party::Person("5511987654321".into()))
        );
        assert_eq!(
            Party::of("5511987654321:7@s.whatsapp.net"),
            Some(Party::Person("5511987654321".into()))
        );
        assert_eq!(
            Party::of("207289437843681@lid"),
            Some(Party::Lid("207289437843681@lid".into()))
        );
        for group in [
            "120363041234567890@g.us",
            "status@broadcast",
            "1203630@newsletter",
        ] {
            assert_eq!(Party::of(group), Some(Party::Group(group.into())));
        }
        for odd in ["", "5511", "abc@c.us", "@g.us", "5511@example.com"] {
            assert_eq!(Party::of(odd), None, "{odd}");
        }
    }
}
