//! The read API's queries: conversations and their messages. Keyset pagination throughout.

use serde::{Deserialize, Deserializer, Serialize};
use worker::{D1Database, D1PreparedStatement, D1Result};

mod messages;

pub(crate) use messages::{message_columns, messages_of, MESSAGE_COLUMNS};
pub use messages::{Attachment, Message, ProviderErrorOut};

use super::{int, opt_int, opt_text, search_index, text};
use crate::problem::ApiError;

/// SQLite has no boolean: D1 returns 0/1.
pub fn sqlite_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(f64::deserialize(d)? != 0.0)
}

#[derive(Deserialize)]
struct ConversationRow {
    id: String,
    channel_id: String,
    status: String,
    unread_count: i64,
    last_message_id: Option<String>,
    last_message_preview: Option<String>,
    last_message_at: Option<i64>,
    last_inbound_at: Option<i64>,
    last_activity_at: i64,
    created_at: i64,
    contact_id: String,
    contact_name: Option<String>,
    contact_phone: Option<String>,
    contact_avatar_url: Option<String>,
}

#[derive(Serialize)]
pub struct ContactSummary {
    pub id: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

#[derive(Serialize)]
pub struct LastMessage {
    pub id: String,
    pub preview: Option<String>,
    pub timestamp: Option<i64>,
}

#[derive(Serialize)]
pub struct Conversation {
    pub id: String,
    pub channel_id: String,
    pub status: String,
    pub unread_count: i64,
    pub contact: ContactSummary,
    pub last_message: Option<LastMessage>,
    pub last_inbound_at: Option<i64>,
    pub last_activity_at: i64,
    pub created_at: i64,
}

impl From<ConversationRow> for Conversation {
    fn from(r: ConversationRow) -> Self {
        Self {
            last_message: r.last_message_id.map(|id| LastMessage {
                id,
                preview: r.last_message_preview,
                timestamp: r.last_message_at,
            }),
            id: r.id,
            channel_id: r.channel_id,
            status: r.status,
            unread_count: r.unread_count,
            contact: ContactSummary {
                id: r.contact_id,
                name: r.contact_name,
                phone: r.contact_phone,
                avatar_url: r.contact_avatar_url,
            },
            last_inbound_at: r.last_inbound_at,
            last_activity_at: r.last_activity_at,
            created_at: r.created_at,
        }
    }
}

pub struct ConversationFilter<'a> {
    pub channel_id: Option<&'a str>,
    pub status: Option<&'a str>,
    /// Part of the contact's name or email, digits of their number, or words of a message.
    pub search: Option<&'a str>,
    /// Continue after this (last_activity_at, id).
    pub after: Option<(i64, String)>,
    pub limit: u32,
}

/// The columns a [`Conversation`] is read from, of `conversations c JOIN contacts ct`; a macro
/// so that statements can be `concat!`ed constants.
macro_rules! conversation_columns {
    () => {
        "c.id, c.channel_id, c.status, c.unread_count, c.last_message_id, \
         c.last_message_preview, c.last_message_at, c.last_inbound_at, c.last_activity_at, \
         c.created_at, ct.id AS contact_id, ct.name AS contact_name, ct.phone_e164 AS contact_phone, \
         ct.avatar_url AS contact_avatar_url"
    };
}
pub(crate) use conversation_columns;
pub(crate) const CONVERSATION_COLUMNS: &str = conversation_columns!();

