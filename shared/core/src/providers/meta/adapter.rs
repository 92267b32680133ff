//! The WhatsApp Cloud API on the provider seam.

use serde_json::Value;

use super::{
    authenticate_signature, handshake_reply, mark_read_request, media_request, messages_request,
    parse_mark_read_response, parse_send_response, parse_templates, parse_upload_response,
    parse_webhook, send_request, templates_request, upload_request, MetaConfig, MetaSecrets,
    SIGNATURE_HEADER,
};
use crate::identity::stored_identity;
use crate::media::whatsapp_media_limit;
use crate::model::{InboundBatch, Media};
use crate::outbound::{FieldError, OutboundBody};
use crate::providers::{
    Answer, Capabilities, Channel, HttpRequest, Malformed, MediaFetch, MediaUpload, MessageRef,
    PreparedCall, Provider, Reply, ResolvedRefs, SendOutcome, Settings, Template, Unauthenticated,
    WebhookRequest,
};
/// Every Cloud API call Ponte makes goes to `/{phone_number_id}/messages`.
const MESSAGES: &str = "messages";

pub struct Meta;

impl Provider for Meta {
    fn name(&self) -> &'static str {
        "meta"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            statuses: true,
            service_window: true,
            templates: true,
            reactions: true,
            read_receipts: true,
            media_by_link: true,
            location: true,
            session: false,
        }
    }

    fn webhook_headers(&self) -> &'static [&'static str] {
        &[SIGNATURE_HEADER]
    }

    fn open(&self, config: Value, secrets: Value) -> Result<Box<dyn Channel>, FieldError> {
        Ok(Box::new(MetaChannel::parse(config, secrets)?))
    }
}

/// A Meta channel: its settings are all it holds.
pub type MetaChannel = Settings<MetaConfig, MetaSecrets>;

impl Channel for MetaChannel {
    fn provider(&self) -> &'static dyn Provider {
        &Meta
    }

    fn handshake(&self, request: &WebhookRequest) -> Option<Result<Reply, Unauthenticated>> {
        Some(handshake_reply(request, &self.secrets.verify_token))
    }

    fn authenticate(&self, request: &WebhookRequest) -> Result<(), Unauthenticated> {
        authenticate_signature(request, &self.secrets.app_secret)
    }

    fn normalize(&self, request: &WebhookRequest) -> Result<InboundBatch, Malformed> {
        parse_webhook(
            request.body,
            &self.config.phone_number_id,
            request.received_at_ms,
        )
        .map_err(|e| Malformed(e.to_string()))
    }

    /// Meta's canonical `wa_id` once a send reported it, else the phone's digits.
    fn address(&self, identities: &[&str]) -> Option<String> {
        stored_identity(identities, "wa")
            .map(str::to_string)
            .or_else(|| {
                stored_identity(identities, "phone")
                    .map(|phone| phone.trim_start_matches('+').to_string())
            })
    }

    fn prepare_send(&self, to: &str, body: &OutboundBody, refs: &ResolvedRefs) -> PreparedCall {
        PreparedCall {
            endpoint: MESSAGES.into(),
            body: send_request(&self.config, "", to, body, refs).body,
        }
    }

    fn request(&self, call: &PreparedCall) -> HttpRequest {
        messages_request(&self.config, &self.secrets.access_token, call.body.clone())
    }

    fn classify_send(&self, _call: &PreparedCall, answer: &Answer) -> SendOutcome {
        parse_send_response(answer.status, answer.retry_after, answer.body)
    }

    fn mark_read(&self, _to: &str, last_inbound: &MessageRef) -> Option<PreparedCall> {
        let request = mark_read_request(&self.config, "", last_inbound.provider_message_id);
        Some(PreparedCall {
            endpoint: MESSAGES.into(),
            body: request.body,
        })
    }

    fn classify_mark_read(&self, answer: &Answer) -> Result<(), SendOutcome> {
        parse_mark_read_response(answer.status, answer.retry_after, answer.body)
    }

    fn media_fetch(&self, media: &Media) -> Option<MediaFetch> {
        media_request(&self.config, &self.secrets.access_token, media)
    }

    fn media_limit_bytes(&self, content_type: &str) -> Option<u64> {
        whatsapp_media_limit(content_type)
    }

    fn media_upload(&self, content_type: &str) -> Option<MediaUpload> {
        Some(upload_request(
            &self.config,
            &self.secrets.access_token,
            content_type,
        ))
    }

    fn parse_media_upload(&self, answer: &Answer) -> Result<String, SendOutcome> {
        parse_upload_response(answer.status, answer.retry_after, answer.body)
    }

    fn templates_request(&self) -> Result<HttpRequest, String> {
        templates_request(&self.config, &self.secrets.access_token)
    }

    fn parse_templates(&self, answer: &Answer) -> Result<Vec<Template>, SendOutcome> {
        parse_templates(answer.status, answer.retry_after, answer.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn channel() -> Box<dyn Channel> {
        Meta.open(
            json!({"phone_number_id": "1065"}),
            json!({"access_token": "EAAG", "app_secret": "s", "verify_token": "v"}),
        )
        .unwrap()
    }

    #[test]
    fn opening_names_the_wrong_part() {
        let secrets = json!({"access_token": "a", "app_secret": "b", "verify_token": "c"});
        let err = Meta
            .open(json!({}), secrets.clone())
            .err()
            .expect("config without id");
        assert_eq!(err.field, "config");
        assert!(err.reason.contains("phone_number_id"), "{}", err.reason);
        let err = Meta
            .open(
                json!({"phone_number_id": "1"}),
                json!({"access_token": "a"}),
            )
            .err()
            .expect("incomplete secrets");
        assert_eq!(err.field, "secrets");
        assert!(Meta.open(json!("x"), secrets).is_err());
    }

    #[test]
    fn the_address_is_metas_wa_id_when_known() {
        let channel = channel();
        assert_eq!(
            channel.address(&["phone:+5511987654321", "wa:551187654321"]),
            Some("551187654321".into())
        );
        assert_eq!(
            channel.address(&["phone:+5511987654321"]),
            Some("5511987654321".into())
        );
        assert_eq!(channel.address(&["bsuid:BR.1"]), None);
    }

    #[test]
    fn a_prepared_call_carries_no_token_until_it_is_requested() {
        let channel = channel();
        let body = OutboundBody::Text {
            body: "oi".into(),
            preview_url: false,
        };
        let call = channel.prepare_send("5511987654321", &body, &ResolvedRefs::default());
        assert!(!call.body.contains("EAAG"));
        let request = channel.request(&call);
        assert_eq!(request.header("authorization"), Some("Bearer EAAG"));
        assert!(request.url.ends_with("/1065/messages"));
        assert_eq!(request.body, call.body);
    }
}
