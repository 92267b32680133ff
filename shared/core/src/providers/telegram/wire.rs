//! The Bot API objects Ponte reads, as Telegram posts them (<https://core.telegram.org/bots/api>).
//!
//! Only what Ponte uses is declared, and all but the ids Telegram always sends are optional: the
//! Bot API grows new fields and update kinds every few months, and an unknown one must cost
//! nothing. Everything a message carries beyond the declared fields stays in `rest`, which is
//! how a service message or a new kind of content is named.

use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
}

impl User {
    pub fn full_name(&self) -> Option<String> {
        full_name(self.first_name.as_deref(), self.last_name.as_deref())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Chat {
    pub id: i64,
    /// `private`, `group`, `supergroup` or `channel`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub title: Option<String>,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl Chat {
    pub fn is_private(&self) -> bool {
        self.kind.as_deref() == Some("private")
    }

    pub fn name(&self) -> Option<String> {
        self.title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .or_else(|| full_name(self.first_name.as_deref(), self.last_name.as_deref()))
    }
}

fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let joined = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!joined.is_empty()).then_some(joined)
}

/// A `Message`; also what `edited_message`, `channel_post` and `edited_channel_post` carry.
#[derive(Debug, Clone, Deserialize)]
pub struct Message {
    pub message_id: i64,
    pub chat: Chat,
    /// Seconds since the epoch; `0` for a message the bot can no longer access.
    #[serde(default)]
    pub date: i64,
    pub edit_date: Option<i64>,
    pub from: Option<User>,
    pub text: Option<String>,
    pub caption: Option<String>,
    pub reply_to_message: Option<Box<Replied>>,
    pub forward_origin: Option<Value>,
    /// The Bot API before 7.0 marked forwards this way.
    pub forward_date: Option<i64>,
    pub photo: Option<Vec<File>>,
    pub animation: Option<File>,
    pub document: Option<File>,
    pub audio: Option<File>,
    pub voice: Option<File>,
    pub video: Option<File>,
    pub video_note: Option<File>,
    pub sticker: Option<File>,
    pub location: Option<Location>,
    pub venue: Option<Venue>,
    pub contact: Option<Value>,
    pub reply_markup: Option<Value>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// The quoted message: only its id is needed to point at it.
#[derive(Debug, Clone, Deserialize)]
pub struct Replied {
    pub message_id: i64,
}

/// `PhotoSize`, `Document`, `Audio`, `Voice`, `Video`, `VideoNote`, `Animation`, `Sticker`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct File {
    pub file_id: Option<String>,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub file_size: Option<u64>,
    pub width: Option<u64>,
    pub height: Option<u64>,
    #[serde(default)]
    pub is_animated: bool,
    #[serde(default)]
    pub is_video: bool,
    pub emoji: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Venue {
    pub location: Location,
    pub title: Option<String>,
    pub address: Option<String>,
}

/// A tap on an inline keyboard button of one of the bot's messages.
#[derive(Debug, Clone, Deserialize)]
pub struct CallbackQuery {
    pub id: String,
    pub from: User,
    /// The message the button was on; absent for inline-mode messages, `null` in some captures.
    pub message: Option<Message>,
    pub data: Option<String>,
    pub game_short_name: Option<String>,
}

/// A user changing their reaction to a message (delivered only when the bot asks for it).
#[derive(Debug, Clone, Deserialize)]
pub struct MessageReaction {
    pub chat: Chat,
    pub message_id: i64,
    pub user: Option<User>,
    #[serde(default)]
    pub date: i64,
    #[serde(default)]
    pub new_reaction: Vec<ReactionType>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReactionType {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub emoji: Option<String>,
}
