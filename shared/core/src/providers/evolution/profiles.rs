//! `contacts.upsert` and `contacts.update`: the address book as the session syncs it, each
//! contact with its profile picture. Only the picture is taken, and only for contacts Ponte
//! already knows (see `InboundBatch::profiles`): a name here is often the number itself.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::jid::{person, Jid};
use super::normalize::read;
use crate::identity::avatar_url;
use crate::model::InboundBatch;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContactRecord {
    remote_jid: Option<String>,
    profile_pic_url: Option<String>,
}

pub(super) fn profiles(event: &str, items: Vec<&RawValue>, batch: &mut InboundBatch) {
    for raw in items {
        let record: ContactRecord = match read(event, raw) {
            Ok(record) => record,
            Err(reason) => {
                batch.ignored.push(reason);
                continue;
            }
        };
        let jid = record.remote_jid.as_deref().unwrap_or_default();
        let Some(chat) = Jid::parse(jid) else {
            batch
                .ignored
                .push(format!("{event}: {jid:?} is no WhatsApp address"));
            continue;
        };
        let Some(picture) = avatar_url(record.profile_pic_url.as_deref()) else {
            batch
                .ignored
                .push(format!("{event}: {jid} without a picture"));
            continue;
        };
        let mut contact = person(&chat, &[]);
        contact.avatar_url = Some(picture);
        batch.profiles.push(contact);
    }
}
