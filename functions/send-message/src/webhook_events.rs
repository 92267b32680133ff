//! `GET /v1/webhook-events`: the tenant's webhook deliveries, newest first; and
//! `POST /v1/webhook-events/{id}/replay`: a stored delivery read again by today's adapter, for a
//! deployment that fixed a parser to recover what it could not read. Storing is exactly once, so
//! replaying a delivery, once or twice, adds only what was missing.

use ponte_core::cursor;
use ponte_core::providers::WebhookRequest;
use ponte_edge::auth::Principal;
use ponte_edge::bindings::BLOBS;
use ponte_edge::channel_cache;
use ponte_edge::http::{json, limit_param, page, query_pairs, query_param, ApiResult};
use ponte_edge::ingest;
use ponte_edge::problem::ApiError;
use ponte_edge::store::inbound::{self, Target};
use ponte_edge::store::webhook_events::{self, Outcome, StoredDelivery};
use ponte_edge::store::{self};
use worker::{D1Database, Env, Request};

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

pub async fn replay(env: &Env, principal: &Principal, id: &str, now: i64) -> ApiResult {
    principal.require_admin()?;
    let tenant_id = principal.tenant_id();
    let db = store::db(env)?;
    let stored = webhook_events::stored_delivery(&db, tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such webhook event".into()))?;
    if !stored.signature_ok {
        return Err(ApiError::Conflict(
            "only a delivery whose signature was verified can be replayed; this one was refused"
                .into(),
        ));
    }
    let body = body_of(env, &stored).await?;
    let channel = channel_cache::by_id(env, &db, tenant_id, &stored.channel_id, now)
        .await?
        .filter(|c| c.record.provider == stored.provider)
        .ok_or_else(|| {
            ApiError::Conflict("the channel that received this delivery no longer exists".into())
        })?;
    let request = WebhookRequest {
        method: "POST",
        url: "",
        rest: stored.path_rest.as_deref().unwrap_or_default(),
        query: &[],
        headers: &[],
        body: &body,
        received_at_ms: stored.received_at,
    };
    match channel.channel.normalize(&request) {
        Err(e) => {
            let counts = (0, 0, 0);
            let reason = e.to_string();
            webhook_events::replayed(
                &db,
                tenant_id,
                id,
                Outcome::Unprocessable,
                counts,
                Some(&reason),
                now,
            )?
            .run()
            .await?;
        }
        Ok(batch) => {
            let counts = (
                batch.messages.len(),
                batch.status_count(),
                batch.ignored.len(),
            );
            let (outcome, error) = match batch.unreadable.first() {
                None => (Outcome::Stored, None),
                Some(first) => (
                    Outcome::Unprocessable,
                    Some(format!(
                        "{} part(s) could not be read: {first}",
                        batch.unreadable.len()
                    )),
                ),
            };
            let target = Target {
                tenant_id,
                channel_id: &channel.record.id,
                received_at: stored.received_at,
            };
            let write = inbound::statements(&db, &target, &batch, true)?;
            let lead = webhook_events::replayed(
                &db,
                tenant_id,
                id,
                outcome,
                counts,
                error.as_deref(),
                now,
            )?;
            let committed = ingest::commit(&db, write, lead, ingest::max_statements(env))
                .await
                .map_err(|e| ApiError::Unavailable(format!("replaying {id}: {e}")))?;
            ingest::finish(
                env.clone(),
                channel,
                committed,
                true,
                format!("replay of {id}"),
            )
            .await;
        }
    }
    event_now(&db, tenant_id, id).await
}

/// The delivery's bytes, from its row or from R2.
async fn body_of(env: &Env, stored: &StoredDelivery) -> Result<Vec<u8>, ApiError> {
    if let Some(body) = &stored.body {
        return Ok(body.clone().into_bytes());
    }
    let gone = || ApiError::Conflict("this delivery's body is no longer kept".into());
    let key = stored.body_r2_key.as_deref().ok_or_else(gone)?;
    let bucket = env
        .bucket(BLOBS)
        .map_err(|e| ApiError::internal(format!("binding {BLOBS}: {e}")))?;
    let object = bucket.get(key).execute().await?.ok_or_else(gone)?;
    let body = object.body().ok_or_else(gone)?;
    Ok(body.bytes().await?)
}

async fn event_now(db: &D1Database, tenant_id: &str, id: &str) -> ApiResult {
    let event = webhook_events::event(db, tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("webhook event {id} vanished")))?;
    json(200, &event)
}
