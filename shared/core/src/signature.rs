//! Webhook signature schemes, checked over the raw request bytes in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    Malformed,
    Mismatch,
}

impl SignatureError {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Missing => "the signature header is missing",
            Self::Malformed => "the signature header is not of the form sha256=<hex>",
            Self::Mismatch => "the signature does not match the body",
        }
    }
}

/// A SHA-256 taken over bytes as they stream past, chunk by chunk.
#[derive(Default)]
pub struct Sha256Stream(sha2::Sha256);

impl Sha256Stream {
    pub fn update(&mut self, chunk: &[u8]) {
        use sha2::Digest;
        self.0.update(chunk);
    }

    pub fn finish(self) -> [u8; 32] {
        use sha2::Digest;
        self.0.finalize().into()
    }
}

/// The SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

/// Bytes (a digest) as lower-case hex.
pub fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// A content fingerprint, e.g. of a request body under an idempotency key.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Meta's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`.
///
/// The raw bytes are what Meta signed (its body escapes non-ASCII as `\uXXXX`); re-serialized JSON
/// would not match, which is why this takes bytes and not a parsed value.
pub fn verify_meta(
    app_secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(SignatureError::Missing)?;
    let hex_digest = header
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    let expected = hex::decode(hex_digest).map_err(|_| SignatureError::Malformed)?;
    if expected.len() != 32 {
        return Err(SignatureError::Malformed);
    }
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The header value Meta would send for `body`; used by tests and the local demo.
pub fn sign_meta(app_secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac_sha256(app_secret, body)))
}

/// Twilio's `X-Twilio-Signature`: `base64(HMAC-SHA1(auth token, url + name1value1name2value2…))`,
/// the form parameters sorted by name, then value, with exact duplicates dropped (as Twilio's
/// own SDKs do, so that repeated names such as `MediaUrl0`-style arrays sign alike).
pub fn sign_twilio(auth_token: &[u8], url: &str, params: &[(String, String)]) -> String {
    use base64::Engine;
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(auth_token).expect("HMAC takes keys of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks `X-Twilio-Signature` against the public `url` Twilio called. Twilio signs the URL as
/// it was configured, which may or may not spell the default port (`:443`, `:80`), and with an
/// apostrophe percent-encoded; a proxy may have normalized either, so every spelling is tried,
/// as Twilio's SDKs do.
pub fn verify_twilio(
    auth_token: &[u8],
    url: &str,
    params: &[(String, String)],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    use base64::Engine;
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(SignatureError::Missing)?;
    let given = base64::engine::general_purpose::STANDARD
        .decode(header)
        .map_err(|_| SignatureError::Malformed)?;
    // A SHA-1 digest is 20 bytes: anything else cannot be Twilio's.
    if given.len() != 20 {
        return Err(SignatureError::Malformed);
    }
    let matched = twilio_url_spellings(url).iter().any(|candidate| {
        let expected = sign_twilio(auth_token, candidate, params);
        base64::engine::general_purpose::STANDARD
            .decode(expected)
            .is_ok_and(|expected| constant_time_eq(&expected, &given))
    });
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The spellings of `url` Twilio may have signed: as given, with its default port added or
/// removed, each also with `'` as `%27`.
fn twilio_url_spellings(url: &str) -> Vec<String> {
    let mut spellings = vec![url.to_string()];
    if let Some(other) = toggle_default_port(url) {
        spellings.push(other);
    }
    let escaped: Vec<String> = spellings
        .iter()
        .filter(|s| s.contains('\''))
        .map(|s| s.replace('\'', "%27"))
        .collect();
    spellings.extend(escaped);
    spellings
}

/// `https://host/x` ⇄ `https://host:443/x` (and `:80` for http); `None` for another port or
/// a URL that is not http(s).
fn toggle_default_port(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((user, host)) => (format!("{user}@"), host),
        None => (String::new(), authority),
    };
    // An IPv6 literal's colons are not a port's.
    let port_at = host_port
        .rfind(':')
        .filter(|at| !host_port[*at..].contains(']'));
    let host_port = match port_at {
        Some(at) if &host_port[at + 1..] == default_port => host_port[..at].to_string(),
        Some(_) => return None,
        None => format!("{host_port}:{default_port}"),
    };
    Some(format!("{scheme}://{userinfo}{host_port}{tail}"))
}

/// Equality that takes the same time wherever the first difference is.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_its_own_signature_and_rejects_a_tampered_body() {
        let sig = sign_meta(b"secret", b"{\"a\":1}");
        assert_eq!(verify_meta(b"secret", b"{\"a\":1}", Some(&sig)), Ok(()));
        assert_eq!(
            verify_meta(b"secret", b"{\"a\":2}", Some(&sig)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_meta(b"other", b"{\"a\":1}", Some(&sig)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn missing_and_malformed_headers_are_told_apart() {
        assert_eq!(verify_meta(b"s", b"x", None), Err(SignatureError::Missing));
        assert_eq!(
            verify_meta(b"s", b"x", Some("  ")),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_meta(b"s", b"x", Some("sha1=abcd")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_meta(b"s", b"x", Some("sha256=zz")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_meta(b"s", b"x", Some("sha256=abcd")),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn uppercase_hex_is_accepted() {
        let sig = sign_meta(b"k", b"body")
            .to_uppercase()
            .replace("SHA256=", "sha256=");
        assert_eq!(verify_meta(b"k", b"body", Some(&sig)), Ok(()));
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn twilio_urls_are_tried_with_and_without_their_default_port() {
        assert_eq!(
            toggle_default_port("https://u:p@x.test/a?b=1").as_deref(),
            Some("https://u:p@x.test:443/a?b=1")
        );
        assert_eq!(
            toggle_default_port("http://x.test:80/a").as_deref(),
            Some("http://x.test/a")
        );
        assert_eq!(toggle_default_port("http://x.test:1234/a"), None);
        assert_eq!(
            toggle_default_port("https://[::1]/a").as_deref(),
            Some("https://[::1]:443/a")
        );
    }

    #[test]
    fn a_twilio_signature_covers_the_url_and_every_parameter() {
        let params = vec![("Body".to_string(), "oi".to_string())];
        let url = "https://p.test/webhooks/twilio/t";
        let sig = sign_twilio(b"tok", url, &params);
        assert_eq!(verify_twilio(b"tok", url, &params, Some(&sig)), Ok(()));
        let tampered = vec![("Body".to_string(), "oi!".to_string())];
        assert_eq!(
            verify_twilio(b"tok", url, &tampered, Some(&sig)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_twilio(
                b"tok",
                "https://p.test/webhooks/twilio/u",
                &params,
                Some(&sig)
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_twilio(b"tok", url, &params, None),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_twilio(b"tok", url, &params, Some("bm9wZQ==")),
            Err(SignatureError::Malformed)
        );
    }
}
