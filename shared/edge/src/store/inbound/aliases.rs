//! A provider's second id for a message (`InboundBatch::aliases`), and how a status finds its
//! message by either id.

use ponte_core::model::MessageAlias;
use worker::{D1Database, D1PreparedStatement};

use super::Target;
use crate::problem::ApiError;
use crate::store::text;

/// The stored provider id of the message that `?2` names on channel `?1`: `?2` itself, or the
/// id of the message whose alias it is. A subquery rather than `OR`, so that both lookups stay
/// index searches (migrations/0014_message_aliases.sql).
macro_rules! named_message_id {
    () => {
        "COALESCE((SELECT a.provider_message_id FROM messages a WHERE a.channel_id = ?1 \
         AND a.provider_alias_id = ?2), ?2)"
    };
}
pub(crate) use named_message_id;

/// Records the alias once; a message keeps the first alias it was given.
const RECORD_ALIAS: &str = "UPDATE messages SET provider_alias_id = ?3 \
     WHERE channel_id = ?1 AND provider_message_id = ?2 AND provider_alias_id IS NULL \
     AND ?3 <> ?2";

pub(super) fn alias_statement(
    db: &D1Database,
    to: &Target,
    alias: &MessageAlias,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(db.prepare(RECORD_ALIAS).bind(&[
        text(to.channel_id),
        text(&alias.provider_message_id),
        text(&alias.alias),
    ])?)
}
