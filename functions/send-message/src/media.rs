//! Media from the API: `POST /v1/media` uploads a file to send (streamed into R2), and
//! `POST /v1/messages/{id}/media/retry` tries again an attachment that failed to copy.

use ponte_core::ids::new_id;
use ponte_edge::auth::Principal;
use ponte_edge::bindings::{BLOBS, MEDIA_MAX_BYTES, MEDIA_QUEUE};
use ponte_edge::http::{json, query_pairs, query_param, ApiResult};
use ponte_edge::media_links;
use ponte_edge::problem::ApiError;
use ponte_edge::r2_stream::{self, Incoming, StreamError};
use ponte_edge::realtime::Events;
use ponte_edge::store::media::{self, MediaJob};
use ponte_edge::store::{self, read};
use worker::{Env, Request};

const MAX_FILENAME_CHARS: usize = 255;
const DEFAULT_MAX_BYTES: u64 = 100 * 1024 * 1024;

/// The raw body is the file, its `Content-Type` the file's type; `?filename=` names it.
pub async fn upload(req: &Request, env: &Env, principal: &Principal, now: i64) -> ApiResult {
    let tenant_id = principal.tenant_id();
    let content_type = req
        .headers()
        .get("content-type")?
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::InvalidField {
            field: "content-type".into(),
            reason: "is required: the file's type, like image/jpeg".into(),
        })?;
    if content_type.to_ascii_lowercase().starts_with("multipart/") {
        return Err(ApiError::InvalidField {
            field: "content-type".into(),
            reason: "send the file itself as the body, with its own type".into(),
        });
    }
    let query = query_pairs(req)?;
    let filename = query_param(&query, "filename").map(str::to_string);
    if filename
        .as_deref()
        .is_some_and(|f| f.is_empty() || f.chars().count() > MAX_FILENAME_CHARS)
    {
        return Err(ApiError::InvalidField {
            field: "filename".into(),
            reason: format!("must be 1 to {MAX_FILENAME_CHARS} characters"),
        });
    }
    let max = env
        .var(MEDIA_MAX_BYTES)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_MAX_BYTES);
    let bucket = env
        .bucket(BLOBS)
        .map_err(|e| ApiError::internal(format!("binding {BLOBS}: {e}")))?;
    let id = new_id("med");
    let key = format!("media/{tenant_id}/{id}");
    let incoming = Incoming::new(
        req.inner().body(),
        req.headers().get("content-length")?,
        Some(content_type),
        None,
    );
    let stored = r2_stream::into_r2(&bucket, &key, incoming, |_| max)
        .await
        .map_err(|e| match e {
            StreamError::TooLarge { .. } => ApiError::PayloadTooLarge(e.describe()),
            StreamError::Failed(reason) => ApiError::Unavailable(reason),
        })?;
    if stored.size == 0 {
        let _ = bucket.delete(&key).await;
        return Err(ApiError::BadRequest("the file is empty".into()));
    }
    let sha256: String = stored.sha256.iter().map(|b| format!("{b:02x}")).collect();
    let copied = media::Copied {
        r2_key: &key,
        content_type: &stored.content_type,
        size: stored.size,
        sha256: &sha256,
        filename: filename.as_deref(),
    };
    media::insert_upload(&store::db(env)?, tenant_id, &id, &copied, now).await?;
    json(
        201,
        &serde_json::json!({
            "id": id,
            "content_type": stored.content_type,
            "size": stored.size,
            "sha256": sha256,
            "filename": filename,
            "url": media_links::signed_path(&id),
        }),
    )
}

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
