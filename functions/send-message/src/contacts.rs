//! The contacts API: `GET /v1/contacts` (search by name, any written form of a number, any
//! identity or email, or `external=system:type:id`), `GET` and `PATCH /v1/contacts/{id}`, and
//! `GET /v1/contacts/{id}/conversations`, `POST /v1/contacts/{id}/merge`. A merged-away id
//! reads and writes the contact it became. Another tenant's ids answer 404, like ids that do
//! not exist.

use ponte_core::contact_fields::{check_external_refs, email, email_identity, merge_patch, name};
use ponte_core::cursor;
use ponte_core::identity::{CallingCode, PhoneNumber};
use ponte_edge::auth::Principal;
use ponte_edge::http::{json, limit_param, page, query_pairs, query_param, read_json, ApiResult};
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use ponte_edge::realtime::Events;
use ponte_edge::store::contacts::{
    self, ContactChange, ContactSearch, ExternalRef, MAX_ATTRIBUTES_BYTES,
};
use ponte_edge::store::merges::merge_statement;
use ponte_edge::store::{self, channels, merges};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use worker::{console_error, D1Database, Env, Request};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;
const MAX_QUERY_CHARS: usize = 100;
/// Fewer digits than this match too many numbers to be a search by number.
const MIN_SEARCH_DIGITS: usize = 4;

pub async fn list(req: &Request, env: &Env, principal: &Principal) -> ApiResult {
    let q = query_pairs(req)?;
    let limit = limit_param(&q, DEFAULT_LIMIT, MAX_LIMIT)?;
    let db = store::db(env)?;
    if let Some(external) = query_param(&q, "external") {
        let found =
            contacts::by_external_ref(&db, principal.tenant_id(), &external_ref(external)?).await?;
        return json(
            200,
            &json!({ "data": found.into_iter().collect::<Vec<_>>(), "next_cursor": null }),
        );
    }
    let after =
        match query_param(&q, "cursor") {
            Some(c) => Some(cursor::decode::<(i64, String)>(c).ok_or_else(|| {
                ApiError::BadRequest("cursor is not one this API returned".into())
            })?),
            None => None,
        };
    let term = query_param(&q, "query")
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if term.is_some_and(|t| t.chars().count() > MAX_QUERY_CHARS) {
        return Err(ApiError::BadRequest(format!(
            "query must be at most {MAX_QUERY_CHARS} characters"
        )));
    }
    let digits: Option<String> = term
        .map(|t| t.chars().filter(char::is_ascii_digit).collect::<String>())
        .filter(|d| d.len() >= MIN_SEARCH_DIGITS);
    // A number written nationally is read in every country the tenant's channels name.
    let countries = match &digits {
        Some(_) => channels::default_countries(&db, principal.tenant_id()).await?,
        None => Vec::new(),
    };
    let identity_keys = term
        .map(|t| identity_keys(t, &countries))
        .unwrap_or_default();
    let search = ContactSearch {
        term,
        digits: digits.as_deref(),
        identity_keys: &identity_keys,
        after,
        limit,
    };
    let rows = contacts::search(&db, principal.tenant_id(), &search).await?;
    page(rows, limit, |c| cursor::encode(&(c.created_at, &c.id)))
}

