//! Media from the API: `POST /v1/media` uploads a file to send (streamed into R2), and
//! `POST /v1/messages/{id}/media/retry` tries again an attachment that failed to copy.

use ponte_core::ids::new_id;
use ponte_core::multipart;
use ponte_core::signature::to_hex;
use ponte_edge::auth::Principal;
use ponte_edge::bindings::{media_max_bytes, BLOBS, MEDIA_QUEUE};
use ponte_edge::form_upload;
use ponte_edge::http::{json, query_pairs, query_param, ApiResult};
use ponte_edge::media_links;
use ponte_edge::problem::ApiError;
use ponte_edge::r2_stream::{self, StreamError};
use ponte_edge::realtime::Events;
use ponte_edge::store::media::{self, MediaJob};
use ponte_edge::store::{self, read};
use std::time::Duration;

use ponte_core::providers::{Answer, SendOutcome};
use ponte_edge::http::public_base_url;
use ponte_edge::media_links::PROVIDER_LINK_TTL_SECONDS;
use ponte_edge::provider_http;
use ponte_edge::store::channels::OpenedChannel;
use worker::{D1Database, Env, Request, ResponseBody};

use crate::sender::refusal_detail;

const MAX_FILENAME_CHARS: usize = 255;

/// The file is the raw body (its `Content-Type` the file's type, `?filename=` its name) or the
/// `file` field of a `multipart/form-data` form (its part's type and file name). Either way it
/// streams into R2.
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
    let query = query_pairs(req)?;
    let mut filename = query_param(&query, "filename").map(str::to_string);
    let max = media_max_bytes(env);
    let body = req.inner().body();
    let (chunks, length, file_type) = if is_multipart(&content_type) {
        let boundary = multipart::boundary(&content_type).map_err(|e| ApiError::InvalidField {
            field: "content-type".into(),
            reason: e.0,
        })?;
        let body = body.ok_or_else(|| ApiError::BadRequest("the body is empty".into()))?;
        let (part, chunks) = form_upload::file_part(body, &boundary)
            .await
            .map_err(|e| ApiError::BadRequest(format!("the form is malformed: {e}")))?
            .ok_or_else(|| ApiError::InvalidField {
                field: form_upload::FILE_FIELD.into(),
                reason: "is required: the form field that holds the file".into(),
            })?;
        if filename.is_none() {
            filename = part.filename.filter(|f| !f.is_empty());
        }
        let file_type = part
            .content_type
            .unwrap_or_else(|| "application/octet-stream".into());
        (chunks, None, file_type)
    } else {
        let length = req
            .headers()
            .get("content-length")?
            .and_then(|l| l.trim().parse::<u64>().ok());
        (r2_stream::chunks_of(body), length, content_type)
    };
    if filename
        .as_deref()
        .is_some_and(|f| f.is_empty() || f.chars().count() > MAX_FILENAME_CHARS)
    {
        return Err(ApiError::InvalidField {
            field: "filename".into(),
            reason: format!("must be 1 to {MAX_FILENAME_CHARS} characters"),
        });
    }
    if let Some(size) = length.filter(|l| *l > max) {
        r2_stream::discard(chunks, size.min(r2_stream::DISCARD_MAX_BYTES)).await;
        return Err(ApiError::PayloadTooLarge(
            StreamError::TooLarge { size, max }.describe(),
        ));
    }
    let bucket = env
        .bucket(BLOBS)
        .map_err(|e| ApiError::internal(format!("binding {BLOBS}: {e}")))?;
    let id = new_id("med");
    let key = format!("media/{tenant_id}/{id}");
    let stored = r2_stream::chunks_into_r2(&bucket, &key, chunks, length, file_type, max)
        .await
        .map_err(|e| match e {
            StreamError::TooLarge { .. } => ApiError::PayloadTooLarge(e.describe()),
            StreamError::Unreadable(reason) => ApiError::BadRequest(reason),
            StreamError::Failed(reason) => ApiError::Unavailable(reason),
        })?;
    if stored.size == 0 {
        let _ = bucket.delete(&key).await;
        return Err(ApiError::BadRequest("the file is empty".into()));
    }
    let sha256 = to_hex(&stored.sha256);
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

fn is_multipart(content_type: &str) -> bool {
    content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/")
}

/// How a send hands an upload to its provider.
pub enum Handover {
    /// The provider's own id for it, from its upload API.
    ProviderId(String),
    /// A signed link to it on the public origin, valid for as long as the send's retries take.
    Link(String),
}

/// Checks that `upload` is a ready upload not sent yet (an upload is sent once), then hands it
/// over the provider's way.
pub async fn hand_over(
    req: &Request,
    env: &Env,
    db: &D1Database,
    channel: &OpenedChannel,
    upload: &str,
    kind: &str,
    timeout: Duration,
) -> Result<Handover, ApiError> {
    let field = format!("{kind}.id");
    let tenant_id = &channel.record.tenant_id;
    let row = media::find(db, tenant_id, upload)
        .await?
        .filter(|row| row.status == "ready")
        .ok_or_else(|| ApiError::InvalidField {
            field: field.clone(),
            reason: "no such upload".into(),
        })?;
    if row.message_id.is_some() {
        return Err(ApiError::InvalidField {
            field,
            reason: "this upload was already sent; upload the file again".into(),
        });
    }
    let content_type = row
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    let Some(plan) = channel.channel.media_upload(&content_type) else {
        let path = media_links::signed_path_for(upload, Some(PROVIDER_LINK_TTL_SECONDS))
            .ok_or_else(|| ApiError::internal("media links are not set up"))?;
        return Ok(Handover::Link(format!(
            "{}{path}",
            public_base_url(req, env)?
        )));
    };
    let key = row
        .r2_key
        .as_deref()
        .ok_or_else(|| ApiError::internal(format!("upload {upload} has no object")))?;
    let bucket = env
        .bucket(BLOBS)
        .map_err(|e| ApiError::internal(format!("binding {BLOBS}: {e}")))?;
    let object = bucket
        .get(key)
        .execute()
        .await?
        .ok_or_else(|| ApiError::internal(format!("upload {upload} is not in R2")))?;
    let size = object.size();
    let file = match object.body().map(|body| body.response_body()).transpose()? {
        Some(ResponseBody::Stream(stream)) => stream,
        _ => return Err(ApiError::internal(format!("upload {upload} has no body"))),
    };
    let filename = row.filename.as_deref().unwrap_or(upload);
    let answer = provider_http::upload(&plan, file, size, &content_type, filename, timeout)
        .await
        .map_err(|e| ApiError::ProviderUnavailable(e.describe()))?;
    channel
        .channel
        .parse_media_upload(&Answer {
            status: answer.status,
            retry_after: answer.retry_after.as_deref(),
            body: &answer.body,
        })
        .map(Handover::ProviderId)
        .map_err(|outcome| match outcome {
            SendOutcome::Permanent { code, title } => ApiError::ProviderRejected {
                detail: refusal_detail(code, &format!("the upload was refused: {title}")),
                resource: None,
            },
            SendOutcome::Transient { title, .. } => ApiError::ProviderUnavailable(title),
            SendOutcome::Accepted { .. } | SendOutcome::AcceptedUntracked => {
                ApiError::ProviderUnavailable("the provider did not take the upload".into())
            }
        })
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
