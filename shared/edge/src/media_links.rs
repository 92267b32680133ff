//! Signed, expiring links to media (`/media/{id}?exp=…&sig=…`): browsers cannot send a header from
//! `<img>` or `<audio>`, and a long-lived API key must never sit in a URL.
//!
//! The signing key is derived from the master key once per isolate, when a function first
//! handles a request, so that messages read anywhere can carry their links.

use std::cell::RefCell;

use ponte_core::media::link_query;
use worker::Env;

use crate::bindings::{master_key, MEDIA_LINK_KEY_PURPOSE, MEDIA_LINK_TTL_SECONDS};
use crate::now_ms;

const DEFAULT_TTL_SECONDS: i64 = 3600;

struct Signer {
    key: [u8; 32],
    ttl_s: i64,
}

thread_local! {
    static SIGNER: RefCell<Option<Signer>> = const { RefCell::new(None) };
}

/// Makes links signable in this isolate. Cheap after the first call.
pub fn install(env: &Env) {
    if SIGNER.with(|s| s.borrow().is_some()) {
        return;
    }
    let Ok(master) = master_key(env) else {
        return;
    };
    let ttl_s = env
        .var(MEDIA_LINK_TTL_SECONDS)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<i64>().ok())
        .filter(|ttl| (10..=7 * 24 * 3600).contains(ttl))
        .unwrap_or(DEFAULT_TTL_SECONDS);
    let key = master.derive(MEDIA_LINK_KEY_PURPOSE);
    SIGNER.with(|s| *s.borrow_mut() = Some(Signer { key, ttl_s }));
}

/// The key links are checked with, when installed.
pub fn key() -> Option<[u8; 32]> {
    SIGNER.with(|s| s.borrow().as_ref().map(|signer| signer.key))
}

/// How long a link handed to a provider stays valid: its retries can come days later.
pub const PROVIDER_LINK_TTL_SECONDS: i64 = 7 * 24 * 3600;

/// `/media/{id}?exp=…&sig=…`, valid for the configured time from now; `None` before [`install`].
pub fn signed_path(media_id: &str) -> Option<String> {
    signed_path_for(media_id, None)
}

/// The same, valid for `ttl_s` instead of the configured time.
pub fn signed_path_for(media_id: &str, ttl_s: Option<i64>) -> Option<String> {
    SIGNER.with(|s| {
        s.borrow().as_ref().map(|signer| {
            let expires_at_s = now_ms() / 1000 + ttl_s.unwrap_or(signer.ttl_s);
            format!(
                "/media/{media_id}?{}",
                link_query(&signer.key, media_id, expires_at_s)
            )
        })
    })
}
