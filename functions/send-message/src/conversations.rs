//! The read API: `GET /v1/conversations[/{id}[/messages]]`, `GET /v1/messages/{id}` and
//! `GET /v1/contacts/{id}`.
//! Another tenant's ids answer 404, exactly like ids that do not exist.

use ponte_core::cursor;
use ponte_edge::auth::Principal;
use ponte_edge::http::{json, limit_param, page, query_pairs, query_param, ApiResult};
use ponte_edge::problem::ApiError;
use ponte_edge::store::read::{self, ConversationFilter, Order};
use ponte_edge::store::{self, counts};
use worker::{Env, Request};

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
    let search = query_param(&q, "q");
    if search.is_some_and(|s| s.chars().count() > 100) {
        return Err(ApiError::BadRequest(
            "q must be at most 100 characters".into(),
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

pub async fn get(env: &Env, principal: &Principal, id: &str) -> ApiResult {
    match read::conversation(&store::db(env)?, principal.tenant_id(), id).await? {
        Some(conversation) => json(200, &conversation),
        None => Err(ApiError::NotFound(format!("no conversation {id}"))),
    }
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
    if read::conversation(&db, principal.tenant_id(), id)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound(format!("no conversation {id}")));
    }
    let rows = read::messages(&db, principal.tenant_id(), id, order, after, limit).await?;
    page(rows, limit, |m| cursor::encode(&(m.timestamp, m.seq)))
}

pub async fn message(env: &Env, principal: &Principal, id: &str) -> ApiResult {
    match read::message(&store::db(env)?, principal.tenant_id(), id).await? {
        Some(message) => json(200, &message),
        None => Err(ApiError::NotFound(format!("no message {id}"))),
    }
}

pub async fn contact(env: &Env, principal: &Principal, id: &str) -> ApiResult {
    match read::contact(&store::db(env)?, principal.tenant_id(), id).await? {
        Some(contact) => json(200, &contact),
        None => Err(ApiError::NotFound(format!("no contact {id}"))),
    }
}
