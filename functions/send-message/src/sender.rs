//! One attempt to hand a stored message to the provider, shared by the API (the first attempt)
//! and the queue consumer (the retries): claim it, call the provider, record the outcome,
//! publish it, and schedule the next attempt or give up into the dead letter queue.

use std::time::Duration;

use ponte_core::providers::{Answer, PreparedCall, SendOutcome};
use ponte_core::retry::{backoff_seconds, jitter_unit};
use ponte_edge::bindings::{
    number_var, SEND_DLQ, SEND_MAX_ATTEMPTS, SEND_QUEUE, SEND_RETRY_BASE_SECONDS,
    SEND_RETRY_CAP_SECONDS, SEND_TIMEOUT_MS,
};
use ponte_edge::channel_cache;
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use ponte_edge::provider_http::{self, NoAnswer};
use ponte_edge::realtime::Events;
use ponte_edge::store;
use ponte_edge::store::outbound::{self, Claimed};
use ponte_edge::store::read::Message;
use ponte_edge::store::send_recovery;
use serde::{Deserialize, Serialize};
use worker::{console_warn, Env, MessageBuilder};

use crate::outcome::{self, Known, Recorded};

/// A queued send, as it travels through the send queue and, with a reason, the dead letter queue.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendJob {
    pub tenant_id: String,
    pub message_id: String,
    /// The attempt this job retries: the job may take over that attempt's lease.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_attempt: Option<i64>,
    /// Not an attempt: the provider's answer to one, which storage could not record then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Known>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

pub struct Policy {
    pub max_attempts: i64,
    pub base_s: u32,
    pub cap_s: u32,
    pub timeout: Duration,
    /// How long one attempt holds the message: longer than the provider timeout, so a slow
    /// answer is never raced by a retry.
    pub lease_ms: i64,
}

impl Policy {
    pub fn from_env(env: &Env) -> Self {
        let var = |name: &str, default: u64| number_var(env, name, default);
        let timeout_ms = var(SEND_TIMEOUT_MS, 15_000).clamp(100, 60_000);
        Self {
            max_attempts: var(SEND_MAX_ATTEMPTS, 6).clamp(1, 20) as i64,
            base_s: var(SEND_RETRY_BASE_SECONDS, 2).min(3600) as u32,
            cap_s: var(SEND_RETRY_CAP_SECONDS, 600).min(12 * 3600) as u32,
            timeout: Duration::from_millis(timeout_ms),
            lease_ms: timeout_ms as i64 + 15_000,
        }
    }
}

/// How a provider's refusal reads to a caller: its title, and its code when it gave one.
pub fn refusal_detail(code: Option<i64>, title: &str) -> String {
    match code {
        Some(code) => format!("{title} (provider error {code})"),
        None => title.to_string(),
    }
}

pub enum Attempt {
    Sent(Message),
    /// A transient failure; the next attempt is queued after its backoff.
    Retrying,
    Failed {
        message: Message,
        code: Option<i64>,
        title: String,
    },
    /// The provider did not answer: it may have the message, which is now `unknown`.
    Unknown(Message),
    /// The provider answered but storage could not record it yet; the send queue carries it.
    Recording,
    /// Already sent or failed, or another attempt holds it: nothing to do.
    NotClaimed,
}

pub async fn attempt(
    env: &Env,
    policy: &Policy,
    tenant_id: &str,
    message_id: &str,
    after_attempt: Option<i64>,
) -> Result<Attempt, ApiError> {
    let db = store::db(env)?;
    let claimed = outbound::claim(
        &db,
        tenant_id,
        message_id,
        after_attempt,
        now_ms(),
        policy.lease_ms,
    )
    .await?;
    let Some(claimed) = claimed else {
        return Ok(Attempt::NotClaimed);
    };
    attempt_claimed(env, policy, &claimed).await
}

/// One attempt at a message this caller holds (see [`outbound::claim`]).
pub async fn attempt_claimed(
    env: &Env,
    policy: &Policy,
    claimed: &Claimed,
) -> Result<Attempt, ApiError> {
    let db = store::db(env)?;
    let tenant_id = claimed.tenant_id.as_str();
    let outcome = call_provider(env, &db, claimed, policy).await;
    let now = now_ms();
    let known = match outcome {
        Err(NoWord(reason)) => {
            // Sending again could deliver it twice; an agent decides. Should storage refuse this
            // write, the lease runs out and the re-drive marks it the same way.
            let message =
                send_recovery::mark_unknown(&db, tenant_id, &claimed.id, &reason, now).await?;
            publish(env, tenant_id, &message).await;
            return Ok(Attempt::Unknown(message));
        }
        Ok(SendOutcome::Accepted {
            provider_message_id,
            recipient,
        }) => Known::accepted(claimed, Some(provider_message_id), recipient),
        Ok(SendOutcome::AcceptedUntracked) => Known::accepted(claimed, None, None),
        Ok(SendOutcome::Permanent { code, title }) => Known::Failed { code, title },
        Ok(SendOutcome::Transient {
            code,
            title,
            retry_after_s,
        }) => {
            if claimed.send_attempts < policy.max_attempts {
                return schedule_retry(env, &db, policy, claimed, retry_after_s, &title, now).await;
            }
            let title = format!("gave up after {} attempts: {title}", claimed.send_attempts);
            dead_letter(env, claimed, &title).await;
            Known::Failed { code, title }
        }
    };
    let failure = match &known {
        Known::Failed { code, title } => Some((*code, title.clone())),
        Known::Accepted { .. } => None,
    };
    let recorded = outcome::record(env, &db, tenant_id, &claimed.id, known, now).await?;
    let Recorded::Now(message) = recorded else {
        return Ok(Attempt::Recording);
    };
    let message = *message;
    publish(env, tenant_id, &message).await;
    Ok(match failure {
        Some((code, title)) => Attempt::Failed {
            message,
            code,
            title,
        },
        None => Attempt::Sent(message),
    })
}

