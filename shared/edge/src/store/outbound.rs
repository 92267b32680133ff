//! Messages sent from the API: their idempotency keys, and the send's life as rows: stored
//! `queued` before the provider is called, claimed by one sender at a time, then `sent` with the
//! provider's id or `failed` with its reason. Who they go to is `store::recipients`.

use ponte_core::identity::IdentityKey;
use ponte_core::ids::new_id;
use ponte_core::status::DeliveryStatus;
use serde::{Deserialize, Serialize};
use worker::D1Database;

use super::media;
use super::read::{
    conversation_statement, conversations_of, message_statement, messages_of, Conversation, Message,
};
use super::recipients::Recipient;
use super::{int, opt_int, opt_text, text};
use crate::problem::ApiError;

#[derive(Debug, Deserialize)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub message_id: String,
}

pub async fn idempotency_record(
    db: &D1Database,
    tenant_id: &str,
    key: &str,
) -> Result<Option<IdempotencyRecord>, ApiError> {
    Ok(db
        .prepare("SELECT request_hash, message_id FROM idempotency_keys WHERE tenant_id = ?1 AND key = ?2")
        .bind(&[text(tenant_id), text(key)])?
        .first(None)
        .await?)
}

/// A message about to be sent, as stored before the provider hears of it.
pub struct NewOutbound<'a> {
    pub tenant_id: &'a str,
    pub recipient: &'a Recipient,
    pub kind: &'a str,
    pub text: Option<&'a str>,
    pub content: &'a str,
    pub preview: &'a str,
    pub context: Option<&'a str>,
    pub reply_to_provider_id: Option<&'a str>,
    /// The provider request body (never its credentials), replayed as is by every attempt.
    pub provider_request: &'a str,
    pub idempotency: Option<(&'a str, &'a str)>,
    pub now: i64,
    /// How long the inserting request holds the message for its first attempt.
    pub lease_ms: i64,
    /// An upload the message sends, which becomes its attachment.
    pub upload: Option<&'a str>,
}

const INSERT_IDEMPOTENCY_KEY: &str =
    "INSERT INTO idempotency_keys (tenant_id, key, request_hash, message_id, created_at) \
     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tenant_id, key) DO NOTHING";

/// Inserted only if this request owns its idempotency key (`?13`), so two racing requests with
/// one key store one message.
/// The message starts claimed for its first attempt (`?14`), which the inserting request makes
/// at once: no second round trip to take it.
const INSERT_QUEUED: &str = "INSERT INTO messages (id, tenant_id, channel_id, conversation_id, direction, type, text, \
     content, preview, context, reply_to_provider_id, provider_ts, received_at, status, status_rank, status_at, \
     provider_request, send_attempts, send_claimed_until) \
     SELECT ?1, ?2, ?3, ?4, 'outbound', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, 'queued', 0, ?11, ?12, 1, ?14 \
     WHERE ?13 IS NULL OR EXISTS (SELECT 1 FROM idempotency_keys WHERE tenant_id = ?2 AND key = ?13 AND message_id = ?1)";

/// Stores the message as `queued`, claimed for its first attempt. `None` means another request
/// holds the idempotency key.
pub async fn insert_queued(
    db: &D1Database,
    m: &NewOutbound<'_>,
) -> Result<Option<(Message, Conversation, Claimed)>, ApiError> {
    let id = new_id("msg");
    let mut statements = Vec::with_capacity(4);
    if let Some((key, hash)) = m.idempotency {
        statements.push(db.prepare(INSERT_IDEMPOTENCY_KEY).bind(&[
            text(m.tenant_id),
            text(key),
            text(hash),
            text(&id),
            int(m.now),
        ])?);
    }
    statements.push(db.prepare(INSERT_QUEUED).bind(&[
        text(&id),
        text(m.tenant_id),
        text(&m.recipient.channel_id),
        text(&m.recipient.conversation_id),
        text(m.kind),
        opt_text(m.text),
        text(m.content),
        text(m.preview),
        opt_text(m.context),
        opt_text(m.reply_to_provider_id),
        int(m.now),
        text(m.provider_request),
        opt_text(m.idempotency.map(|(key, _)| key)),
        int(m.now + m.lease_ms),
    ])?);
    if let Some(upload) = m.upload {
        statements.push(media::attach_statement(
            db,
            m.tenant_id,
            upload,
            &id,
            &m.recipient.channel_id,
        )?);
    }
    statements.push(message_statement(db, m.tenant_id, &id)?);
    statements.push(conversation_statement(
        db,
        m.tenant_id,
        &m.recipient.conversation_id,
    )?);
    let results = db.batch(statements).await?;
    let n = results.len();
    let (Some(message_rows), Some(conversation_rows)) = (results.get(n - 2), results.get(n - 1))
    else {
        return Err(ApiError::internal(
            "batch returned fewer results than statements",
        ));
    };
    let message = messages_of(message_rows)?.pop();
    let conversation = conversations_of(conversation_rows)?.pop();
    Ok(message.zip(conversation).map(|(message, conversation)| {
        let claimed = Claimed {
            id: message.id.clone(),
            tenant_id: m.tenant_id.to_string(),
            channel_id: message.channel_id.clone(),
            conversation_id: message.conversation_id.clone(),
            provider_request: Some(m.provider_request.to_string()),
            send_attempts: 1,
        };
        (message, conversation, claimed)
    }))
}

