//! Public identifiers: a type prefix and 96 random bits, e.g. `msg_5f0c…`.

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The platform RNG (crypto.getRandomValues on Workers) does not fail in practice; if it ever
    // did, an all-zero id would collide loudly on a UNIQUE constraint rather than silently.
    let _ = getrandom::fill(&mut bytes);
    bytes
}

pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", hex::encode(random_bytes::<12>()))
}

/// An unguessable URL-safe token (256 bits), for webhook URLs and API keys.
pub fn new_token() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_and_distinct() {
        let a = new_id("msg");
        assert!(a.starts_with("msg_") && a.len() == 28, "{a}");
        assert_ne!(a, new_id("msg"));
        assert_eq!(new_token().len(), 43);
        assert_ne!(new_token(), new_token());
    }
}
