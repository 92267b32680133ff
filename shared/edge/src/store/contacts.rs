//! Contacts as the business sees them: found by name, by any written form of a number, by any
//! identity or email, or by a link to one of the business's own records; and what the business
//! keeps about them (email, attributes, blocked, those links).

use ponte_core::contact_fields::email_identity;
pub use ponte_core::contact_fields::ExternalRef;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{D1Database, D1PreparedStatement};

use super::read::{conversations_of, Conversation, CONVERSATION_COLUMNS};
use super::{int, opt_int, opt_text, text};
use crate::problem::ApiError;

#[derive(Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    pub name: Option<String>,
    #[serde(rename(serialize = "phone"))]
    pub phone_e164: Option<String>,
    pub email: Option<String>,
    /// Their profile picture on the provider's CDN, where a provider linked one.
    pub avatar_url: Option<String>,
    #[serde(skip_serializing)]
    attributes: Option<String>,
    #[serde(skip_serializing)]
    blocked_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A contact with everything known about it, as `GET /v1/contacts/{id}` shows it.
#[derive(Serialize)]
pub struct ContactView {
    #[serde(flatten)]
    pub contact: Contact,
    pub attributes: Value,
    pub blocked: bool,
    pub blocked_at: Option<i64>,
    pub identities: Vec<String>,
    pub external_refs: Vec<ExternalRef>,
    /// The channels it has a conversation on.
    pub channels: Vec<String>,
}

macro_rules! contact_columns {
    () => {
        "ct.id, ct.name, ct.phone_e164, ct.email, ct.avatar_url, ct.attributes, ct.blocked_at, \
         ct.created_at, ct.updated_at"
    };
}

const CONTACT: &str = concat!(
    "SELECT ",
    contact_columns!(),
    " FROM contacts ct WHERE ct.id = ?1 AND ct.tenant_id = ?2"
);

/// Newest first; `?3`/`?4` continue after a (created_at, id). `?5` is the search term: a part of
/// the name or email, `?6` digits of the number, `?7` a JSON array of identity keys the term
/// may be (`phone:+55…` in canonical form, `email:…`, the term itself).
const SEARCH: &str = concat!(
    "SELECT ",
    contact_columns!(),
    " FROM contacts ct WHERE ct.tenant_id = ?1 \
     AND (?3 IS NULL OR ct.created_at < ?3 OR (ct.created_at = ?3 AND ct.id < ?4)) \
     AND (?5 IS NULL OR instr(lower(ct.name), lower(?5)) > 0 OR instr(lower(ct.email), lower(?5)) > 0 \
     OR (?6 IS NOT NULL AND instr(ct.phone_e164, ?6) > 0) \
     OR ct.id IN (SELECT contact_id FROM contact_identities WHERE tenant_id = ?1 \
     AND identity IN (SELECT value FROM json_each(?7)))) \
     ORDER BY ct.created_at DESC, ct.id DESC LIMIT ?2"
);

const BY_EXTERNAL_REF: &str = concat!(
    "SELECT ",
    contact_columns!(),
    " FROM contact_external_refs r JOIN contacts ct ON ct.id = r.contact_id \
     WHERE r.tenant_id = ?1 AND r.system = ?2 AND r.type = ?3 AND r.ref_id = ?4"
);

pub struct ContactSearch<'a> {
    pub term: Option<&'a str>,
    pub digits: Option<&'a str>,
    pub identity_keys: &'a [String],
    pub after: Option<(i64, String)>,
    pub limit: u32,
}

/// One more row than `limit` when there is a next page.
pub async fn search(
    db: &D1Database,
    tenant_id: &str,
    s: &ContactSearch<'_>,
) -> Result<Vec<Contact>, ApiError> {
    let keys =
        serde_json::to_string(s.identity_keys).map_err(|e| ApiError::internal(e.to_string()))?;
    let (after_at, after_id) = s
        .after
        .clone()
        .map_or((None, None), |(at, id)| (Some(at), Some(id)));
    Ok(db
        .prepare(SEARCH)
        .bind(&[
            text(tenant_id),
            int(i64::from(s.limit) + 1),
            opt_int(after_at),
            opt_text(after_id.as_deref()),
            opt_text(s.term),
            opt_text(s.digits),
            text(&keys),
        ])?
        .all()
        .await?
        .results()?)
}

pub async fn by_external_ref(
    db: &D1Database,
    tenant_id: &str,
    r: &ExternalRef,
) -> Result<Option<Contact>, ApiError> {
    Ok(db
        .prepare(BY_EXTERNAL_REF)
        .bind(&[text(tenant_id), text(&r.system), text(&r.kind), text(&r.id)])?
        .first(None)
        .await?)
}