/// A message one sender may now send: the claim holds until `claimed_until`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claimed {
    pub id: String,
    pub tenant_id: String,
    pub channel_id: String,
    pub conversation_id: String,
    pub provider_request: Option<String>,
    pub send_attempts: i64,
}

/// Takes the message for one attempt if it is still queued and nobody else holds it. This is
/// what keeps a retry of ours from sending twice. `after_attempt`: the attempt whose scheduled
/// retry this is; that retry may take over its lease, so a retry never depends on a release that
/// storage may have dropped.
pub async fn claim(
    db: &D1Database,
    tenant_id: &str,
    message_id: &str,
    after_attempt: Option<i64>,
    now: i64,
    lease_ms: i64,
) -> Result<Option<Claimed>, ApiError> {
    Ok(db
        .prepare(
            "UPDATE messages SET send_attempts = send_attempts + 1, send_claimed_until = ?3 \
             WHERE id = ?1 AND tenant_id = ?2 AND status = 'queued' \
             AND (send_claimed_until IS NULL OR send_claimed_until < ?4 OR send_attempts = ?5) \
             RETURNING id, tenant_id, channel_id, conversation_id, provider_request, send_attempts",
        )
        .bind(&[
            text(message_id),
            text(tenant_id),
            int(now + lease_ms),
            int(now),
            opt_int(after_attempt),
        ])?
        .first(None)
        .await?)
}

/// The attempt failed for now and its retry is due at `due_at`: the message is free to claim,
/// and the scheduled re-drive can tell this retry is owed if its queue job goes missing.
pub async fn retry_due(
    db: &D1Database,
    tenant_id: &str,
    message_id: &str,
    due_at: i64,
) -> Result<(), ApiError> {
    db.prepare(
        "UPDATE messages SET send_claimed_until = NULL, send_retry_at = ?3 \
         WHERE id = ?1 AND tenant_id = ?2 AND status = 'queued'",
    )
    .bind(&[text(message_id), text(tenant_id), int(due_at)])?
    .run()
    .await?;
    Ok(())
}

pub(super) async fn then_read(
    db: &D1Database,
    tenant_id: &str,
    message_id: &str,
    mut statements: Vec<worker::D1PreparedStatement>,
) -> Result<Message, ApiError> {
    statements.push(message_statement(db, tenant_id, message_id)?);
    let results = db.batch(statements).await?;
    let last = results
        .last()
        .ok_or_else(|| ApiError::internal("empty batch result"))?;
    messages_of(last)?
        .pop()
        .ok_or_else(|| ApiError::internal(format!("message {message_id} vanished")))
}

/// A gateway reports our own send back as a `fromMe` message, sometimes before its API has
/// answered the send: that echo was stored as a message of its own with the id the answer now
/// gives. Before the id is recorded on our message (which it must be unique to), the echo is
/// folded into it: its status, if further along, and its place as the conversation's last
/// message; then it is removed. `?1` our message, `?2` tenant, `?3` channel, `?4` the provider id.
const MERGE_EARLY_ECHO: [&str; 3] = [
    "UPDATE messages SET (status, status_rank, status_at) = (SELECT e.status, e.status_rank, \
     e.status_at FROM messages e WHERE e.channel_id = ?3 AND e.provider_message_id = ?4 \
     AND e.id <> ?1) WHERE id = ?1 AND tenant_id = ?2 AND status_rank < (SELECT e.status_rank \
     FROM messages e WHERE e.channel_id = ?3 AND e.provider_message_id = ?4 AND e.id <> ?1)",
    "UPDATE conversations SET last_message_id = ?1 WHERE tenant_id = ?2 AND last_message_id = \
     (SELECT e.id FROM messages e WHERE e.channel_id = ?3 AND e.provider_message_id = ?4 \
     AND e.id <> ?1)",
    "DELETE FROM messages WHERE channel_id = ?3 AND provider_message_id = ?4 AND id <> ?1 \
     AND tenant_id = ?2 AND direction = 'outbound' AND provider_request IS NULL",
];

