//! Publishing to a tenant's realtime hub (the `TenantHub` Durable Object in send-message).
//!
//! Publishing is best effort by design: it runs after D1 has committed, so a hub that is down
//! loses no data, only the push; clients re-fetch when the sequence number says they missed one.

use ponte_core::realtime::{
    PublishRequest, Unstamped, CHANNEL_UPDATED, CONTACT_MERGED, CONVERSATION_UPDATED,
    MESSAGE_CREATED, MESSAGE_UPDATED,
};
use serde::Serialize;
use serde_json::value::RawValue;
use worker::{console_error, Env, Headers, Method, Request, RequestInit};

use crate::bindings::TENANT_HUB;
use crate::problem::ApiError;
use crate::store::read::{Conversation, Message};

/// The hub's internal URL; only the path matters to a Durable Object.
pub const HUB_PUBLISH_URL: &str = "https://hub/publish";
pub const HUB_CONNECT_URL: &str = "https://hub/connect";

#[derive(Serialize)]
struct Payload<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    conversation_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation: Option<&'a Conversation>,
}

/// The events of one change, in the order clients should apply them.
#[derive(Default)]
pub struct Events(Vec<Unstamped>);

impl Events {
    /// A new message changes its conversation too (last message, unread count, activity); the
    /// event carries the conversation as it stands after the change, so one frame updates both
    /// the thread and the conversation list.
    pub fn message_created(&mut self, message: &Message, conversation: Option<&Conversation>) {
        self.push(
            MESSAGE_CREATED,
            &message.conversation_id,
            Some(message),
            conversation,
        );
    }

    pub fn message_updated(&mut self, message: &Message) {
        self.push(
            MESSAGE_UPDATED,
            &message.conversation_id,
            Some(message),
            None,
        );
    }

    pub fn conversation_updated(&mut self, conversation: &Conversation) {
        self.push(
            CONVERSATION_UPDATED,
            &conversation.id,
            None,
            Some(conversation),
        );
    }

    /// A channel's session changed; `channel` is the channel as `GET /v1/channels/{id}` shows it.
    /// It concerns no conversation, so every socket of the tenant gets it.
    /// Every socket of the tenant gets it: an inbox showing the merged-away contact or its
    /// conversations reloads them.
    pub fn contact_merged(&mut self, contact_id: &str, merged_contact_id: &str) {
        let payload = serde_json::json!({
            "type": CONTACT_MERGED,
            "contact_id": contact_id,
            "merged_contact_id": merged_contact_id,
        });
        if let Ok(payload) = RawValue::from_string(payload.to_string()) {
            self.0.push(Unstamped {
                conversation_id: String::new(),
                payload,
            });
        }
    }

    pub fn channel_updated(&mut self, channel_id: &str, channel: &serde_json::Value) {
        let payload = serde_json::json!({
            "type": CHANNEL_UPDATED,
            "channel_id": channel_id,
            "channel": channel,
        });
        if let Ok(payload) = RawValue::from_string(payload.to_string()) {
            self.0.push(Unstamped {
                conversation_id: String::new(),
                payload,
            });
        }
    }

    fn push(
        &mut self,
        kind: &str,
        conversation_id: &str,
        message: Option<&Message>,
        conversation: Option<&Conversation>,
    ) {
        let payload = Payload {
            kind,
            conversation_id,
            message,
            conversation,
        };
        // Serializing plain rows cannot fail; if it ever did, the event is skipped, not the write.
        if let Ok(payload) = serde_json::to_string(&payload).and_then(RawValue::from_string) {
            self.0.push(Unstamped {
                conversation_id: conversation_id.to_string(),
                payload,
            });
        }
    }

    /// Sends the events to the tenant's hub. Failures are logged, never returned: the change is
    /// already durable and the caller's answer must not depend on the push.
    pub async fn publish(self, env: &Env, tenant_id: &str) {
        if self.0.is_empty() {
            return;
        }
        if let Err(e) = self.try_publish(env, tenant_id).await {
            console_error!("realtime publish for tenant {tenant_id} failed: {e:?}");
        }
    }

    async fn try_publish(self, env: &Env, tenant_id: &str) -> Result<(), ApiError> {
        let body = serde_json::to_string(&PublishRequest { events: self.0 })
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let headers = Headers::new();
        headers.set("content-type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        let request = Request::new_with_init(HUB_PUBLISH_URL, &init)?;
        let response = hub(env, tenant_id)?.fetch_with_request(request).await?;
        if response.status_code() != 200 {
            return Err(ApiError::internal(format!(
                "hub answered {}",
                response.status_code()
            )));
        }
        Ok(())
    }
}

/// The one hub of a tenant: every publisher and every socket of the tenant meet there.
pub fn hub(env: &Env, tenant_id: &str) -> Result<worker::Stub, ApiError> {
    let namespace = env
        .durable_object(TENANT_HUB)
        .map_err(|_| ApiError::internal(format!("binding {TENANT_HUB} is missing")))?;
    Ok(namespace.get_by_name(tenant_id)?)
}