async fn publish(env: &Env, tenant_id: &str, message: &Message) {
    let mut events = Events::default();
    events.message_updated(message);
    events.publish(env, tenant_id).await;
}

/// The provider left an attempt without an answer, so it may or may not have the message.
struct NoWord(String);

async fn call_provider(
    env: &Env,
    db: &worker::D1Database,
    claimed: &Claimed,
    policy: &Policy,
) -> Result<SendOutcome, NoWord> {
    // A message stored without a request, or on a channel that is gone or unreadable, can never
    // be sent: failing it beats retrying it forever.
    let permanent = |title: &str| {
        Ok(SendOutcome::Permanent {
            code: None,
            title: title.to_string(),
        })
    };
    let Some(call) = claimed
        .provider_request
        .as_deref()
        .and_then(|stored| serde_json::from_str::<PreparedCall>(stored).ok())
    else {
        return permanent("the message has no provider request");
    };
    let found =
        channel_cache::by_id(env, db, &claimed.tenant_id, &claimed.channel_id, now_ms()).await;
    let channel = match found {
        Ok(Some(channel)) => channel,
        Ok(None) => return permanent("the channel no longer exists"),
        Err(ApiError::Unavailable(e)) => {
            return Ok(SendOutcome::Transient {
                code: None,
                title: format!("storage: {e}"),
                retry_after_s: None,
            })
        }
        // A master key rotated without its predecessor: the operator's fix makes it sendable.
        Err(ApiError::Misconfigured(e)) => {
            return Ok(SendOutcome::Transient {
                code: None,
                title: e,
                retry_after_s: None,
            })
        }
        Err(e) => {
            worker::console_error!("opening channel {}: {e:?}", claimed.channel_id);
            return permanent("the channel's credentials cannot be read");
        }
    };
    let request = channel.channel.request(&call);
    match provider_http::send(&request, policy.timeout).await {
        Ok(answer) => Ok(channel.channel.classify_send(
            &call,
            &Answer {
                status: answer.status,
                retry_after: answer.retry_after.as_deref(),
                body: &answer.body,
            },
        )),
        // The request went out and no answer came back: the provider may have acted on it.
        Err(NoAnswer::TimedOut) => Err(NoWord("the provider did not answer in time".into())),
        // No connection, so nothing reached the provider: trying again is safe.
        Err(no_answer @ NoAnswer::Network(_)) => Ok(SendOutcome::Transient {
            code: None,
            title: no_answer.describe(),
            retry_after_s: None,
        }),
    }
}

async fn schedule_retry(
    env: &Env,
    db: &worker::D1Database,
    policy: &Policy,
    claimed: &Claimed,
    retry_after_s: Option<u32>,
    title: &str,
    now: i64,
) -> Result<Attempt, ApiError> {
    let backoff = backoff_seconds(
        claimed.send_attempts as u32,
        policy.base_s,
        policy.cap_s,
        jitter_unit(),
    );
    // The provider's own Retry-After wins when it asks for longer, within our cap.
    let delay_s = retry_after_s.map_or(backoff, |asked| asked.min(policy.cap_s).max(backoff));
    console_warn!(
        "send {} attempt {} failed ({title}); retrying in {delay_s}s",
        claimed.id,
        claimed.send_attempts
    );
    let job = SendJob {
        tenant_id: claimed.tenant_id.clone(),
        message_id: claimed.id.clone(),
        after_attempt: Some(claimed.send_attempts),
        outcome: None,
        reason: None,
    };
    if let Err(e) = enqueue(env, &job, delay_s).await {
        // Without a queued retry the message would sit in `queued` forever: fail it instead.
        worker::console_error!("could not queue a retry of {}: {e:?}", claimed.id);
        let title = format!("could not schedule a retry after: {title}");
        let message =
            outbound::failed(db, &claimed.tenant_id, &claimed.id, None, &title, now).await?;
        publish(env, &claimed.tenant_id, &message).await;
        return Ok(Attempt::Failed {
            message,
            code: None,
            title,
        });
    }
    // The job takes over this attempt's lease; freeing it early only lets the re-drive see
    // the retry owed if the job goes missing, so a failure here costs nothing.
    let due_at = now + i64::from(delay_s) * 1000;
    if let Err(e) = outbound::retry_due(db, &claimed.tenant_id, &claimed.id, due_at).await {
        console_warn!("could not free {} for its retry: {e:?}", claimed.id);
    }
    Ok(Attempt::Retrying)
}

pub async fn enqueue(env: &Env, job: &SendJob, delay_s: u32) -> Result<(), ApiError> {
    let queue = env
        .queue(SEND_QUEUE)
        .map_err(|_| ApiError::internal(format!("binding {SEND_QUEUE} is missing")))?;
    queue
        .send(MessageBuilder::new(job).delay_seconds(delay_s).build())
        .await?;
    Ok(())
}

async fn dead_letter(env: &Env, claimed: &Claimed, reason: &str) {
    let job = SendJob {
        tenant_id: claimed.tenant_id.clone(),
        message_id: claimed.id.clone(),
        after_attempt: None,
        outcome: None,
        reason: Some(reason.to_string()),
    };
    let sent = match env.queue(SEND_DLQ) {
        Ok(queue) => queue.send(&job).await.map_err(|e| e.to_string()),
        Err(_) => Err(format!("binding {SEND_DLQ} is missing")),
    };
    // The message is already `failed` and published; the dead letter is the operator's record.
    if let Err(e) = sent {
        worker::console_error!("could not dead-letter {}: {e}", claimed.id);
    }
}
