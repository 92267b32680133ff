//! `POST /v1/messages/{id}/media/retry`: a message's attachment that failed to copy is tried
//! again from the start.

use ponte_edge::auth::Principal;
use ponte_edge::bindings::MEDIA_QUEUE;
use ponte_edge::http::{json, ApiResult};
use ponte_edge::problem::ApiError;
use ponte_edge::realtime::Events;
use ponte_edge::store::media::{self, MediaJob};
use ponte_edge::store::{self, read};
use worker::Env;

pub async fn retry(env: &Env, principal: &Principal, message_id: &str, now: i64) -> ApiResult {
    let tenant_id = principal.tenant_id();
    let db = store::db(env)?;
    let Some(attachment) = media::of_message(&db, tenant_id, message_id).await? else {
        return Err(ApiError::NotFound(format!(
            "no message {message_id} with an attachment"
        )));
    };
    if attachment.status != "failed" {
        return Err(ApiError::Conflict(format!(
            "the attachment is {}; only a failed one is tried again",
            attachment.status
        )));
    }
    let media_id = media::retry_failed(&db, tenant_id, message_id, now)
        .await?
        .ok_or_else(|| ApiError::Conflict("the attachment changed meanwhile".into()))?;
    let queue = env
        .queue(MEDIA_QUEUE)
        .map_err(|_| ApiError::internal(format!("binding {MEDIA_QUEUE} is missing")))?;
    let job = MediaJob {
        tenant_id: tenant_id.to_string(),
        media_id,
    };
    queue.send(&job).await?;
    let message = read::message(&db, tenant_id, message_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no message {message_id}")))?;
    let mut events = Events::default();
    events.message_updated(&message);
    events.publish(env, tenant_id).await;
    json(202, &message)
}
