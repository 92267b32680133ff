//! Queue consumers: the send queue carries retries; the dead letter queue records sends that
//! ran out of attempts, or whose jobs kept failing in this consumer.

use ponte_edge::bindings::{SEND_DLQ_NAME, SEND_QUEUE_NAME};
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use ponte_edge::realtime::Events;
use ponte_edge::store::{self};
use ponte_edge::store::{dead_letters, outbound};
use worker::{
    console_error, event, Context, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, Result,
};

use crate::outcome::{self, Known};
use crate::sender::{self, Policy, SendJob};

/// How long a job waits before the queue redelivers it after storage failed: redelivering at
/// once would spend the queue's few retries within the same outage.
const STORAGE_RETRY_SECONDS: u32 = 10;

#[event(queue)]
pub async fn consume(batch: MessageBatch<SendJob>, env: Env, _ctx: Context) -> Result<()> {
    let queue = batch.queue();
    let policy = Policy::from_env(&env);
    for message in batch.messages()? {
        let job = message.body();
        let handled = match (queue.as_str(), &job.outcome) {
            (SEND_QUEUE_NAME, Some(known)) => record_outcome(&env, job, known).await,
            (SEND_QUEUE_NAME, None) => {
                let attempt = sender::attempt(
                    &env,
                    &policy,
                    &job.tenant_id,
                    &job.message_id,
                    job.after_attempt,
                );
                attempt.await.map(|_| ())
            }
            (SEND_DLQ_NAME, _) => record_dead_letter(&env, job).await,
            (other, _) => {
                console_error!("message from unexpected queue {other}");
                Ok(())
            }
        };
        match handled {
            Ok(()) => message.ack(),
            Err(e) => {
                // Storage failed: let the queue redeliver, backing off; after its own retries the
                // job moves to the dead letter queue.
                console_error!("queue {queue}: job for {} failed: {e:?}", job.message_id);
                let options = QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(STORAGE_RETRY_SECONDS)
                    .build();
                message.retry_with_options(&options);
            }
        }
    }
    Ok(())
}

/// An answer the provider gave that storage could not take at the time.
async fn record_outcome(
    env: &Env,
    job: &SendJob,
    known: &Known,
) -> std::result::Result<(), ApiError> {
    let db = store::db(env)?;
    let message = outcome::apply(&db, &job.tenant_id, &job.message_id, known, now_ms()).await?;
    let mut events = Events::default();
    events.message_updated(&message);
    events.publish(env, &job.tenant_id).await;
    Ok(())
}

async fn record_dead_letter(env: &Env, job: &SendJob) -> std::result::Result<(), ApiError> {
    let db = store::db(env)?;
    let now = now_ms();
    // An outcome that storage kept refusing gets a last try: it is the truth about the send.
    if let Some(known) = &job.outcome {
        if let Err(e) = record_outcome(env, job, known).await {
            console_error!(
                "the outcome of {} is still unrecorded: {e:?}",
                job.message_id
            );
        }
        let reason = "the provider's answer could not be recorded for a long time";
        return dead_letters::record(&db, &job.tenant_id, &job.message_id, reason, now).await;
    }
    let reason = job
        .reason
        .clone()
        .unwrap_or_else(|| "the send consumer kept failing on this job".into());
    // A job that reached this queue without our say-so left its message queued: fail it, so the
    // inbox does not show a send that will never happen.
    if job.reason.is_none() {
        if let Ok(message) =
            outbound::failed(&db, &job.tenant_id, &job.message_id, None, &reason, now).await
        {
            let mut events = Events::default();
            events.message_updated(&message);
            events.publish(env, &job.tenant_id).await;
        }
    }
    dead_letters::record(&db, &job.tenant_id, &job.message_id, &reason, now).await
}
