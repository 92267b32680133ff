//! What an agent does to a conversation: `POST /v1/conversations/{id}/read` (blue ticks at the
//! provider, unread count to zero) and `PATCH /v1/conversations/{id}` (open, pending, resolved).

use ponte_core::providers::HttpRequest;
use ponte_core::providers::{Answer, MessageRef, SendOutcome};
use ponte_edge::auth::Principal;
use ponte_edge::channel_cache;
use ponte_edge::http::{json, read_json, ApiResult};
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use ponte_edge::provider_http;
use ponte_edge::realtime::Events;
use ponte_edge::store::read::{self, Conversation};
use ponte_edge::store::{self, conversations, recipients};
use serde::Deserialize;
use worker::{Env, Request};

use crate::sender::{refusal_detail, Policy};

const STATUSES: [&str; 3] = ["open", "pending", "resolved"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConversationPatch {
    status: String,
}

pub async fn update(req: &mut Request, env: &Env, principal: &Principal, id: &str) -> ApiResult {
    let patch: ConversationPatch = read_json(req).await?;
    if !STATUSES.contains(&patch.status.as_str()) {
        return Err(ApiError::InvalidField {
            field: "status".into(),
            reason: "must be open, pending or resolved".into(),
        });
    }
    let db = store::db(env)?;
    let conversation = conversations::set_status(&db, principal.tenant_id(), id, &patch.status)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no conversation {id}")))?;
    published(env, principal, conversation).await
}

/// The provider is told first: if it cannot take the receipt, nothing changes here either and
/// the agent can retry.
pub async fn mark_read(env: &Env, principal: &Principal, id: &str) -> ApiResult {
    let tenant_id = principal.tenant_id();
    let db = store::db(env)?;
    let conversation = read::conversation(&db, tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no conversation {id}")))?;
    if let Some(last) = conversations::last_inbound_provider_id(&db, tenant_id, id).await? {
        let channel = channel_cache::by_id(env, &db, tenant_id, &conversation.channel_id, now_ms())
            .await?
            .ok_or_else(|| ApiError::internal("a conversation's channel is missing"))?;
        let recipient = recipients::recipient_of_conversation(&db, tenant_id, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no conversation {id}")))?;
        let identities = recipient.identities();
        let identities: Vec<&str> = identities.iter().map(String::as_str).collect();
        let last_inbound = MessageRef {
            provider_message_id: &last,
            outbound: false,
            text: None,
        };
        let call = channel
            .channel
            .address(&identities)
            .and_then(|to| channel.channel.mark_read(&to, &last_inbound));
        if let Some(call) = call {
            tell_provider(env, &channel.channel.request(&call), |answer| {
                channel.channel.classify_mark_read(answer)
            })
            .await?;
        }
    }
    let conversation = conversations::mark_read(&db, tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no conversation {id}")))?;
    published(env, principal, conversation).await
}

/// Makes one call the caller waits for, and turns a refusal into the caller's error.
pub(crate) async fn tell_provider<T>(
    env: &Env,
    request: &HttpRequest,
    classify: impl Fn(&Answer) -> Result<T, SendOutcome>,
) -> Result<T, ApiError> {
    let answer = provider_http::send(request, Policy::from_env(env).timeout)
        .await
        .map_err(|e| ApiError::ProviderUnavailable(e.describe()))?;
    classify(&Answer {
        status: answer.status,
        retry_after: answer.retry_after.as_deref(),
        body: &answer.body,
    })
    .map_err(|outcome| match outcome {
        SendOutcome::Permanent { code, title } => ApiError::ProviderRejected {
            detail: refusal_detail(code, &title),
            resource: None,
        },
        SendOutcome::Transient { title, .. } => ApiError::ProviderUnavailable(title),
        SendOutcome::Accepted { .. } | SendOutcome::AcceptedUntracked => {
            ApiError::ProviderUnavailable("the provider did not take the call".into())
        }
    })
}

async fn published(env: &Env, principal: &Principal, conversation: Conversation) -> ApiResult {
    let mut events = Events::default();
    events.conversation_updated(&conversation);
    events.publish(env, principal.tenant_id()).await;
    json(200, &conversation)
}
