//! The WhatsApp session behind a channel: the `status-find` and `qrcode` webhooks, and the
//! answer to `start-session`.

use serde_json::Value;

use super::answers::refusal;
use super::wire::QrCode;
use crate::providers::{Answer, ConnectionState, ConnectionUpdate, Qr, SendOutcome};

/// wppconnect's `StatusFind` values (`enum/status-find.ts`), plus the ones older servers sent
/// (`desconnectedMobile`, `deleteToken`). `notLogged` is sent just before the server waits for
/// a QR scan (`host.layer.ts`), so it means a QR code is needed; the `qrcode` event that
/// follows carries it. The browser's start-up steps of older versions (`initBrowser`,
/// `openBrowser`, `waitChat`, …) are all still connecting.
pub fn status_find_update(status: &str) -> ConnectionUpdate {
    let state = match status {
        "isLogged" | "inChat" | "qrReadSuccess" => ConnectionState::Connected,
        "notLogged" => ConnectionState::QrRequired,
        "qrReadFail" | "qrReadError" | "phoneNotConnected" | "disconnectedMobile"
        | "desconnectedMobile" | "deleteToken" | "browserClose" | "autocloseCalled"
        | "serverClose" => ConnectionState::Disconnected,
        _ => ConnectionState::Connecting,
    };
    ConnectionUpdate { state, qr: None }
}

/// The server strips the `data:image/png;base64,` prefix before posting the image; it is put
/// back so that the image is a `data:` URL whichever way it came.
pub fn qr_update(qr: QrCode) -> ConnectionUpdate {
    ConnectionUpdate {
        state: ConnectionState::QrRequired,
        qr: qr_of(qr.qrcode.as_deref(), qr.urlcode.as_deref()),
    }
}

/// `start-session` answers with the session's status: `qrcode` (lower-case, raw base64) when
/// it just produced a QR code, else the stored `QRCODE`, `CONNECTED`, `INITIALIZING`,
/// `PHONECODE` or `CLOSED` (`sessionController.ts#getSessionState`, with a `data:` URL).
pub fn connect_update(answer: &Answer) -> Result<ConnectionUpdate, SendOutcome> {
    if !answer.is_success() {
        return Err(refusal(answer, "WPPConnect refused to start the session"));
    }
    let json = answer.json().unwrap_or(Value::Null);
    let text = |field: &str| json.get(field).and_then(Value::as_str);
    let status = text("status").unwrap_or_default().to_ascii_uppercase();
    let (state, qr) = match status.as_str() {
        "QRCODE" => (
            ConnectionState::QrRequired,
            qr_of(text("qrcode"), text("urlcode")),
        ),
        // Pairing by a code typed on the phone: the user has to act, as for a QR code.
        "PHONECODE" => (ConnectionState::QrRequired, None),
        "CONNECTED" => (ConnectionState::Connected, None),
        "CLOSED" => (ConnectionState::Disconnected, None),
        "ERROR" => return Err(refusal(answer, "WPPConnect could not start the session")),
        _ => (ConnectionState::Connecting, None),
    };
    Ok(ConnectionUpdate { state, qr })
}

fn qr_of(image: Option<&str>, code: Option<&str>) -> Option<Qr> {
    let image = present(image).and_then(|image| {
        if image.starts_with("data:image/") {
            Some(image.to_string())
        } else if image.starts_with("data:") {
            // Not an image: nothing the inbox should render.
            None
        } else {
            Some(format!("data:image/png;base64,{image}"))
        }
    });
    let code = present(code).map(str::to_string);
    (image.is_some() || code.is_some()).then_some(Qr { code, image })
}

fn present(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qr_image_is_always_a_data_url_of_an_image() {
        let raw = qr_of(Some("iVBORw0KGgo="), Some("2@abc")).unwrap();
        assert_eq!(
            raw.image.as_deref(),
            Some("data:image/png;base64,iVBORw0KGgo=")
        );
        assert_eq!(raw.code.as_deref(), Some("2@abc"));
        let prefixed = qr_of(Some("data:image/png;base64,iVBO"), None).unwrap();
        assert_eq!(
            prefixed.image.as_deref(),
            Some("data:image/png;base64,iVBO")
        );
        let html = qr_of(Some("data:text/html,<script>"), Some("2@x")).unwrap();
        assert_eq!(html.image, None);
        assert_eq!(qr_of(Some(" "), None), None);
    }

    #[test]
    fn login_steps_map_to_states() {
        let state = |s: &str| status_find_update(s).state;
        assert_eq!(state("inChat"), ConnectionState::Connected);
        assert_eq!(state("notLogged"), ConnectionState::QrRequired);
        assert_eq!(state("browserClose"), ConnectionState::Disconnected);
        assert_eq!(state("waitForLogin"), ConnectionState::Connecting);
    }
}
