//! Statuses that name a moment, not a message (Messenger's delivery and read watermarks): every
//! outbound message of the contact's conversation on the channel that the provider took at or
//! before the moment moves forward to the status, never back.

use ponte_core::model::Watermark;
use ponte_core::status::DeliveryStatus;
use worker::{D1Database, D1PreparedStatement};

use super::Target;
use crate::problem::ApiError;
use crate::store::read::message_columns;
use crate::store::{int, text};

/// `?1` tenant, `?2` channel, `?3` the contact's identity keys (a JSON array), `?4` status, `?5`
/// its rank, `?6` the watermark. Only messages the provider took (at least `sent`, `?7`) move:
/// a queued or failed one was never delivered whatever the moment. Like a status, it returns the
/// rows (or only their ids) it changed, for the realtime events.
macro_rules! apply_watermark {
    () => {
        "UPDATE messages SET status = ?4, status_rank = ?5, status_at = ?6 \
         WHERE tenant_id = ?1 AND channel_id = ?2 AND direction = 'outbound' \
         AND conversation_id = (SELECT c.id FROM conversations c \
         JOIN contact_identities ci ON ci.contact_id = c.contact_id AND ci.tenant_id = c.tenant_id \
         WHERE c.tenant_id = ?1 AND c.channel_id = ?2 \
         AND ci.identity IN (SELECT value FROM json_each(?3)) LIMIT 1) \
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
    let keys = serde_json::to_string(&watermark.contact.identity_keys())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let sql = if listening {
        APPLY_WATERMARK_ROW
    } else {
        APPLY_WATERMARK_ID
    };
    Ok(db.prepare(sql).bind(&[
        text(to.tenant_id),
        text(to.channel_id),
        text(&keys),
        text(watermark.status.as_str()),
        int(watermark.status.rank()),
        int(watermark.up_to_ms),
        int(DeliveryStatus::Sent.rank()),
    ])?)
}
