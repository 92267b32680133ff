//! The media queue's consumer: copies one attachment into R2 the way its provider requires,
//! streaming, and records the outcome. The message never waits for this and never goes away
//! because of it: a copy that keeps failing ends `failed`, with the reason.

use std::time::Duration;

use ponte_core::media::{parse_sha256, sha256_matches};
use ponte_core::providers::{HttpRequest, MediaFetch};
use ponte_core::retry::{backoff_seconds, jitter_unit};
use ponte_core::signature::to_hex;
use ponte_edge::bindings::{
    media_max_bytes, number_var, BLOBS, MEDIA_DLQ_NAME, MEDIA_LEASE_SECONDS, MEDIA_MAX_ATTEMPTS,
    MEDIA_QUEUE_NAME, MEDIA_RETRY_BASE_SECONDS,
};
use ponte_edge::channel_cache;
use ponte_edge::media_links;
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use ponte_edge::provider_http;
use ponte_edge::realtime::Events;
use ponte_edge::store::media::{self, MediaJob, MediaRow};
use ponte_edge::store::{self, read};
use worker::{
    console_error, event, Context, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, Result,
};

use ponte_edge::r2_stream::{self, Incoming, Stored, StreamError};

pub struct Policy {
    pub max_bytes: u64,
    max_attempts: i64,
    base_s: u32,
    cap_s: u32,
    pub timeout: Duration,
    lease_s: u64,
}

impl Policy {
    pub fn from_env(env: &Env) -> Self {
        let var = |name: &str, default: u64| number_var(env, name, default);
        Self {
            max_bytes: media_max_bytes(env),
            max_attempts: var(MEDIA_MAX_ATTEMPTS, 5).clamp(1, 20) as i64,
            base_s: var(MEDIA_RETRY_BASE_SECONDS, 5).min(3600) as u32,
            cap_s: 3600,
            timeout: Duration::from_secs(30),
            // A copier holds its claim for longer than a slow download takes to start.
            lease_s: var(MEDIA_LEASE_SECONDS, 90).clamp(5, 3600),
        }
    }

    fn lease_ms(&self) -> i64 {
        self.lease_s as i64 * 1000
    }
}

/// Why a copy did not end in R2.
pub enum CopyError {
    /// Worth another attempt: the provider or storage failed for now.
    Transient(String),
    /// Will fail again: the file is too large, refused, or not what the provider said.
    Permanent(String),
}

enum Handled {
    Done,
    RetryIn(u32),
}

#[event(queue)]
pub async fn consume(batch: MessageBatch<MediaJob>, env: Env, _ctx: Context) -> Result<()> {
    media_links::install(&env);
    let queue = batch.queue();
    let policy = Policy::from_env(&env);
    for message in batch.messages()? {
        let job = message.body();
        let handled = match queue.as_str() {
            MEDIA_QUEUE_NAME => copy(&env, &policy, job).await,
            MEDIA_DLQ_NAME => {
                let reason = "the copy kept failing in media-fetch";
                settle(&env, &job.tenant_id, &job.media_id, None, Some(reason))
                    .await
                    .map(|_| Handled::Done)
            }
            other => {
                console_error!("media job from unexpected queue {other}");
                Ok(Handled::Done)
            }
        };
        match handled {
            Ok(Handled::Done) => message.ack(),
            Ok(Handled::RetryIn(delay_s)) => message.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(delay_s)
                    .build(),
            ),
            Err(e) => {
                // Storage failed: the queue redelivers, and its dead letters end `failed`.
                console_error!("media job {} failed: {e:?}", job.media_id);
                message.retry();
            }
        }
    }
    Ok(())
}

