//! WhatsApp Cloud API (Meta): webhook verification handshake, wire format, normalization,
//! sending, and where media is downloaded from.
//!
//! Wire format: <https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages>.

mod adapter;
mod channel;
mod handshake;
mod media;
mod normalize;
mod send;
mod templates;
mod wire;

pub use adapter::{Meta, MetaChannel};
pub use channel::{MetaConfig, MetaSecrets, DEFAULT_GRAPH_BASE_URL};
pub use handshake::{
    authenticate_signature, handshake_reply, verify_handshake, HandshakeError, SIGNATURE_HEADER,
};
pub use media::{media_request, MEDIA_URL_FIELD};
pub use normalize::{parse_relayed_webhook, parse_webhook, ParseError};
pub(crate) use send::classify_failure;
pub use send::{
    mark_read_request, messages_request, parse_mark_read_response, parse_send_response,
    parse_upload_response, send_request, upload_request,
};
pub use templates::{parse_templates, templates_request};