/// Newest activity first. Returns one more row than `limit` when there is a next page.
pub async fn conversations(
    db: &D1Database,
    tenant_id: &str,
    f: &ConversationFilter<'_>,
) -> Result<Vec<Conversation>, ApiError> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations c JOIN contacts ct ON ct.id = c.contact_id \
         WHERE c.tenant_id = ?1 AND (?2 IS NULL OR c.channel_id = ?2) AND (?3 IS NULL OR c.status = ?3) \
         AND (?4 IS NULL OR c.last_activity_at < ?4 OR (c.last_activity_at = ?4 AND c.id < ?5)) \
         AND (?7 IS NULL OR instr(lower(ct.name), lower(?7)) > 0 OR instr(ct.phone_e164, ?8) > 0 \
         OR instr(lower(ct.email), lower(?7)) > 0 \
         OR c.id IN (SELECT m.conversation_id FROM messages m WHERE m.tenant_id = ?1 AND m.seq IN \
         (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?9))) \
         ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ?6"
    );
    // A substring search by `instr`, not `LIKE`: D1 caps LIKE patterns at 50 bytes, and a term
    // needs no escaping. `lower` folds ASCII case, as LIKE did.
    let term = f.search.map(str::trim).filter(|s| !s.is_empty());
    let digits: Option<String> = term
        .map(|t| t.chars().filter(char::is_ascii_digit).collect::<String>())
        .filter(|d| !d.is_empty());
    let words = term.and_then(fts_words);
    let (after_at, after_id) = f
        .after
        .clone()
        .map_or((None, None), |(at, id)| (Some(at), Some(id)));
    let search = db.prepare(sql).bind(&[
        text(tenant_id),
        opt_text(f.channel_id),
        opt_text(f.status),
        opt_int(after_at),
        opt_text(after_id.as_deref()),
        int(i64::from(f.limit) + 1),
        opt_text(term),
        opt_text(digits.as_deref()),
        opt_text(words.as_deref()),
    ])?;
    // Words are looked up in the index, which must first hold every message.
    let result = if words.is_some() {
        let mut batch = Vec::from(search_index::catch_up_statements(db));
        batch.push(search);
        db.batch(batch)
            .await?
            .pop()
            .ok_or_else(|| ApiError::internal("the search's batch answered short"))?
    } else {
        search.all().await?
    };
    conversations_of(&result)
}

/// A search term as an FTS5 query that finds messages holding all its words: each word quoted
/// (a quote inside doubled), so that nothing the caller types is read as FTS syntax. `None`
/// when the term has no word.
fn fts_words(term: &str) -> Option<String> {
    let words: Vec<String> = term
        .split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// One conversation as the API shows it; also run inside batches that change it.
pub(crate) fn conversation_statement(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c JOIN contacts ct ON ct.id = c.contact_id \
             WHERE c.tenant_id = ?1 AND c.id = ?2"
        ))
        .bind(&[text(tenant_id), text(id)])?)
}

pub async fn conversation(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Conversation>, ApiError> {
    let result = conversation_statement(db, tenant_id, id)?.all().await?;
    Ok(conversations_of(&result)?.pop())
}

/// The rows of a statement that selected [`CONVERSATION_COLUMNS`].
pub(crate) fn conversations_of(result: &D1Result) -> Result<Vec<Conversation>, ApiError> {
    let rows: Vec<ConversationRow> = result.results()?;
    Ok(rows.into_iter().map(Conversation::from).collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Oldest first: by the provider's timestamp, then arrival.
    Ascending,
    Descending,
}

/// Returns one more row than `limit` when there is a next page. `after` is (provider_ts, seq).
pub async fn messages(
    db: &D1Database,
    tenant_id: &str,
    conversation_id: &str,
    order: Order,
    after: Option<(i64, i64)>,
    limit: u32,
) -> Result<Vec<Message>, ApiError> {
    let sql = match order {
        Order::Ascending => format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 AND tenant_id = ?2 \
             AND (?3 IS NULL OR provider_ts > ?3 OR (provider_ts = ?3 AND seq > ?4)) \
             ORDER BY provider_ts ASC, seq ASC LIMIT ?5"
        ),
        Order::Descending => format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 AND tenant_id = ?2 \
             AND (?3 IS NULL OR provider_ts < ?3 OR (provider_ts = ?3 AND seq < ?4)) \
             ORDER BY provider_ts DESC, seq DESC LIMIT ?5"
        ),
    };
    let result = db
        .prepare(sql)
        .bind(&[
            text(conversation_id),
            text(tenant_id),
            opt_int(after.map(|a| a.0)),
            opt_int(after.map(|a| a.1)),
            int(i64::from(limit) + 1),
        ])?
        .all()
        .await?;
    messages_of(&result)
}

/// One message as the API shows it; also run inside batches that change it.
pub(crate) fn message_statement(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1 AND tenant_id = ?2"
        ))
        .bind(&[text(id), text(tenant_id)])?)
}

pub async fn message(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Message>, ApiError> {
    let result = message_statement(db, tenant_id, id)?.all().await?;
    Ok(messages_of(&result)?.pop())
}