/// One attempt at one attachment. A job whose row is not pending (already copied, or its message
/// was a redelivery that stored nothing) or is held by another copier does nothing.
async fn copy(
    env: &Env,
    policy: &Policy,
    job: &MediaJob,
) -> std::result::Result<Handled, ApiError> {
    let db = store::db(env)?;
    let now = now_ms();
    let Some(row) =
        media::claim(&db, &job.tenant_id, &job.media_id, now, policy.lease_ms()).await?
    else {
        // Held by a copier that may have died with its claim (or this job's own earlier
        // delivery, whose recording failed): come back when the claim runs out, or the
        // attachment would stay pending forever.
        return Ok(
            match media::held_until(&db, &job.tenant_id, &job.media_id, now).await? {
                Some(until) => Handled::RetryIn(((until - now) / 1000 + 1).clamp(1, 43_200) as u32),
                None => Handled::Done,
            },
        );
    };
    match download(env, policy, &row).await {
        Ok(stored) => {
            settle(env, &row.tenant_id, &row.id, Some((&row, &stored)), None).await?;
            Ok(Handled::Done)
        }
        Err(CopyError::Permanent(reason)) => {
            settle(env, &row.tenant_id, &row.id, None, Some(&reason)).await?;
            Ok(Handled::Done)
        }
        Err(CopyError::Transient(reason)) if row.attempts >= policy.max_attempts => {
            let reason = format!("gave up after {} attempts: {reason}", row.attempts);
            settle(env, &row.tenant_id, &row.id, None, Some(&reason)).await?;
            Ok(Handled::Done)
        }
        Err(CopyError::Transient(reason)) => {
            let delay_s = backoff_seconds(
                row.attempts as u32,
                policy.base_s,
                policy.cap_s,
                jitter_unit(),
            );
            db.batch(vec![media::release_statement(
                &db,
                &row.tenant_id,
                &row.id,
                &reason,
                now_ms(),
            )?])
            .await?;
            Ok(Handled::RetryIn(delay_s))
        }
    }
}

/// Fetches the attachment the adapter's way and streams it into R2.
async fn download(
    env: &Env,
    policy: &Policy,
    row: &MediaRow,
) -> std::result::Result<Stored, CopyError> {
    let db = store::db(env).map_err(|e| CopyError::Transient(e.detail()))?;
    let channel_id = row
        .channel_id
        .as_deref()
        .ok_or_else(|| CopyError::Permanent("an upload has nothing to copy".into()))?;
    let channel = channel_cache::by_id(env, &db, &row.tenant_id, channel_id, now_ms())
        .await
        .map_err(|e| CopyError::Transient(format!("opening the channel: {}", e.detail())))?
        .ok_or_else(|| CopyError::Permanent("the channel no longer exists".into()))?;
    let source = row.source();
    let plan = channel.channel.media_fetch(&source).ok_or_else(|| {
        CopyError::Permanent("the provider gave no way to download this attachment".into())
    })?;
    let response = match plan {
        MediaFetch::Direct(request) => get(policy, &request).await?,
        MediaFetch::Resolve {
            lookup,
            url_field,
            relative_to,
            download_headers,
        } => {
            resolve_and_get(
                policy,
                &lookup,
                url_field,
                relative_to.as_deref(),
                &download_headers,
            )
            .await?
        }
    };
    let bucket = env
        .bucket(BLOBS)
        .map_err(|e| CopyError::Transient(format!("binding {BLOBS}: {e}")))?;
    let key = format!("media/{}/{}", row.tenant_id, row.id);
    let limit = |content_type: &str| {
        channel
            .channel
            .media_limit_bytes(content_type)
            .map_or(policy.max_bytes, |provider| provider.min(policy.max_bytes))
    };
    let incoming = Incoming::of_response(&response, source.mime_type.as_deref());
    let stored = r2_stream::into_r2(&bucket, &key, incoming, limit)
        .await
        .map_err(|e| match e {
            StreamError::TooLarge { .. } => CopyError::Permanent(e.describe()),
            StreamError::Unreadable(_) | StreamError::Failed(_) => {
                CopyError::Transient(e.describe())
            }
        })?;
    // A value that is not a hash at all says nothing about the bytes, so only a real one is held
    // against them.
    let declared = source
        .sha256
        .as_deref()
        .filter(|s| parse_sha256(s).is_some());
    if let Some(expected) = declared {
        if !sha256_matches(expected, &stored.sha256) {
            // The bytes are not what the provider described: keep nothing of them.
            let _ = bucket.delete(&key).await;
            return Err(CopyError::Permanent(format!(
                "sha256 mismatch: the provider said {expected}, the bytes hash to {}",
                to_hex(&stored.sha256)
            )));
        }
    }
    Ok(Stored {
        filename: source.filename.clone(),
        ..stored
    })
}

