//! WhatsApp Cloud API (Meta): webhook verification handshake, wire format and normalization.
//!
//! Wire format: <https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages>.

mod handshake;
mod normalize;
mod wire;

pub use handshake::{verify_handshake, HandshakeError};
pub use normalize::{parse_webhook, ParseError};