/// Records the provider's acceptance. A status webhook that beat this answer is applied by the
/// `messages_apply_pending_statuses_on_accept` trigger, and `sent` never lowers it.
/// `recipient` is the provider's own WhatsApp id of the contact, when it reported one. Without a
/// provider id (the provider names none) the message is sent, and no status will follow.
pub async fn accepted(
    db: &D1Database,
    claimed: &Claimed,
    provider_message_id: Option<&str>,
    recipient: Option<&str>,
    now: i64,
) -> Result<Message, ApiError> {
    let sent = DeliveryStatus::Sent;
    let Some(provider_message_id) = provider_message_id else {
        let mark_sent = db
            .prepare(
                "UPDATE messages SET status = ?3, status_rank = ?4, status_at = ?5, \
                 send_claimed_until = NULL WHERE id = ?1 AND tenant_id = ?2 AND status_rank < ?4",
            )
            .bind(&[
                text(&claimed.id),
                text(&claimed.tenant_id),
                text(sent.as_str()),
                int(sent.rank()),
                int(now),
            ])?;
        return then_read(db, &claimed.tenant_id, &claimed.id, vec![mark_sent]).await;
    };
    let echo_args = [
        text(&claimed.id),
        text(&claimed.tenant_id),
        text(&claimed.channel_id),
        text(provider_message_id),
    ];
    let mut statements = Vec::with_capacity(6);
    for merge in MERGE_EARLY_ECHO {
        statements.push(db.prepare(merge).bind(&echo_args)?);
    }
    statements.push(
        db.prepare(
            "UPDATE messages SET provider_message_id = ?3, send_claimed_until = NULL, \
             status = CASE WHEN status_rank < ?5 THEN ?4 ELSE status END, \
             status_at = CASE WHEN status_rank < ?5 THEN ?6 ELSE status_at END, \
             status_rank = MAX(status_rank, ?5) WHERE id = ?1 AND tenant_id = ?2",
        )
        .bind(&[
            text(&claimed.id),
            text(&claimed.tenant_id),
            text(provider_message_id),
            text(sent.as_str()),
            int(sent.rank()),
            int(now),
        ])?,
    );
    if let Some(wa_id) = recipient.filter(|w| !w.is_empty()) {
        // The provider's canonical id for the contact; it already belonging to someone is fine.
        statements.push(
            db.prepare(
                "INSERT INTO contact_identities (tenant_id, identity, contact_id, created_at) \
                 SELECT ?1, ?2, contact_id, ?3 FROM conversations WHERE id = ?4 AND tenant_id = ?1 \
                 ON CONFLICT (tenant_id, identity) DO NOTHING",
            )
            .bind(&[
                text(&claimed.tenant_id),
                text(&IdentityKey::WhatsApp(wa_id.to_string()).to_string()),
                int(now),
                text(&claimed.conversation_id),
            ])?,
        );
    }
    then_read(db, &claimed.tenant_id, &claimed.id, statements).await
}

pub async fn failed(
    db: &D1Database,
    tenant_id: &str,
    message_id: &str,
    code: Option<i64>,
    title: &str,
    now: i64,
) -> Result<Message, ApiError> {
    let failed = DeliveryStatus::Failed;
    let statement = db
        .prepare(
            "UPDATE messages SET status = ?3, status_rank = ?4, status_at = ?5, error_code = ?6, \
             error_title = ?7, send_claimed_until = NULL WHERE id = ?1 AND tenant_id = ?2 AND status_rank < ?4",
        )
        .bind(&[
            text(message_id),
            text(tenant_id),
            text(failed.as_str()),
            int(failed.rank()),
            int(now),
            opt_int(code),
            text(title),
        ])?;
    then_read(db, tenant_id, message_id, vec![statement]).await
}
