//! `POST /v1/messages`: validate, store as `queued`, publish, then make the first attempt while
//! the caller waits. Retries continue through the send queue.

use ponte_core::identity::PhoneNumber;
use ponte_core::model::Content;
use ponte_core::outbound::{window_open, OutboundBody, SendRequest, SendTarget};
use ponte_core::providers::{MessageRef, ResolvedRefs};
use ponte_core::signature::sha256_hex;
use ponte_edge::auth::Principal;
use ponte_edge::channel_cache;
use ponte_edge::http::{json, public_base_url, ApiResult};
use ponte_edge::problem::ApiError;
use ponte_edge::realtime::Events;
use ponte_edge::store;
use ponte_edge::store::channels;
use ponte_edge::store::merges;
use ponte_edge::store::outbound::{self, Claimed, IdempotencyRecord, NewOutbound};
use ponte_edge::store::read::{self, Message};
use ponte_edge::store::recipients::{self, Recipient, Referenced};
use worker::{D1Database, Env, Headers, Request};

use crate::media::{self, Handover};
use crate::sender::{self, Attempt, Policy};

const MAX_BODY_BYTES: usize = 64 * 1024;
const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

pub async fn create(req: &mut Request, env: &Env, principal: &Principal, now: i64) -> ApiResult {
    let tenant_id = principal.tenant_id();
    let key = idempotency_key(req)?;
    let body = req
        .bytes()
        .await
        .map_err(|_| ApiError::BadRequest("could not read the request body".into()))?;
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge(format!(
            "a message request is limited to {MAX_BODY_BYTES} bytes"
        )));
    }
    let request = SendRequest::parse(&body).map_err(|e| {
        if e.field == "body" {
            ApiError::BadRequest(e.to_string())
        } else {
            ApiError::InvalidField {
                field: e.field,
                reason: e.reason,
            }
        }
    })?;
    let db = store::db(env)?;
    let hash = sha256_hex(&body);
    if let Some(key) = &key {
        if let Some(record) = outbound::idempotency_record(&db, tenant_id, key).await? {
            return replay(&db, tenant_id, record, &hash).await;
        }
    }

    let policy = Policy::from_env(env);
    let recipient = recipient(env, &db, tenant_id, &request.target, now).await?;
    if recipient.blocked_at.is_some() {
        let field = match request.target {
            SendTarget::Conversation(_) => "conversation_id",
            SendTarget::Phone { .. } => "to",
        };
        return Err(ApiError::InvalidField {
            field: field.into(),
            reason: "the contact is blocked; unblock them (PATCH /v1/contacts/{id}) to send".into(),
        });
    }
    let channel = channel_cache::by_id(env, &db, tenant_id, &recipient.channel_id, now)
        .await?
        .ok_or_else(|| ApiError::internal("a conversation's channel is missing"))?;
    let provider = channel.channel.provider();
    let capabilities = provider.capabilities();
    if let Some(lacking) = capabilities.lacks_for(&request.body) {
        return Err(ApiError::InvalidField {
            field: "type".into(),
            reason: format!(
                "{} channels cannot send this: the provider has no {lacking}",
                provider.name()
            ),
        });
    }
    let window_closed = capabilities.service_window
        && request.body.needs_open_window()
        && !window_open(recipient.last_inbound_at, now);
    if window_closed {
        let reason = if capabilities.templates {
            "the contact has not written in the last 24 hours, so WhatsApp only delivers \
             templates: send a message of type `template`"
                .to_string()
        } else {
            format!(
                "the contact has not written in the last 24 hours, so {} channels cannot \
                 message them until they write again",
                provider.name()
            )
        };
        return Err(ApiError::InvalidField {
            field: "type".into(),
            reason,
        });
    }
    let reply_to = match &request.reply_to {
        Some(id) => Some(referenced(&db, tenant_id, &recipient, id, "reply_to").await?),
        None => None,
    };
    let reaction_to = match request.body.referenced_message() {
        Some(id) => Some(referenced(&db, tenant_id, &recipient, id, "reaction.message_id").await?),
        None => None,
    };
    let identities = recipient.identities();
    let identities: Vec<&str> = identities.iter().map(String::as_str).collect();
    let to = channel
        .channel
        .address(&identities)
        .ok_or_else(|| ApiError::InvalidField {
            field: "conversation_id".into(),
            reason: format!(
                "the contact has no address a {} channel can send to",
                provider.name()
            ),
        })?;
    // Built once and stored: every attempt sends exactly this call.
    let mut body = request.body.clone();
    let mut provider_media_id = None;
    if let Some(upload) = &request.upload {
        let kind = body.type_name();
        match media::hand_over(req, env, &db, &channel, upload, kind, policy.timeout).await? {
            Handover::ProviderId(id) => provider_media_id = Some(id),
            Handover::Link(link) => body.set_link(link),
        }
    }
    let refs = ResolvedRefs {
        reply_to: reply_to.as_ref().map(message_ref),
        reaction_to: reaction_to.as_ref().map(message_ref),
        media_id: provider_media_id.as_deref(),
    };
    // Where the provider should post this message's statuses, for those told with each send.
    let webhook_url = channels::webhook_url(&public_base_url(req, env)?, &channel.record);
    let call = channel
        .channel
        .prepare_send_reporting_to(&to, &body, &refs, &webhook_url);
    let provider_request =
        serde_json::to_string(&call).map_err(|e| ApiError::internal(e.to_string()))?;
    let reply_to = reply_to.and_then(|r| r.provider_message_id);
    let reaction_to = reaction_to.and_then(|r| r.provider_message_id);

    let content = stored_content(
        &request.body,
        reaction_to.as_deref(),
        request.upload.as_deref(),
    );
    let content_json =
        serde_json::to_string(&content).map_err(|e| ApiError::internal(e.to_string()))?;
    let context = reply_to
        .as_deref()
        .map(|quoted| serde_json::json!({ "message_id": quoted }).to_string());
    let new = NewOutbound {
        tenant_id,
        recipient: &recipient,
        kind: content.type_name(),
        text: content.text(),
        content: &content_json,
        preview: &content.preview(),
        context: context.as_deref(),
        reply_to_provider_id: reply_to.as_deref(),
        provider_request: &provider_request,
        idempotency: key.as_deref().map(|k| (k, hash.as_str())),
        upload: request.upload.as_deref(),
        now,
        lease_ms: policy.lease_ms,
    };
    let Some((message, conversation, claimed)) = outbound::insert_queued(&db, &new).await? else {
        // Another request with this key won the race: answer as its replay.
        let key = key.as_deref().unwrap_or_default();
        let record = outbound::idempotency_record(&db, tenant_id, key)
            .await?
            .ok_or_else(|| ApiError::internal("the message was not stored"))?;
        return replay(&db, tenant_id, record, &hash).await;
    };
    let mut events = Events::default();
    events.message_created(&message, Some(&conversation));
    events.publish(env, tenant_id).await;

    first_attempt(env, &policy, &claimed, message).await
}

