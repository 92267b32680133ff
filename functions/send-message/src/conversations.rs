//! Conversations: `GET /v1/conversations[/{id}[/messages]]`, `GET /v1/messages/{id}`, and
//! `POST /v1/conversations`, which opens one without sending.
//! Another tenant's ids answer 404, exactly like ids that do not exist.

use ponte_core::cursor;
use ponte_core::identity::PhoneNumber;
use ponte_edge::auth::Principal;
use ponte_edge::channel_cache;
use ponte_edge::http::{json, limit_param, page, query_pairs, query_param, read_json, ApiResult};
use ponte_edge::problem::ApiError;
use ponte_edge::store::read::{self, Conversation, ConversationFilter, Order};
use ponte_edge::store::{self, contacts, counts, merges, recipients};
use serde::Deserialize;
use worker::{D1Database, Env, Request};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

fn bad_cursor() -> ApiError {
    ApiError::BadRequest("cursor is not one this API returned".into())
}

pub async fn list(req: &Request, env: &Env, principal: &Principal) -> ApiResult {
    let q = query_pairs(req)?;
    let limit = limit_param(&q, DEFAULT_LIMIT, MAX_LIMIT)?;
    let status = query_param(&q, "status");
    if let Some(s) = status {
        if !["open", "pending", "resolved"].contains(&s) {
            return Err(ApiError::BadRequest(
                "status must be open, pending or resolved".into(),
            ));
        }
    }
    let after = match query_param(&q, "cursor") {
        Some(c) => Some(cursor::decode::<(i64, String)>(c).ok_or_else(bad_cursor)?),
        None => None,
    };
    let search = query_param(&q, "query").or_else(|| query_param(&q, "q"));
    if search.is_some_and(|s| s.chars().count() > 100) {
        return Err(ApiError::BadRequest(
            "query must be at most 100 characters".into(),
        ));
    }
    let filter = ConversationFilter {
        channel_id: query_param(&q, "channel_id"),
        status,
        search,
        after,
        limit,
    };
    let rows = read::conversations(&store::db(env)?, principal.tenant_id(), &filter).await?;
    page(rows, limit, |c| {
        cursor::encode(&(c.last_activity_at, &c.id))
    })
}

/// `GET /v1/conversations/counts`: for tab badges and the title's unread count, which a page
/// of the list cannot give.
pub async fn counts(env: &Env, principal: &Principal) -> ApiResult {
    json(
        200,
        &counts::conversation_counts(&store::db(env)?, principal.tenant_id()).await?,
    )
}

/// The conversation `id` names: itself, or, when a contact merge combined it into another, that
/// one, so that reads follow a merge.
async fn found(db: &D1Database, tenant_id: &str, id: &str) -> Result<Conversation, ApiError> {
    if let Some(conversation) = read::conversation(db, tenant_id, id).await? {
        return Ok(conversation);
    }
    if let Some(now) = merges::conversation_now(db, tenant_id, id).await? {
        if let Some(conversation) = read::conversation(db, tenant_id, &now).await? {
            return Ok(conversation);
        }
    }
    Err(ApiError::NotFound(format!("no conversation {id}")))
}

pub async fn get(env: &Env, principal: &Principal, id: &str) -> ApiResult {
    json(
        200,
        &found(&store::db(env)?, principal.tenant_id(), id).await?,
    )
}

pub async fn messages(req: &Request, env: &Env, principal: &Principal, id: &str) -> ApiResult {
    let q = query_pairs(req)?;
    let limit = limit_param(&q, DEFAULT_LIMIT, MAX_LIMIT)?;
    let order = match query_param(&q, "order") {
        None | Some("asc") => Order::Ascending,
        Some("desc") => Order::Descending,
        Some(_) => return Err(ApiError::BadRequest("order must be asc or desc".into())),
    };
    let after = match query_param(&q, "cursor") {
        Some(c) => Some(cursor::decode::<(i64, i64)>(c).ok_or_else(bad_cursor)?),
        None => None,
    };
    let db = store::db(env)?;
    let conversation = found(&db, principal.tenant_id(), id).await?;
    let rows = read::messages(
        &db,
        principal.tenant_id(),
        &conversation.id,
        order,
        after,
        limit,
    )
    .await?;
    page(rows, limit, |m| cursor::encode(&(m.timestamp, m.seq)))
}

pub async fn message(env: &Env, principal: &Principal, id: &str) -> ApiResult {
    match read::message(&store::db(env)?, principal.tenant_id(), id).await? {
        Some(message) => json(200, &message),
        None => Err(ApiError::NotFound(format!("no message {id}"))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenConversation {
    channel_id: String,
    contact_id: Option<String>,
    to: Option<String>,
}

/// `POST /v1/conversations`: the conversation of a contact (or of a number) on a channel, found
/// or created, without sending anything, so that an agent can start from a CRM record. `201`
/// when it is new, `200` when it was there. The first send still meets the window's rules.
pub async fn open(req: &mut Request, env: &Env, principal: &Principal, now: i64) -> ApiResult {
    let body: OpenConversation = read_json(req).await?;
    let tenant_id = principal.tenant_id();
    let db = store::db(env)?;
    let channel = channel_cache::by_id(env, &db, tenant_id, &body.channel_id, now)
        .await?
        .ok_or_else(|| invalid("channel_id", "no such channel"))?;
    let provider = channel.channel.provider().name();
    let unreachable = |field: &str| {
        invalid(
            field,
            format!("a {provider} channel has no way to reach this contact"),
        )
    };
    let recipient = match (&body.contact_id, &body.to) {
        (Some(contact_id), None) => {
            let identities = contacts::identities(&db, tenant_id, contact_id).await?;
            let Some(first) = identities.first() else {
                return Err(invalid("contact_id", "no such contact"));
            };
            let keys: Vec<&str> = identities.iter().map(String::as_str).collect();
            if channel.channel.address(&keys).is_none() {
                return Err(unreachable("contact_id"));
            }
            recipients::recipient_by_contact(
                &db,
                tenant_id,
                &body.channel_id,
                contact_id,
                first,
                now,
            )
            .await?
            .ok_or_else(|| invalid("contact_id", "no such contact"))?
        }
        (None, Some(to)) => {
            let phone = PhoneNumber::parse_in(to, channel.channel.default_country())
                .map_err(|e| invalid("to", e.to_string()))?;
            let key = format!("phone:{}", phone.canonical().e164());
            if channel.channel.address(&[key.as_str()]).is_none() {
                return Err(unreachable("to"));
            }
            recipients::recipient_by_phone(&db, tenant_id, &body.channel_id, &phone, now).await?
        }
        _ => {
            return Err(invalid(
                "contact_id",
                "give either contact_id or to, not both",
            ))
        }
    };
    let conversation = read::conversation(&db, tenant_id, &recipient.conversation_id)
        .await?
        .ok_or_else(|| ApiError::internal("the conversation just opened is missing"))?;
    // The arrival view stamps a new conversation with this request's time.
    let status = if conversation.created_at == now {
        201
    } else {
        200
    };
    json(status, &conversation)
}

fn invalid(field: &str, reason: impl Into<String>) -> ApiError {
    ApiError::InvalidField {
        field: field.into(),
        reason: reason.into(),
    }
}
