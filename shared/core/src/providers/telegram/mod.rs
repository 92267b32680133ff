//! Telegram Bot API (`telegram`): a bot, known by the token BotFather gave.
//!
//! Telegram posts one `Update` per webhook call, with the secret given to `setWebhook` in
//! `X-Telegram-Bot-Api-Secret-Token`; Ponte generates that secret per channel and `connect`
//! registers the channel's webhook URL with it, so a user only pastes a bot token. Telegram
//! reports no delivery statuses (a send ends at `sent`) and has no 24-hour window or templates.
//! Contacts are Telegram user ids (`tg:`), never phone numbers.
//!
//! Reference: <https://core.telegram.org/bots/api>.

mod config;
mod content;
mod normalize;
mod send;
mod wire;

use serde_json::{json, Value};

pub use config::{TelegramConfig, TelegramSecrets, DEFAULT_BASE_URL};
pub use normalize::message_key;

use crate::model::{InboundBatch, Media};
use crate::outbound::{FieldError, OutboundBody};
use crate::providers::{
    Answer, Capabilities, Channel, ConnectionUpdate, HttpRequest, Malformed, MediaFetch,
    PreparedCall, Provider, Reply, ResolvedRefs, SendOutcome, Settings, Unauthenticated,
    WebhookRequest,
};
use crate::signature::constant_time_eq;

pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// The largest file the Bot API lets a bot download.
const MAX_DOWNLOAD_BYTES: u64 = 20 * 1024 * 1024;
const CALLBACK_PREFIX: &str = "callback:";

pub struct Telegram;

impl Provider for Telegram {
    fn name(&self) -> &'static str {
        "telegram"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            statuses: false,
            service_window: false,
            templates: false,
            reactions: true,
            read_receipts: false,
            media_by_link: true,
            location: true,
            session: false,
        }
    }

    fn webhook_headers(&self) -> &'static [&'static str] {
        &[SECRET_HEADER]
    }

    fn open(&self, config: Value, secrets: Value) -> Result<Box<dyn Channel>, FieldError> {
        Ok(Box::new(TelegramChannel::parse(config, secrets)?))
    }
}

/// A Telegram channel: its settings are all it holds.
pub type TelegramChannel = Settings<TelegramConfig, TelegramSecrets>;

impl Channel for TelegramChannel {
    fn provider(&self) -> &'static dyn Provider {
        &Telegram
    }

    fn includes_groups(&self) -> bool {
        self.config.include_groups
    }

    /// The secret `setWebhook` registered, compared in constant time; without it anyone who
    /// learnt the URL could post updates.
    fn authenticate(&self, request: &WebhookRequest) -> Result<(), Unauthenticated> {
        let given = request
            .header(SECRET_HEADER)
            .ok_or_else(|| Unauthenticated("missing X-Telegram-Bot-Api-Secret-Token".into()))?;
        let expected = self.secrets.webhook_secret();
        if expected.is_empty() || !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(Unauthenticated(
                "X-Telegram-Bot-Api-Secret-Token does not match".into(),
            ));
        }
        Ok(())
    }

    fn normalize(&self, request: &WebhookRequest) -> Result<InboundBatch, Malformed> {
        normalize::normalize(
            request.body,
            self.config.include_groups,
            request.received_at_ms,
        )
    }

    /// A button tap is answered in the webhook's own response (`answerCallbackQuery`), which
    /// Telegram runs as an API call: the user's button stops spinning without a second request.
    fn reply(&self, batch: &InboundBatch) -> Option<Reply> {
        let query_id = batch
            .messages
            .iter()
            .find_map(|m| m.provider_message_id.strip_prefix(CALLBACK_PREFIX))?;
        Some(Reply {
            status: 200,
            content_type: "application/json",
            body: json!({"method": "answerCallbackQuery", "callback_query_id": query_id})
                .to_string(),
        })
    }

    fn address(&self, identities: &[&str]) -> Option<String> {
        send::address(identities)
    }

    fn prepare_send(&self, to: &str, body: &OutboundBody, refs: &ResolvedRefs) -> PreparedCall {
        send::prepare_send(to, body, refs)
    }

    fn request(&self, call: &PreparedCall) -> HttpRequest {
        send::request(&self.config, &self.secrets, call)
    }

    fn classify_send(&self, _call: &PreparedCall, answer: &Answer) -> SendOutcome {
        send::classify_send(answer)
    }

    fn media_fetch(&self, media: &Media) -> Option<MediaFetch> {
        send::media_fetch(&self.config, &self.secrets, media)
    }

    fn media_limit_bytes(&self, _content_type: &str) -> Option<u64> {
        Some(MAX_DOWNLOAD_BYTES)
    }

    fn connect(&self, webhook_url: &str) -> Option<PreparedCall> {
        Some(send::set_webhook(webhook_url))
    }

    fn classify_connect(&self, answer: &Answer) -> Result<ConnectionUpdate, SendOutcome> {
        send::classify_connect(answer)
    }
}