async fn first_attempt(
    env: &Env,
    policy: &Policy,
    claimed: &Claimed,
    queued: Message,
) -> ApiResult {
    match sender::attempt_claimed(env, policy, claimed).await {
        Ok(Attempt::Sent(message)) => json(201, &message),
        Ok(Attempt::Failed {
            message,
            code,
            title,
        }) => Err(ApiError::ProviderRejected {
            detail: sender::refusal_detail(code, &title),
            resource: Some(("message", to_value(&message)?)),
        }),
        Ok(Attempt::Unknown(message)) => Err(ApiError::ProviderSilent {
            detail: "the provider did not answer in time; it may have delivered the message, \
                     which is now `unknown` and will not be sent again"
                .into(),
            resource: Some(("message", to_value(&message)?)),
        }),
        Ok(Attempt::Retrying | Attempt::Recording | Attempt::NotClaimed) => json(202, &queued),
        Err(e) => {
            // The message is stored; only recording this attempt broke. It is never sent again
            // blindly: the re-drive settles it when the attempt's lease runs out.
            worker::console_error!("first attempt of {} failed: {e:?}", queued.id);
            json(202, &queued)
        }
    }
}

fn to_value(message: &Message) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(message).map_err(|e| ApiError::internal(e.to_string()))
}

fn idempotency_key(req: &Request) -> Result<Option<String>, ApiError> {
    let Some(key) = req.headers().get("idempotency-key")? else {
        return Ok(None);
    };
    let valid = !key.is_empty()
        && key.len() <= MAX_IDEMPOTENCY_KEY_CHARS
        && key.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        return Err(ApiError::BadRequest(format!(
            "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters"
        )));
    }
    Ok(Some(key))
}

