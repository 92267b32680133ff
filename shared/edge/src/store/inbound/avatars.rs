//! A contact's profile picture, as a provider linked it on a message (`ContactRef::avatar_url`).

use worker::{D1Database, D1PreparedStatement};

use super::Target;
use crate::problem::ApiError;
use crate::store::text;

/// Sets the picture of the contact known by `?2`, which the delivery's messages have just made
/// sure exists; an unchanged link writes nothing.
const SET_AVATAR: &str = "UPDATE contacts SET avatar_url = ?3 WHERE id = \
     (SELECT contact_id FROM contact_identities WHERE tenant_id = ?1 AND identity = ?2) \
     AND avatar_url IS NOT ?3";

/// One statement per contact of the delivery whose messages carried a picture; the last one wins.
pub(super) fn avatar_statements<'m>(
    db: &D1Database,
    to: &Target,
    avatars: impl Iterator<Item = (String, &'m str)>,
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    let mut latest: Vec<(String, &str)> = Vec::new();
    for (key, url) in avatars {
        match latest.iter_mut().find(|(seen, _)| *seen == key) {
            Some(entry) => entry.1 = url,
            None => latest.push((key, url)),
        }
    }
    latest
        .into_iter()
        .map(|(key, url)| {
            Ok(db
                .prepare(SET_AVATAR)
                .bind(&[text(to.tenant_id), text(&key), text(url)])?)
        })
        .collect()
}
