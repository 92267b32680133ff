//! WhatsApp Cloud API (Meta): webhook verification handshake, wire format and normalization.
//!
//! Wire format: <https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages>.

mod channel;
mod handshake;
mod normalize;
mod wire;

pub use channel::{MetaConfig, MetaSecrets, DEFAULT_GRAPH_BASE_URL};
pub use handshake::{verify_handshake, HandshakeError};
pub use normalize::{parse_webhook, ParseError};
