//! Signed, expiring links to media (`/media/{id}?exp=…&sig=…`): browsers cannot send a header from
//! `<img>` or `<audio>`, and a long-lived API key must never sit in a URL.
//!
//! The signing key is derived from the master key once per isolate, when a function first
//! handles a request, so that messages read anywhere can carry their links.

use std::cell::RefCell;

use ponte_core::media::{link_query_with_key_id, verify_link, LinkError};
use worker::Env;

use crate::bindings::{keyring, MEDIA_LINK_KEY_PURPOSE, MEDIA_LINK_TTL_SECONDS};
use crate::now_ms;

const DEFAULT_TTL_SECONDS: i64 = 3600;

struct Signer {
    key: [u8; 32],
    key_id: String,
    /// During a rotation, the previous master key's link key: links it signed stay valid until
    /// they expire.
    previous: Option<(String, [u8; 32])>,
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
    let Ok(keys) = keyring(env) else {
        return;
    };
    let ttl_s = env
        .var(MEDIA_LINK_TTL_SECONDS)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<i64>().ok())
        .filter(|ttl| (10..=7 * 24 * 3600).contains(ttl))
        .unwrap_or(DEFAULT_TTL_SECONDS);
    let previous = keys
        .candidates(None)
        .into_iter()
        .skip(1)
        .map(|key| (key.id(), key.derive(MEDIA_LINK_KEY_PURPOSE)))
        .next();
    let signer = Signer {
        key: keys.current().derive(MEDIA_LINK_KEY_PURPOSE),
        key_id: keys.current_id().to_string(),
        previous,
        ttl_s,
    };
    SIGNER.with(|s| *s.borrow_mut() = Some(signer));
}

/// Checks a link under the key its `kid` names, or, for links made before links named their
/// key, under each key held. `None` before [`install`].
pub fn verify(
    media_id: &str,
    expires_at_s: i64,
    key_id: Option<&str>,
    sig_hex: &str,
    now_s: i64,
) -> Option<Result<(), LinkError>> {
    SIGNER.with(|s| {
        let signer = s.borrow();
        let signer = signer.as_ref()?;
        let current = (signer.key_id.as_str(), &signer.key);
        let previous = signer.previous.as_ref().map(|(id, key)| (id.as_str(), key));
        let keys = std::iter::once(current).chain(previous);
        let mut outcome = Err(LinkError::BadSignature);
        for (_, key) in keys.filter(|(id, _)| key_id.is_none_or(|wanted| wanted == *id)) {
            outcome = verify_link(key, media_id, expires_at_s, sig_hex, now_s);
            if outcome != Err(LinkError::BadSignature) {
                break;
            }
        }
        Some(outcome)
    })
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
                link_query_with_key_id(&signer.key, &signer.key_id, media_id, expires_at_s)
            )
        })
    })
}
