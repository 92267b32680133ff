//! Credentials: tenant API keys (stored hashed) and short-lived HS256 JWTs for browsers.
//!
//! The JWT is HS256 only, written on `hmac`/`sha2`: the general JWT crates bring RSA and ECDSA
//! (and a second RNG stack) into every Worker for an algorithm we never accept.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::ids::new_token;
use crate::signature::{constant_time_eq, hmac_sha256};

pub const API_KEY_PREFIX: &str = "ponte_sk_";

/// A freshly minted API key: shown to its owner once; only the hash is stored.
pub fn new_api_key() -> String {
    format!("{API_KEY_PREFIX}{}", new_token())
}

/// API keys carry 256 random bits, so a plain SHA-256 is enough to store them safely.
pub fn hash_api_key(key: &str) -> String {
    crate::signature::sha256_hex(key.as_bytes())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Agent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub tenant: String,
    pub sub: String,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    WrongAlgorithm,
    BadSignature,
    Expired,
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

pub fn sign_jwt(claims: &Claims, key: &[u8]) -> String {
    sign_with_header(claims, key, HEADER)
}

/// [`sign_jwt`], naming the signing key in the header's `kid`, so that a verifier holding two
/// master keys during a rotation knows which one to check it with.
pub fn sign_jwt_with_key_id(claims: &Claims, key: &[u8], key_id: &str) -> String {
    let header = serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": key_id}).to_string();
    sign_with_header(claims, key, &header)
}

/// The `kid` a token's header names, if any; unverified, so only a hint for choosing the key.
pub fn jwt_key_id(token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Header {
        kid: Option<String>,
    }
    let header = URL_SAFE_NO_PAD.decode(token.split('.').next()?).ok()?;
    serde_json::from_slice::<Header>(&header).ok()?.kid
}

fn sign_with_header(claims: &Claims, key: &[u8], header: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(header);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signing_input = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(hmac_sha256(key, signing_input.as_bytes()));
    format!("{signing_input}.{signature}")
}

/// Checks the algorithm, the signature and the expiry (`now_s` in unix seconds).
pub fn verify_jwt(token: &str, key: &[u8], now_s: i64) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    #[derive(Deserialize)]
    struct Header {
        alg: String,
    }
    let header_json = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| TokenError::Malformed)?;
    let parsed: Header = serde_json::from_slice(&header_json).map_err(|_| TokenError::Malformed)?;
    if parsed.alg != "HS256" {
        return Err(TokenError::WrongAlgorithm);
    }
    let given = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    let signing_input = &token[..header.len() + 1 + payload.len()];
    if !constant_time_eq(&given, &hmac_sha256(key, signing_input.as_bytes())) {
        return Err(TokenError::BadSignature);
    }
    let payload_json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    let claims: Claims =
        serde_json::from_slice(&payload_json).map_err(|_| TokenError::Malformed)?;
    if claims.exp <= now_s {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            tenant: "ten_1".into(),
            sub: "agent-7".into(),
            role: Role::Agent,
            iat: 100,
            exp,
        }
    }

    #[test]
    fn a_token_names_its_key_and_verifies_only_under_it() {
        let token = sign_jwt_with_key_id(&claims(200), b"key", "abcd1234");
        assert_eq!(jwt_key_id(&token).as_deref(), Some("abcd1234"));
        assert_eq!(verify_jwt(&token, b"key", 150), Ok(claims(200)));
        assert_eq!(
            verify_jwt(&token, b"other", 150),
            Err(TokenError::BadSignature)
        );
        // The key id is signed with the rest: naming another key breaks the signature.
        let parts: Vec<&str> = token.split('.').collect();
        let relabeled_header =
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT","kid":"ffffffff"}"#);
        let relabeled = format!("{relabeled_header}.{}.{}", parts[1], parts[2]);
        assert_eq!(
            verify_jwt(&relabeled, b"key", 150),
            Err(TokenError::BadSignature)
        );
        assert_eq!(jwt_key_id(&sign_jwt(&claims(200), b"key")), None);
        assert_eq!(jwt_key_id("garbage"), None);
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let token = sign_jwt(&claims(200), b"key");
        assert_eq!(verify_jwt(&token, b"key", 150), Ok(claims(200)));
        assert_eq!(verify_jwt(&token, b"key", 200), Err(TokenError::Expired));
    }

    #[test]
    fn tampering_another_key_and_alg_none_are_refused() {
        let token = sign_jwt(&claims(200), b"key");
        assert_eq!(
            verify_jwt(&token, b"other", 150),
            Err(TokenError::BadSignature)
        );
        let forged_payload = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&Claims {
                tenant: "ten_2".into(),
                ..claims(200)
            })
            .unwrap(),
        );
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(
            verify_jwt(&forged, b"key", 150),
            Err(TokenError::BadSignature)
        );
        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
        let none = format!("{none_header}.{}.", parts[1]);
        assert_eq!(
            verify_jwt(&none, b"key", 150),
            Err(TokenError::WrongAlgorithm)
        );
        assert_eq!(verify_jwt("a.b", b"key", 150), Err(TokenError::Malformed));
        assert_eq!(
            verify_jwt("a.b.c.d", b"key", 150),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn api_keys_are_prefixed_random_and_hashed() {
        let key = new_api_key();
        assert!(key.starts_with(API_KEY_PREFIX));
        assert_ne!(key, new_api_key());
        assert_eq!(hash_api_key(&key).len(), 64);
        assert_eq!(hash_api_key(&key), hash_api_key(&key));
        assert_ne!(hash_api_key(&key), hash_api_key(&new_api_key()));
    }
}
