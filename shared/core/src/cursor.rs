//! Opaque pagination cursors: the sort key of the last item returned, base64url-encoded JSON.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub fn encode<T: Serialize>(position: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(position).unwrap_or_default())
}

/// `None` when the cursor was not made by [`encode`] for this `T`.
pub fn decode<T: DeserializeOwned>(cursor: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips_and_rejects_garbage() {
        let c = super::encode(&(1_700_000_000_000i64, "con_1".to_string()));
        assert_eq!(
            super::decode::<(i64, String)>(&c),
            Some((1_700_000_000_000, "con_1".into()))
        );
        assert_eq!(super::decode::<(i64, String)>("not a cursor!"), None);
        assert_eq!(super::decode::<(i64, String)>(&super::encode(&"x")), None);
    }
}
