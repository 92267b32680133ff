//! Recording what the provider said about an attempt. Once a provider has accepted a send it is
//! never asked again, so its answer must survive storage failing at that moment: it is tried a
//! few times here, then handed to the send queue, whose consumer records it when storage is back.

use std::time::Duration;

use ponte_edge::problem::ApiError;
use ponte_edge::store::outbound::{self, Claimed};
use ponte_edge::store::read::Message;
use serde::{Deserialize, Serialize};
use worker::{console_error, D1Database, Delay, Env};

use crate::sender::{enqueue, SendJob};

/// An answer the provider gave, as it waits in the send queue to be recorded.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Known {
    Accepted {
        /// Channel and conversation, which recording an acceptance needs beside the message.
        channel_id: String,
        conversation_id: String,
        provider_message_id: Option<String>,
        /// The provider's own id of the contact, when it reported one.
        recipient: Option<String>,
    },
    Failed {
        code: Option<i64>,
        title: String,
    },
}

impl Known {
    pub fn accepted(
        claimed: &Claimed,
        provider_message_id: Option<String>,
        recipient: Option<String>,
    ) -> Self {
        Self::Accepted {
            channel_id: claimed.channel_id.clone(),
            conversation_id: claimed.conversation_id.clone(),
            provider_message_id,
            recipient,
        }
    }
}

/// Pauses between tries within one invocation: a moment's hiccup passes, a longer outage goes
/// to the queue, which retries with backoff.
const PAUSES_MS: [u64; 2] = [100, 400];

pub enum Recorded {
    Now(Box<Message>),
    /// Storage refused it; the send queue carries it until storage takes it.
    Queued,
}

pub async fn record(
    env: &Env,
    db: &D1Database,
    tenant_id: &str,
    message_id: &str,
    known: Known,
    now: i64,
) -> Result<Recorded, ApiError> {
    let mut tried = apply(db, tenant_id, message_id, &known, now).await;
    for pause in PAUSES_MS {
        let Err(e) = &tried else { break };
        console_error!("recording the outcome of {message_id} failed ({e:?}); trying again");
        Delay::from(Duration::from_millis(pause)).await;
        tried = apply(db, tenant_id, message_id, &known, now).await;
    }
    match tried {
        Ok(message) => Ok(Recorded::Now(Box::new(message))),
        Err(e) => {
            console_error!("handing the outcome of {message_id} to the send queue: {e:?}");
            let job = SendJob {
                tenant_id: tenant_id.to_string(),
                message_id: message_id.to_string(),
                after_attempt: None,
                outcome: Some(known),
                reason: None,
            };
            enqueue(env, &job, 0).await?;
            Ok(Recorded::Queued)
        }
    }
}

/// Writes the outcome. Both writes are idempotent, so a queued outcome delivered twice, or
/// after the re-drive marked its message unknown, lands as if once.
pub async fn apply(
    db: &D1Database,
    tenant_id: &str,
    message_id: &str,
    known: &Known,
    now: i64,
) -> Result<Message, ApiError> {
    match known {
        Known::Accepted {
            channel_id,
            conversation_id,
            provider_message_id,
            recipient,
        } => {
            let sent = Claimed {
                id: message_id.to_string(),
                tenant_id: tenant_id.to_string(),
                channel_id: channel_id.clone(),
                conversation_id: conversation_id.clone(),
                provider_request: None,
                send_attempts: 0,
            };
            outbound::accepted(
                db,
                &sent,
                provider_message_id.as_deref(),
                recipient.as_deref(),
                now,
            )
            .await
        }
        Known::Failed { code, title } => {
            outbound::failed(db, tenant_id, message_id, *code, title, now).await
        }
    }
}