/// The bytes of a direct link, or why not.
async fn get(
    policy: &Policy,
    request: &HttpRequest,
) -> std::result::Result<worker::Response, CopyError> {
    let response = open(policy, request).await?;
    match response.status_code() {
        200..=299 => Ok(response),
        status => Err(refused(status)),
    }
}

/// The provider's answer with its body unread; no answer at all is worth another attempt.
async fn open(
    policy: &Policy,
    request: &HttpRequest,
) -> std::result::Result<worker::Response, CopyError> {
    provider_http::open(request, policy.timeout)
        .await
        .map_err(|e| CopyError::Transient(e.describe()))
}

/// Two steps (Meta's media lookup, Telegram's `getFile`): ask where the bytes are, then fetch
/// them; a link that has expired by the time it is fetched is asked for again, once.
async fn resolve_and_get(
    policy: &Policy,
    lookup: &HttpRequest,
    url_field: &str,
    relative_to: Option<&str>,
    headers: &[(&'static str, String)],
) -> std::result::Result<worker::Response, CopyError> {
    let mut expired = None;
    for _ in 0..2 {
        let answer = provider_http::send(lookup, policy.timeout)
            .await
            .map_err(|e| CopyError::Transient(e.describe()))?;
        if !(200..300).contains(&answer.status) {
            return Err(refused(answer.status));
        }
        let download = serde_json::from_slice::<serde_json::Value>(&answer.body)
            .ok()
            .and_then(|json| MediaFetch::located(&json, url_field, relative_to, headers))
            .ok_or_else(|| {
                CopyError::Permanent("the provider's media lookup named no URL".into())
            })?;
        let response = open(policy, &download).await?;
        match response.status_code() {
            200..=299 => return Ok(response),
            // A short-lived link that lapsed: ask where the bytes are again.
            status @ (401 | 403 | 404 | 410) => expired = Some(status),
            status => return Err(refused(status)),
        }
    }
    Err(CopyError::Transient(format!(
        "the provider's link kept expiring (HTTP {})",
        expired.unwrap_or_default()
    )))
}

fn refused(status: u16) -> CopyError {
    let reason = format!("the provider answered HTTP {status}");
    if status == 429 || status >= 500 {
        CopyError::Transient(reason)
    } else {
        CopyError::Permanent(reason)
    }
}

/// Records the outcome (ready, or failed with `reason`) and publishes the message as it now is.
async fn settle(
    env: &Env,
    tenant_id: &str,
    media_id: &str,
    ready: Option<(&MediaRow, &Stored)>,
    reason: Option<&str>,
) -> std::result::Result<(), ApiError> {
    let db = store::db(env)?;
    let now = now_ms();
    let statement = match (ready, reason) {
        (Some((row, stored)), _) => {
            let sha256 = to_hex(&stored.sha256);
            let copied = media::Copied {
                r2_key: &stored.key,
                content_type: &stored.content_type,
                size: stored.size,
                sha256: &sha256,
                filename: stored.filename.as_deref(),
            };
            media::ready_statement(&db, &row.tenant_id, &row.id, &copied, now)?
        }
        (None, reason) => media::failed_statement(
            &db,
            tenant_id,
            media_id,
            reason.unwrap_or("the copy failed"),
            now,
        )?,
    };
    db.batch(vec![statement]).await?;
    let message_id = media::find(&db, tenant_id, media_id)
        .await?
        .and_then(|row| row.message_id);
    if let Some(message_id) = message_id {
        if let Some(message) = read::message(&db, tenant_id, &message_id).await? {
            let mut events = Events::default();
            events.message_updated(&message);
            events.publish(env, tenant_id).await;
        }
    }
    Ok(())
}