pub async fn find(db: &D1Database, tenant_id: &str, id: &str) -> Result<Option<Contact>, ApiError> {
    Ok(db
        .prepare(CONTACT)
        .bind(&[text(id), text(tenant_id)])?
        .first(None)
        .await?)
}

/// The contact's identity keys, oldest first; none when the tenant has no such contact.
pub async fn identities(
    db: &D1Database,
    tenant_id: &str,
    contact_id: &str,
) -> Result<Vec<String>, ApiError> {
    #[derive(Deserialize)]
    struct Identity {
        identity: String,
    }
    let rows: Vec<Identity> = db
        .prepare(
            "SELECT identity FROM contact_identities WHERE tenant_id = ?1 AND contact_id = ?2 \
             ORDER BY created_at, identity",
        )
        .bind(&[text(tenant_id), text(contact_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| r.identity).collect())
}

/// The contact with its identities, links and channels, read in one batch.
pub async fn view(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ContactView>, ApiError> {
    let args = [text(id), text(tenant_id)];
    let results = db
        .batch(vec![
            db.prepare(CONTACT).bind(&args)?,
            db.prepare(
                "SELECT identity FROM contact_identities WHERE contact_id = ?1 AND tenant_id = ?2 \
                 ORDER BY identity",
            )
            .bind(&args)?,
            db.prepare(
                "SELECT system, type, ref_id AS id FROM contact_external_refs \
                 WHERE contact_id = ?1 AND tenant_id = ?2 ORDER BY system, type, ref_id",
            )
            .bind(&args)?,
            db.prepare(
                "SELECT DISTINCT channel_id FROM conversations WHERE contact_id = ?1 \
                 AND tenant_id = ?2 ORDER BY channel_id",
            )
            .bind(&args)?,
        ])
        .await?;
    let [contact, identities, refs, channels] = results.as_slice() else {
        return Err(ApiError::internal("the contact batch answered short"));
    };
    let Some(contact) = contact.results::<Contact>()?.into_iter().next() else {
        return Ok(None);
    };
    #[derive(Deserialize)]
    struct Identity {
        identity: String,
    }
    #[derive(Deserialize)]
    struct Channel {
        channel_id: String,
    }
    Ok(Some(ContactView {
        attributes: contact.attributes(),
        blocked: contact.blocked_at.is_some(),
        blocked_at: contact.blocked_at,
        identities: identities
            .results::<Identity>()?
            .into_iter()
            .map(|i| i.identity)
            .collect(),
        external_refs: refs.results()?,
        channels: channels
            .results::<Channel>()?
            .into_iter()
            .map(|c| c.channel_id)
            .collect(),
        contact,
    }))
}

/// The contacts other than `id` that already hold any of these identity keys or links: a change
/// that would give them to `id` is refused rather than taking them away.
pub async fn holders_of(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    identity_keys: &[String],
    refs: &[ExternalRef],
) -> Result<Vec<String>, ApiError> {
    let keys =
        serde_json::to_string(identity_keys).map_err(|e| ApiError::internal(e.to_string()))?;
    let refs = serde_json::to_string(refs).map_err(|e| ApiError::internal(e.to_string()))?;
    #[derive(Deserialize)]
    struct Holder {
        contact_id: String,
    }
    let holders: Vec<Holder> = db
        .prepare(
            "SELECT contact_id FROM contact_identities WHERE tenant_id = ?1 AND contact_id <> ?2 \
             AND identity IN (SELECT value FROM json_each(?3)) \
             UNION SELECT r.contact_id FROM contact_external_refs r, json_each(?4) j \
             WHERE r.tenant_id = ?1 AND r.contact_id <> ?2 AND r.system = j.value ->> 'system' \
             AND r.type = j.value ->> 'type' AND r.ref_id = j.value ->> 'id'",
        )
        .bind(&[text(tenant_id), text(id), text(&keys), text(&refs)])?
        .all()
        .await?
        .results()?;
    Ok(holders.into_iter().map(|h| h.contact_id).collect())
}

/// What `PATCH /v1/contacts/{id}` changes; `None` leaves a field as it is.
#[derive(Default)]
pub struct ContactChange<'a> {
    pub name: Option<Option<&'a str>>,
    /// Lower-cased; its `email:` identity follows it.
    pub email: Option<Option<&'a str>>,
    /// A JSON merge patch (RFC 7386) onto the stored attributes.
    pub attributes: Option<&'a str>,
    pub blocked: Option<bool>,
    /// Replaces the contact's links.
    pub external_refs: Option<&'a [ExternalRef]>,
}

/// The largest attributes object kept, serialized.
pub const MAX_ATTRIBUTES_BYTES: usize = 16 * 1024;

const SET_NAME: &str =
    "UPDATE contacts SET name = ?3, name_from_business = (?3 IS NOT NULL), updated_at = ?4 \
     WHERE id = ?1 AND tenant_id = ?2";
const SET_EMAIL: &str =
    "UPDATE contacts SET email = ?3, updated_at = ?4 WHERE id = ?1 AND tenant_id = ?2";
/// The `email:` identity follows the email: the old one goes, the new one is added.
const DROP_OTHER_EMAILS: &str = "DELETE FROM contact_identities WHERE contact_id = ?1 \
     AND tenant_id = ?2 AND identity LIKE 'email:%' AND identity IS NOT ?3";
const ADD_EMAIL: &str =
    "INSERT INTO contact_identities (tenant_id, identity, contact_id, created_at) \
     VALUES (?2, ?3, ?1, ?4) ON CONFLICT (tenant_id, identity) DO NOTHING";
/// Merged by SQLite's own RFC 7386 `json_patch`, so concurrent patches of different keys both
/// land; the size was checked against the stored value before.
const PATCH_ATTRIBUTES: &str = "UPDATE contacts SET \
     attributes = json_patch(COALESCE(attributes, '{}'), ?3), updated_at = ?4 \
     WHERE id = ?1 AND tenant_id = ?2";
const SET_BLOCKED: &str = "UPDATE contacts SET \
     blocked_at = CASE WHEN ?3 THEN COALESCE(blocked_at, ?4) END, updated_at = ?4 \
     WHERE id = ?1 AND tenant_id = ?2";
const DROP_REFS: &str =
    "DELETE FROM contact_external_refs WHERE contact_id = ?1 AND tenant_id = ?2";
/// `WHERE true` keeps SQLite from reading `ON CONFLICT` as the join's `ON`.
const ADD_REFS: &str = "INSERT INTO contact_external_refs \
     (tenant_id, system, type, ref_id, contact_id, created_at) \
     SELECT ?2, j.value ->> 'system', j.value ->> 'type', j.value ->> 'id', ?1, ?4 \
     FROM json_each(?3) j WHERE true \
     ON CONFLICT (tenant_id, system, type, ref_id) DO NOTHING";

/// The statements of a change to an existing contact, for one batch.
pub fn change_statements(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    change: &ContactChange<'_>,
    now: i64,
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    let mut out = Vec::new();
    let email_identity = change.email.map(|email| email.map(email_identity));
    if let Some(identity) = &email_identity {
        out.push(db.prepare(DROP_OTHER_EMAILS).bind(&[
            text(id),
            text(tenant_id),
            opt_text(identity.as_deref()),
        ])?);
    }
    let mut push = |sql: &str, value| -> Result<(), ApiError> {
        out.push(
            db.prepare(sql)
                .bind(&[text(id), text(tenant_id), value, int(now)])?,
        );
        Ok(())
    };
    if let Some(name) = change.name {
        push(SET_NAME, opt_text(name))?;
    }
    if let Some(email) = change.email {
        push(SET_EMAIL, opt_text(email))?;
    }
    if let Some(Some(identity)) = &email_identity {
        push(ADD_EMAIL, text(identity))?;
    }
    if let Some(patch) = change.attributes {
        push(PATCH_ATTRIBUTES, text(patch))?;
    }
    if let Some(blocked) = change.blocked {
        push(SET_BLOCKED, int(i64::from(blocked)))?;
    }
    if let Some(refs) = change.external_refs {
        let refs = serde_json::to_string(refs).map_err(|e| ApiError::internal(e.to_string()))?;
        out.push(db.prepare(DROP_REFS).bind(&[text(id), text(tenant_id)])?);
        out.push(
            db.prepare(ADD_REFS)
                .bind(&[text(id), text(tenant_id), text(&refs), int(now)])?,
        );
    }
    Ok(out)
}

impl Contact {
    /// The stored attributes, an empty object when none.
    pub fn attributes(&self) -> Value {
        self.attributes
            .as_deref()
            .and_then(|a| serde_json::from_str(a).ok())
            .unwrap_or_else(|| Value::Object(Default::default()))
    }
}

/// The contact's conversations, newest activity first.
pub async fn conversations(
    db: &D1Database,
    tenant_id: &str,
    contact_id: &str,
) -> Result<Vec<Conversation>, ApiError> {
    let result = db
        .prepare(format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c JOIN contacts ct ON ct.id = c.contact_id \
             WHERE c.tenant_id = ?1 AND c.contact_id = ?2 ORDER BY c.last_activity_at DESC, c.id DESC"
        ))
        .bind(&[text(tenant_id), text(contact_id)])?
        .all()
        .await?;
    conversations_of(&result)
}
