//! Queue consumers: the send queue carries retries; the dead letter queue records sends that
//! ran out of attempts, or whose jobs kept failing in this consumer.

use ponte_edge::bindings::{SEND_DLQ_NAME, SEND_QUEUE_NAME};
use ponte_edge::now_ms;
use ponte_edge::realtime::Events;
use ponte_edge::store::{self};
use ponte_edge::store::{dead_letters, outbound};
use worker::{console_error, event, Context, Env, MessageBatch, MessageExt, Result};

use crate::sender::{self, Policy, SendJob};

#[event(queue)]
pub async fn consume(batch: MessageBatch<SendJob>, env: Env, _ctx: Context) -> Result<()> {
    let queue = batch.queue();
    let policy = Policy::from_env(&env);
    for message in batch.messages()? {
        let job = message.body();
        let handled = match queue.as_str() {
            SEND_QUEUE_NAME => sender::attempt(&env, &policy, &job.tenant_id, &job.message_id)
                .await
                .map(|_| ()),
            SEND_DLQ_NAME => record_dead_letter(&env, job).await,
            other => {
                console_error!("message from unexpected queue {other}");
                Ok(())
            }
        };
        match handled {
            Ok(()) => message.ack(),
            Err(e) => {
                // Storage failed: let the queue redeliver; after its own retries the job moves to
                // the dead letter queue.
                console_error!("queue {queue}: job for {} failed: {e:?}", job.message_id);
                message.retry();
            }
        }
    }
    Ok(())
}

async fn record_dead_letter(
    env: &Env,
    job: &SendJob,
) -> std::result::Result<(), ponte_edge::problem::ApiError> {
    let db = store::db(env)?;
    let now = now_ms();
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
