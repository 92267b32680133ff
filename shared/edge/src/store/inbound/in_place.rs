//! Statements that change stored messages in place: a status (with its waiting copy for a
//! message not stored yet), a deletion for everyone, an edit. Each returns the message only when
//! it really changed, so a repeated webhook publishes nothing: the whole row for a tenant
//! expected to listen, else only its id. Most webhooks reach a tenant with no inbox open; for
//! them D1 sends back, and the binding converts, one short column instead of eighteen.

use ponte_core::model::{MessageEdit, StatusUpdate};
use worker::{D1Database, D1PreparedStatement};

use super::aliases::named_message_id;
use super::Target;
use crate::problem::ApiError;
use crate::store::read::message_columns;
use crate::store::{int, opt_int, opt_text, text};

/// Returns the message only when its status really moved, so a repeated status publishes nothing.
macro_rules! apply_status {
    () => {
        concat!(
            "UPDATE messages SET status = ?3, status_rank = ?4, status_at = ?5, error_code = ?6, \
             error_title = ?7 WHERE channel_id = ?1 AND status_rank < ?4 AND provider_message_id = ",
            named_message_id!(),
            " RETURNING "
        )
    };
}

const APPLY_STATUS_ROW: &str = concat!(apply_status!(), message_columns!());
const APPLY_STATUS_ID: &str = concat!(apply_status!(), "id");

/// A message deleted for everyone is marked, never removed; like a status, it returns the row
/// (or only its id) when it changed.
macro_rules! mark_deleted {
    () => {
        "UPDATE messages SET deleted_at = ?3 WHERE channel_id = ?1 AND provider_message_id = ?2 \
         AND deleted_at IS NULL RETURNING "
    };
}
const MARK_DELETED_ROW: &str = concat!(mark_deleted!(), message_columns!());
const MARK_DELETED_ID: &str = concat!(mark_deleted!(), "id");

/// An edit replaces the stored message's content unless a later edit already did; like a
/// status, it returns the row (or only its id) when it changed.
macro_rules! apply_edit {
    () => {
        "UPDATE messages SET type = ?3, text = ?4, content = ?5, preview = ?6, edited_at = ?7 \
         WHERE channel_id = ?1 AND provider_message_id = ?2 \
         AND (edited_at IS NULL OR edited_at < ?7) RETURNING "
    };
}
const APPLY_EDIT_ROW: &str = concat!(apply_edit!(), message_columns!());
const APPLY_EDIT_ID: &str = concat!(apply_edit!(), "id");

/// The conversation's preview follows an edit of its last message, once the edit has won.
const EDIT_PREVIEW: &str = "UPDATE conversations SET last_message_preview = ?3 \
     WHERE (id, last_message_id) = (SELECT conversation_id, id FROM messages \
     WHERE channel_id = ?1 AND provider_message_id = ?2 AND edited_at = ?4)";

const KEEP_PENDING_STATUS: &str =
    "INSERT INTO pending_statuses (channel_id, provider_message_id, status, \
     status_rank, status_at, error_code, error_title, received_at, tenant_id) \
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE NOT EXISTS \
     (SELECT 1 FROM messages WHERE channel_id = ?1 AND provider_message_id = ?2) \
     AND NOT EXISTS (SELECT 1 FROM messages WHERE channel_id = ?1 AND provider_alias_id = ?2) \
     ON CONFLICT (channel_id, provider_message_id, status) DO NOTHING";

/// The statement that returns whole rows for a tenant expected to listen, else only ids.
pub(super) fn returning(listening: bool, row: &'static str, id: &'static str) -> &'static str {
    if listening {
        row
    } else {
        id
    }
}

pub(super) fn deletion_statement(
    db: &D1Database,
    to: &Target,
    provider_message_id: &str,
    listening: bool,
) -> Result<D1PreparedStatement, ApiError> {
    let sql = returning(listening, MARK_DELETED_ROW, MARK_DELETED_ID);
    Ok(db.prepare(sql).bind(&[
        text(to.channel_id),
        text(provider_message_id),
        int(to.received_at),
    ])?)
}

pub(super) fn edit_statements(
    db: &D1Database,
    to: &Target,
    edit: &MessageEdit,
    listening: bool,
) -> Result<[D1PreparedStatement; 2], ApiError> {
    let apply = returning(listening, APPLY_EDIT_ROW, APPLY_EDIT_ID);
    let content =
        serde_json::to_string(&edit.content).map_err(|e| ApiError::internal(e.to_string()))?;
    let preview = edit.content.preview();
    Ok([
        db.prepare(apply).bind(&[
            text(to.channel_id),
            text(&edit.provider_message_id),
            text(edit.content.type_name()),
            opt_text(edit.content.text()),
            text(&content),
            text(&preview),
            int(edit.edited_at_ms),
        ])?,
        db.prepare(EDIT_PREVIEW).bind(&[
            text(to.channel_id),
            text(&edit.provider_message_id),
            text(&preview),
            int(edit.edited_at_ms),
        ])?,
    ])
}

pub(super) fn status_statements(
    db: &D1Database,
    to: &Target,
    s: &StatusUpdate,
    listening: bool,
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    let apply = returning(listening, APPLY_STATUS_ROW, APPLY_STATUS_ID);
    let code = s.error.as_ref().map(|e| e.code);
    let title = s.error.as_ref().map(|e| e.title.as_str());
    // KEEP_PENDING_STATUS takes APPLY_STATUS's parameters plus the arrival time and tenant.
    let mut args = vec![
        text(to.channel_id),
        text(&s.provider_message_id),
        text(s.status.as_str()),
        int(s.status.rank()),
        int(s.timestamp_ms),
        opt_int(code),
        opt_text(title),
    ];
    let apply = db.prepare(apply).bind(&args)?;
    args.push(int(to.received_at));
    args.push(text(to.tenant_id));
    Ok(vec![apply, db.prepare(KEEP_PENDING_STATUS).bind(&args)?])
}