/// The identities a search term may be: a number in any written form (stored canonical, so an
/// old Brazilian mobile finds its contact with or without the ninth digit), also as written in
/// one of `countries`, an email, or an identity key as stored (`tg:42`, `lid:…`).
fn identity_keys(term: &str, countries: &[CallingCode]) -> Vec<String> {
    let mut keys = Vec::new();
    let readings = std::iter::once(None).chain(countries.iter().map(Some));
    for phone in readings.filter_map(|country| PhoneNumber::parse_in(term, country).ok()) {
        for key in [
            format!("phone:{}", phone.canonical().e164()),
            format!("wa:{}", phone.digits()),
        ] {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    if term.contains('@') {
        keys.push(email_identity(&term.to_lowercase()));
    }
    if term.contains(':') {
        keys.push(term.to_string());
    }
    keys
}

/// `system:type:id`; the id may itself hold colons.
fn external_ref(raw: &str) -> Result<ExternalRef, ApiError> {
    let mut parts = raw.splitn(3, ':');
    let (Some(system), Some(kind), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ApiError::BadRequest(
            "external must be system:type:id, e.g. odoo:res.partner:42".into(),
        ));
    };
    let r = ExternalRef {
        system: system.to_string(),
        kind: kind.to_string(),
        id: id.to_string(),
    };
    check_external_refs(std::slice::from_ref(&r))
        .map_err(|e| ApiError::BadRequest(format!("external: {}", e.reason)))?;
    Ok(r)
}

/// The contact `id` names now: itself, or the one it was merged into, so that an id a CRM kept
/// from before a merge still reads and writes the person.
async fn current(db: &D1Database, tenant_id: &str, id: &str) -> Result<String, ApiError> {
    if contacts::find(db, tenant_id, id).await?.is_some() {
        return Ok(id.to_string());
    }
    merges::contact_now(db, tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no contact {id}")))
}

pub async fn get(env: &Env, principal: &Principal, id: &str) -> ApiResult {
    let db = store::db(env)?;
    let id = current(&db, principal.tenant_id(), id).await?;
    match contacts::view(&db, principal.tenant_id(), &id).await? {
        Some(contact) => json(200, &contact),
        None => Err(ApiError::NotFound(format!("no contact {id}"))),
    }
}

pub async fn conversations(env: &Env, principal: &Principal, id: &str) -> ApiResult {
    let db = store::db(env)?;
    let tenant_id = principal.tenant_id();
    let id = current(&db, tenant_id, id).await?;
    let rows = contacts::conversations(&db, tenant_id, &id).await?;
    json(200, &json!({ "data": rows }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeRequest {
    other: String,
}

/// `POST /v1/contacts/{id}/merge`: `other` is the same person as `id`, and becomes it.
pub async fn merge(req: &mut Request, env: &Env, principal: &Principal, id: &str) -> ApiResult {
    let body: MergeRequest = read_json(req).await?;
    let tenant_id = principal.tenant_id();
    let db = store::db(env)?;
    let survivor = current(&db, tenant_id, id).await?;
    let other = current(&db, tenant_id, &body.other)
        .await
        .map_err(|_| invalid("other", "no such contact"))?;
    if other == survivor {
        return Err(invalid("other", "is already this contact"));
    }
    let now = now_ms();
    db.batch(vec![merge_statement(
        &db, tenant_id, &survivor, &other, now,
    )?])
    .await?;
    let mut events = Events::default();
    events.contact_merged(&survivor, &other);
    events.publish(env, tenant_id).await;
    get(env, principal, &survivor).await
}

/// `null` is a value here (it clears the field); only an absent field is left alone.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactPatch {
    #[serde(default, deserialize_with = "present")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    attributes: Option<Value>,
    blocked: Option<bool>,
    external_refs: Option<Vec<ExternalRef>>,
}

pub async fn update(req: &mut Request, env: &Env, principal: &Principal, id: &str) -> ApiResult {
    let patch: ContactPatch = read_json(req).await?;
    let tenant_id = principal.tenant_id();
    let db = store::db(env)?;
    let id = &current(&db, tenant_id, id).await?;
    let current = contacts::find(&db, tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no contact {id}")))?;
    let name = patch
        .name
        .map(|n| n.as_deref().map(name).transpose())
        .transpose()?;
    let email = patch
        .email
        .map(|e| e.as_deref().map(email).transpose())
        .transpose()?;
    let attributes = match &patch.attributes {
        None => None,
        Some(changes @ Value::Object(_)) => {
            let patched = merge_patch(current.attributes(), changes);
            let size = patched.to_string().len();
            if size > MAX_ATTRIBUTES_BYTES {
                return Err(invalid(
                    "attributes",
                    format!("would be {size} bytes once merged; at most {MAX_ATTRIBUTES_BYTES}"),
                ));
            }
            Some(changes.to_string())
        }
        Some(_) => return Err(invalid("attributes", "must be a JSON object")),
    };
    let mut refs = patch.external_refs;
    if let Some(refs) = &mut refs {
        check_external_refs(refs)?;
        refs.sort_by(|a, b| (&a.system, &a.kind, &a.id).cmp(&(&b.system, &b.kind, &b.id)));
        refs.dedup();
    }
    let claimed: Vec<String> = email.iter().flatten().map(|e| email_identity(e)).collect();
    let holders = contacts::holders_of(
        &db,
        tenant_id,
        id,
        &claimed,
        refs.as_deref().unwrap_or_default(),
    )
    .await?;
    if let Some(holder) = holders.first() {
        return Err(ApiError::Conflict(format!(
            "that email or external reference already belongs to contact {holder}"
        )));
    }
    let change = ContactChange {
        name: name.as_ref().map(|n| n.as_deref()),
        email: email.as_ref().map(|e| e.as_deref()),
        attributes: attributes.as_deref(),
        blocked: patch.blocked,
        external_refs: refs.as_deref(),
    };
    let statements = contacts::change_statements(&db, tenant_id, id, &change, now_ms())?;
    if !statements.is_empty() {
        db.batch(statements).await?;
        if name.is_some() {
            tell_inboxes(env, &db, tenant_id, id).await;
        }
    }
    get(env, principal, id).await
}

/// Every conversation shows its contact's name: inboxes hear of each again, as it is now. The
/// change is stored whatever happens here.
async fn tell_inboxes(env: &Env, db: &D1Database, tenant_id: &str, id: &str) {
    match contacts::conversations(db, tenant_id, id).await {
        Ok(conversations) => {
            let mut events = Events::default();
            conversations
                .iter()
                .for_each(|c| events.conversation_updated(c));
            events.publish(env, tenant_id).await;
        }
        Err(e) => console_error!("reading contact {id}'s conversations for inboxes: {e:?}"),
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> ApiError {
    ApiError::InvalidField {
        field: field.into(),
        reason: reason.into(),
    }
}
