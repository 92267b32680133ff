//! The daily retention job: raw webhook bodies (D1 and R2) after `RETENTION_WEBHOOK_DAYS`,
//! pending statuses after 7 days, idempotency keys after 48 hours and dead letters after 30
//! days. The event log keeps its rows, marked `body_purged_at`.
//!
//! Each run does at most [`ROUNDS`] batches of [`BATCH`] rows per kind: a Worker invocation has
//! limits on time and subrequests, and a deployment's first run may find years of backlog,
//! which the next runs then continue.

use ponte_edge::bindings::{number_var, BLOBS};
use ponte_edge::problem::ApiError;
use ponte_edge::store::{self, retention};
use serde::Serialize;
use worker::{D1Database, Env};

const RETENTION_WEBHOOK_DAYS: &str = "RETENTION_WEBHOOK_DAYS";
const DEFAULT_WEBHOOK_DAYS: u64 = 30;
const DAY_MS: i64 = 24 * 3600 * 1000;
/// A status waits this long for its message; one that never came will not come now.
const PENDING_STATUS_MS: i64 = 7 * DAY_MS;
/// Clients repeat a request within minutes; two days covers a retry after an outage.
const IDEMPOTENCY_KEY_MS: i64 = 2 * DAY_MS;
const DEAD_LETTER_MS: i64 = 30 * DAY_MS;

/// Rows per statement; also R2 keys per bulk delete (R2 takes up to 1,000).
const BATCH: u32 = 500;
/// At most three calls per round for bodies and one for each other kind: 48 calls in all, under
/// the 50 D1 queries and subrequests a Worker invocation has on the free plan.
const ROUNDS: usize = 8;

#[derive(Debug, Default, Serialize)]
pub struct Purged {
    pub webhook_bodies: usize,
    pub r2_objects: usize,
    pub pending_statuses: usize,
    pub idempotency_keys: usize,
    pub dead_letters: usize,
    /// Whether some kind still had a full batch left: the next run goes on with it.
    pub more: bool,
}

pub async fn run(env: &Env, now: i64) -> Result<Purged, ApiError> {
    let db = store::db(env)?;
    let mut purged = Purged::default();
    let webhook_days = number_var(env, RETENTION_WEBHOOK_DAYS, DEFAULT_WEBHOOK_DAYS);
    let webhook_cutoff = now - (webhook_days as i64).saturating_mul(DAY_MS);
    let mut more = purge_bodies(env, &db, webhook_cutoff, now, &mut purged).await?;

    let cutoff = now - PENDING_STATUS_MS;
    more |= rounds(&mut purged.pending_statuses, || {
        retention::delete_pending_statuses(&db, cutoff, BATCH)
    })
    .await?;
    let cutoff = now - IDEMPOTENCY_KEY_MS;
    more |= rounds(&mut purged.idempotency_keys, || {
        retention::delete_idempotency_keys(&db, cutoff, BATCH)
    })
    .await?;
    let cutoff = now - DEAD_LETTER_MS;
    more |= rounds(&mut purged.dead_letters, || {
        retention::delete_dead_letters(&db, cutoff, BATCH)
    })
    .await?;
    purged.more = more;
    Ok(purged)
}

/// Deletes batches until one comes back short or the rounds run out; `true` if work is left.
async fn rounds<F, Fut>(count: &mut usize, mut batch: F) -> Result<bool, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize, ApiError>>,
{
    for _ in 0..ROUNDS {
        let deleted = batch().await?;
        *count += deleted;
        if deleted < BATCH as usize {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The R2 objects go first: an event marked purged is never looked at again, so marking it
/// before its object was deleted could leave the object behind for good, while deleting an
/// object twice (a run that failed after the delete) is harmless.
async fn purge_bodies(
    env: &Env,
    db: &D1Database,
    cutoff: i64,
    now: i64,
    purged: &mut Purged,
) -> Result<bool, ApiError> {
    let bucket = env
        .bucket(BLOBS)
        .map_err(|e| ApiError::internal(format!("binding {BLOBS}: {e}")))?;
    for _ in 0..ROUNDS {
        let expired = retention::expired_bodies(db, cutoff, BATCH).await?;
        let keys: Vec<&str> = expired
            .iter()
            .filter_map(|e| e.body_r2_key.as_deref())
            .collect();
        if !keys.is_empty() {
            bucket
                .delete_multiple(keys.clone())
                .await
                .map_err(|e| ApiError::Unavailable(format!("R2 delete: {e}")))?;
            purged.r2_objects += keys.len();
        }
        let seqs: Vec<i64> = expired.iter().map(|e| e.seq).collect();
        if !seqs.is_empty() {
            purged.webhook_bodies += retention::mark_bodies_purged(db, &seqs, now).await?;
        }
        if expired.len() < BATCH as usize {
            return Ok(false);
        }
    }
    Ok(true)
}
