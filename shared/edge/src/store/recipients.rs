//! Who a send goes to, and the earlier messages of that conversation it may name (a reply, a
//! reaction).

use ponte_core::identity::PhoneNumber;
use serde::Deserialize;
use worker::D1Database;

use super::inbound::{contact_statement, ArrivalKeys, Target};
use super::text;
use crate::problem::ApiError;

/// Where a message goes: a conversation, and how the provider addresses its contact.
#[derive(Debug, Deserialize)]
pub struct Recipient {
    pub conversation_id: String,
    pub channel_id: String,
    pub contact_id: String,
    pub last_inbound_at: Option<i64>,
    pub phone_e164: Option<String>,
    /// When the business blocked the contact: nothing is sent to them.
    pub blocked_at: Option<i64>,
    /// The contact's identities (`phone:…`, `wa:…`, `lid:…`), newest first, as a JSON array:
    /// the channel's adapter picks the address its provider takes.
    identities: String,
}

impl Recipient {
    pub fn identities(&self) -> Vec<String> {
        serde_json::from_str(&self.identities).unwrap_or_default()
    }
}

macro_rules! recipient_select {
    () => {
        "SELECT c.id AS conversation_id, c.channel_id, c.contact_id, c.last_inbound_at, ct.phone_e164, \
         ct.blocked_at, \
         (SELECT json_group_array(identity) FROM (SELECT i.identity FROM contact_identities i \
          WHERE i.contact_id = c.contact_id AND i.tenant_id = c.tenant_id \
          ORDER BY i.created_at DESC, i.identity)) AS identities \
         FROM conversations c JOIN contacts ct ON ct.id = c.contact_id "
    };
}

pub async fn recipient_of_conversation(
    db: &D1Database,
    tenant_id: &str,
    conversation_id: &str,
) -> Result<Option<Recipient>, ApiError> {
    Ok(db
        .prepare(concat!(
            recipient_select!(),
            "WHERE c.tenant_id = ?1 AND c.id = ?2"
        ))
        .bind(&[text(tenant_id), text(conversation_id)])?
        .first(None)
        .await?)
}

/// The conversation with `phone` on the channel, created with its contact when new. The phone
/// is keyed in canonical form, so a Brazilian number written with or without the ninth digit
/// finds the same contact as an inbound message from it.
pub async fn recipient_by_phone(
    db: &D1Database,
    tenant_id: &str,
    channel_id: &str,
    phone: &PhoneNumber,
    now: i64,
) -> Result<Recipient, ApiError> {
    let canonical = phone.canonical().e164();
    let key = format!("phone:{canonical}");
    let read = db
        .prepare(concat!(
            recipient_select!(),
            "WHERE c.tenant_id = ?1 AND c.channel_id = ?2 AND c.contact_id = \
             (SELECT contact_id FROM contact_identities WHERE tenant_id = ?1 AND identity = ?3)"
        ))
        .bind(&[text(tenant_id), text(channel_id), text(&key)])?;
    let target = Target {
        tenant_id,
        channel_id,
        received_at: now,
    };
    arrive_then_read(db, &target, key, Some(&canonical), read)
        .await?
        .ok_or_else(|| ApiError::internal("the conversation was not created"))
}

/// The conversation of an existing contact on the channel, created when new, or `None` when the
/// tenant has no such contact. `identity` is one of the contact's keys: the arrival view finds
/// the contact by it.
pub async fn recipient_by_contact(
    db: &D1Database,
    tenant_id: &str,
    channel_id: &str,
    contact_id: &str,
    identity: &str,
    now: i64,
) -> Result<Option<Recipient>, ApiError> {
    let read = db
        .prepare(concat!(
            recipient_select!(),
            "WHERE c.tenant_id = ?1 AND c.channel_id = ?2 AND c.contact_id = ?3"
        ))
        .bind(&[text(tenant_id), text(channel_id), text(contact_id)])?;
    let target = Target {
        tenant_id,
        channel_id,
        received_at: now,
    };
    arrive_then_read(db, &target, identity.to_string(), None, read).await
}

/// In one batch: the contact known by `key` arrives on the channel (it and its conversation
/// created when new), then `read` reads the recipient back.
async fn arrive_then_read(
    db: &D1Database,
    target: &Target<'_>,
    key: String,
    phone: Option<&str>,
    read: worker::D1PreparedStatement,
) -> Result<Option<Recipient>, ApiError> {
    let arrive = contact_statement(db, target, &ArrivalKeys::one(key), None, phone)?;
    let results = db.batch(vec![arrive, read]).await?;
    let rows: Vec<Recipient> = results
        .last()
        .ok_or_else(|| ApiError::internal("empty batch result"))?
        .results()?;
    Ok(rows.into_iter().next())
}

/// One of our messages as its provider knows it: a reply or a reaction names it.
#[derive(Debug, Deserialize)]
pub struct Referenced {
    /// `None` while the provider has not accepted it yet.
    pub provider_message_id: Option<String>,
    pub direction: String,
    pub text: Option<String>,
}

/// One of our messages in a conversation, or `None` when there is no such message.
pub async fn message_in_conversation(
    db: &D1Database,
    tenant_id: &str,
    conversation_id: &str,
    message_id: &str,
) -> Result<Option<Referenced>, ApiError> {
    Ok(db
        .prepare(
            "SELECT provider_message_id, direction, text FROM messages \
             WHERE id = ?1 AND tenant_id = ?2 AND conversation_id = ?3",
        )
        .bind(&[text(message_id), text(tenant_id), text(conversation_id)])?
        .first(None)
        .await?)
}
