//! `GET /v1/dead-letters`: sends that ran out of attempts, newest first (admin).

use ponte_edge::auth::Principal;
use ponte_edge::http::{limit_param, page, query_pairs, query_param, ApiResult};
use ponte_edge::problem::ApiError;
use ponte_edge::store::{self, dead_letters};
use worker::{Env, Request};

pub async fn list(req: &Request, env: &Env, principal: &Principal) -> ApiResult {
    principal.require_admin()?;
    let q = query_pairs(req)?;
    let limit = limit_param(&q, 50, 200)?;
    let before = match query_param(&q, "cursor") {
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| ApiError::BadRequest("cursor is not one this API returned".into()))?,
        ),
        None => None,
    };
    let rows = dead_letters::list(&store::db(env)?, principal.tenant_id(), before, limit).await?;
    page(rows, limit, |d| d.seq.to_string())
}
