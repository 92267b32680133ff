//! `GET /v1/webhook-events`: the tenant's webhook deliveries, newest first.

use ponte_core::cursor;
use ponte_edge::auth::Principal;
use ponte_edge::http::{limit_param, page, query_pairs, query_param, ApiResult};
use ponte_edge::problem::ApiError;
use ponte_edge::store::{self, webhook_events};
use worker::{Env, Request};

pub async fn list(req: &Request, env: &Env, principal: &Principal) -> ApiResult {
    let q = query_pairs(req)?;
    let limit = limit_param(&q, 50, 200)?;
    let before =
        match query_param(&q, "cursor") {
            Some(c) => Some(cursor::decode::<i64>(c).ok_or_else(|| {
                ApiError::BadRequest("cursor is not one this API returned".into())
            })?),
            None => None,
        };
    let db = store::db(env)?;
    let rows = webhook_events::list(
        &db,
        principal.tenant_id(),
        query_param(&q, "channel_id"),
        before,
        limit + 1,
    )
    .await?;
    page(rows, limit, |e| cursor::encode(&e.seq))
}
