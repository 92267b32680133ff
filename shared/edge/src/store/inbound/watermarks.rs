//! Statuses that name a moment, not a message (Messenger's delivery and read watermarks): every
//! outbound message of the contact's conversation on the channel that the provider took at or
//! before the moment moves forward to the status, never back.

use ponte_core::model::Watermark;
use ponte_core::status::DeliveryStatus;
use worker::{D1Database, D1PreparedStatement};

use super::in_place::returning;
use super::{ArrivalKeys, Target};
use crate::problem::ApiError;
use crate::store::read::message_columns;
use crate::store::{int, text};

/// `?1` tenant, `?2` channel, `?3`, `?8`, `?9` the contact's identity keys (as the arrival views
/// take them: the first that has a contact decides), `?4` status, `?5` its rank, `?6` the
/// watermark. Only messages the provider took (at least `sent`, `?7`) move: a queued or failed
/// one was never delivered whatever the moment. Like a status, it returns the rows (or only
/// their ids) it changed, for the realtime events.
macro_rules! apply_watermark {
    () => {
        "UPDATE messages SET status = ?4, status_rank = ?5, status_at = ?6 \
         WHERE tenant_id = ?1 AND channel_id = ?2 AND direction = 'outbound' \
         AND conversation_id = (SELECT c.id FROM conversations c WHERE c.channel_id = ?2 \
         AND c.contact_id = COALESCE( \
         (SELECT contact_id FROM contact_identities WHERE tenant_id = ?1 AND identity = ?3), \
         (SELECT contact_id FROM contact_identities WHERE tenant_id = ?1 AND identity = ?8), \
         (SELECT contact_id FROM contact_identities WHERE tenant_id = ?1 AND identity = ?9))) \
         AND provider_ts <= ?6 AND status_rank >= ?7 AND status_rank < ?5 RETURNING "
    };
}
const APPLY_WATERMARK_ROW: &str = concat!(apply_watermark!(), message_columns!());
const APPLY_WATERMARK_ID: &str = concat!(apply_watermark!(), "id");

pub(super) fn watermark_statement(
    db: &D1Database,
    to: &Target,
    watermark: &Watermark,
    listening: bool,
) -> Result<D1PreparedStatement, ApiError> {
    let [key_1, key_2, key_3] = ArrivalKeys::of(to, &watermark.contact).bound();
    let sql = returning(listening, APPLY_WATERMARK_ROW, APPLY_WATERMARK_ID);
    Ok(db.prepare(sql).bind(&[
        text(to.tenant_id),
        text(to.channel_id),
        key_1,
        text(watermark.status.as_str()),
        int(watermark.status.rank()),
        int(watermark.up_to_ms),
        int(DeliveryStatus::Sent.rank()),
        key_2,
        key_3,
    ])?)
}