/// The same key and body: the message as it stands now, sent at most once. Another body: 409.
async fn replay(
    db: &D1Database,
    tenant_id: &str,
    record: IdempotencyRecord,
    hash: &str,
) -> ApiResult {
    if record.request_hash != hash {
        return Err(ApiError::Conflict(
            "this Idempotency-Key was already used with a different request body".into(),
        ));
    }
    let message = read::message(db, tenant_id, &record.message_id)
        .await?
        .ok_or_else(|| ApiError::internal("an idempotency key names a missing message"))?;
    let response = json(200, &message)?;
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("idempotent-replayed", "true")?;
    Ok(response.with_headers(headers))
}

async fn recipient(
    env: &Env,
    db: &D1Database,
    tenant_id: &str,
    target: &SendTarget,
    now: i64,
) -> Result<Recipient, ApiError> {
    match target {
        SendTarget::Conversation(id) => {
            if let Some(found) = recipients::recipient_of_conversation(db, tenant_id, id).await? {
                return Ok(found);
            }
            // A conversation a contact merge combined into another sends in that one.
            let merged_into = merges::conversation_now(db, tenant_id, id).await?;
            let found = match merged_into {
                Some(now) => recipients::recipient_of_conversation(db, tenant_id, &now).await?,
                None => None,
            };
            found.ok_or_else(|| ApiError::InvalidField {
                field: "conversation_id".into(),
                reason: "no such conversation".into(),
            })
        }
        SendTarget::Phone { channel_id, to } => {
            // Opened through the isolate's cache, where the send itself will find it again.
            let channel = channel_cache::by_id(env, db, tenant_id, channel_id, now).await?;
            let Some(channel) = channel else {
                return Err(ApiError::InvalidField {
                    field: "channel_id".into(),
                    reason: "no such channel".into(),
                });
            };
            let to = PhoneNumber::read_in(to, channel.channel.default_country()).map_err(|e| {
                ApiError::InvalidField {
                    field: "to".into(),
                    reason: e.to_string(),
                }
            })?;
            recipients::recipient_by_phone(db, tenant_id, channel_id, &to, now).await
        }
    }
}

/// One of our messages in the same conversation, accepted by the provider: a reply or a
/// reaction names it by the provider's id.
async fn referenced(
    db: &D1Database,
    tenant_id: &str,
    recipient: &Recipient,
    message_id: &str,
    field: &str,
) -> Result<Referenced, ApiError> {
    let found =
        recipients::message_in_conversation(db, tenant_id, &recipient.conversation_id, message_id)
            .await?;
    match found {
        Some(message) if message.provider_message_id.is_some() => Ok(message),
        Some(_) => Err(ApiError::InvalidField {
            field: field.into(),
            reason: "that message has not been accepted by the provider yet".into(),
        }),
        None => Err(ApiError::InvalidField {
            field: field.into(),
            reason: "no such message in this conversation".into(),
        }),
    }
}

fn message_ref(message: &Referenced) -> MessageRef<'_> {
    MessageRef {
        provider_message_id: message.provider_message_id.as_deref().unwrap_or_default(),
        outbound: message.direction == "outbound",
        text: message.text.as_deref(),
    }
}

/// What is stored: the body in the one message model, with a reaction naming the provider's id
/// of its message, as inbound reactions do, and an upload named by its id (its link expires; the
/// message's attachment carries a fresh one whenever it is read).
fn stored_content(body: &OutboundBody, reaction_to: Option<&str>, upload: Option<&str>) -> Content {
    let mut content = body.to_content();
    if let (Content::Reaction { message_id, .. }, Some(provider_id)) = (&mut content, reaction_to) {
        *message_id = provider_id.to_string();
    }
    if let (
        Content::Image(media)
        | Content::Audio(media)
        | Content::Video(media)
        | Content::Document(media),
        Some(upload),
    ) = (&mut content, upload)
    {
        media.url = None;
        media.id = Some(upload.to_string());
    }
    content
}
