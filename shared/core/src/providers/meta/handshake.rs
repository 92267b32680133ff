//! The `GET` subscription handshake: echo `hub.challenge` when `hub.verify_token` is ours.

use crate::signature::constant_time_eq;

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
