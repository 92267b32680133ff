//! The scheduled re-drive of sends nobody finished. An attempt that died holding its lease may
//! have reached the provider, so its message becomes `unknown` for an agent to judge; a retry
//! whose queue job went missing followed a failure we know of, so it is queued again.

use ponte_edge::problem::ApiError;
use ponte_edge::realtime::Events;
use ponte_edge::store::{self, read, send_recovery};
use serde::Serialize;
use worker::{console_error, Env};

use crate::sender::{enqueue, SendJob};

/// Messages settled per run; the next run, a minute later, takes the rest.
const BATCH: u32 = 100;
/// A retry's job may arrive a little after its due time before it counts as lost.
const OWED_GRACE_MS: i64 = 60_000;

#[derive(Debug, Default, Serialize)]
pub struct Redriven {
    /// Messages whose attempt died midway, now `unknown`.
    pub unknown: usize,
    /// Messages whose lost retry was queued again.
    pub requeued: usize,
}

pub async fn run(env: &Env, now: i64) -> Result<Redriven, ApiError> {
    let db = store::db(env)?;
    let mut done = Redriven::default();
    for key in send_recovery::expire_dead_attempts(&db, now, now, BATCH).await? {
        done.unknown += 1;
        match read::message(&db, &key.tenant_id, &key.id).await {
            Ok(Some(message)) => {
                let mut events = Events::default();
                events.message_updated(&message);
                events.publish(env, &key.tenant_id).await;
            }
            Ok(None) => {}
            Err(e) => console_error!("re-drive: reading {} failed: {e:?}", key.id),
        }
    }
    for key in send_recovery::owed_retries(&db, now - OWED_GRACE_MS, BATCH).await? {
        let job = SendJob {
            tenant_id: key.tenant_id,
            message_id: key.id,
            after_attempt: None,
            outcome: None,
            reason: None,
        };
        // A job that was only late and this one both try to claim: one of them sends.
        enqueue(env, &job, 0).await?;
        done.requeued += 1;
    }
    Ok(done)
}
