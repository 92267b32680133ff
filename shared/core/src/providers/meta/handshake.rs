//! How Meta's webhooks prove themselves, for every Meta platform that posts them (the Cloud API,
//! Messenger, Instagram): the `GET` subscription handshake, which echoes `hub.challenge` when
//! `hub.verify_token` is ours, and `X-Hub-Signature-256` over the raw body with the app secret.

use crate::providers::{Reply, Unauthenticated, WebhookRequest};
use crate::signature::{constant_time_eq, verify_meta};

/// The header Meta signs every webhook with (lower-case, as the seam names headers).
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// The handshake as the seam answers it: the bare challenge, or why not.
pub fn handshake_reply(
    request: &WebhookRequest,
    verify_token: &str,
) -> Result<Reply, Unauthenticated> {
    let query = request.query.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    verify_handshake(query, verify_token)
        .map(|challenge| Reply {
            status: 200,
            content_type: "text/plain",
            body: challenge.to_string(),
        })
        .map_err(|_| {
            Unauthenticated("hub.mode must be subscribe and hub.verify_token must match".into())
        })
}

/// `X-Hub-Signature-256` checked over the raw body with the app secret.
pub fn authenticate_signature(
    request: &WebhookRequest,
    app_secret: &str,
) -> Result<(), Unauthenticated> {
    verify_meta(
        app_secret.as_bytes(),
        request.body,
        request.header(SIGNATURE_HEADER),
    )
    .map_err(|e| Unauthenticated(format!("X-Hub-Signature-256: {}", e.describe())))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeError {
    MissingParameters,
    NotSubscribe,
    TokenMismatch,
}

/// `query` is the decoded query string. Returns the challenge to answer with.
pub fn verify_handshake<'q>(
    query: impl IntoIterator<Item = (&'q str, &'q str)>,
    verify_token: &str,
) -> Result<&'q str, HandshakeError> {
    let (mut mode, mut token, mut challenge) = (None, None, None);
    for (key, value) in query {
        match key {
            "hub.mode" => mode = Some(value),
            "hub.verify_token" => token = Some(value),
            "hub.challenge" => challenge = Some(value),
            _ => {}
        }
    }
    let (Some(mode), Some(token), Some(challenge)) = (mode, token, challenge) else {
        return Err(HandshakeError::MissingParameters);
    };
    if mode != "subscribe" {
        return Err(HandshakeError::NotSubscribe);
    }
    if !constant_time_eq(token.as_bytes(), verify_token.as_bytes()) {
        return Err(HandshakeError::TokenMismatch);
    }
    Ok(challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_the_challenge_for_the_right_token() {
        let q = [
            ("hub.mode", "subscribe"),
            ("hub.challenge", "1158201444"),
            ("hub.verify_token", "meatyhamhock"),
        ];
        assert_eq!(verify_handshake(q, "meatyhamhock"), Ok("1158201444"));
    }

    #[test]
    fn rejects_wrong_token_wrong_mode_and_missing_parameters() {
        let wrong = [
            ("hub.mode", "subscribe"),
            ("hub.challenge", "c"),
            ("hub.verify_token", "nope"),
        ];
        assert_eq!(
            verify_handshake(wrong, "right"),
            Err(HandshakeError::TokenMismatch)
        );
        let mode = [
            ("hub.mode", "unsubscribe"),
            ("hub.challenge", "c"),
            ("hub.verify_token", "right"),
        ];
        assert_eq!(
            verify_handshake(mode, "right"),
            Err(HandshakeError::NotSubscribe)
        );
        assert_eq!(
            verify_handshake([], "right"),
            Err(HandshakeError::MissingParameters)
        );
        assert_eq!(
            verify_handshake([("hub.mode", "subscribe")], "right"),
            Err(HandshakeError::MissingParameters)
        );
    }
}
