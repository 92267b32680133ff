//! The Twilio adapter against form bodies written from Twilio's documented webhook format
//! (`tests/fixtures/twilio/`, shared with the end-to-end tests), through the provider seam:
//! signatures, inbound SMS, MMS and WhatsApp, and status callbacks.

use std::path::PathBuf;

use ponte_core::identity::IdentityKey;
use ponte_core::model::{Content, Direction, InboundBatch, NormalizedMessage};
use ponte_core::providers::{provider, Channel, WebhookRequest};
use ponte_core::signature::sign_twilio;
use ponte_core::status::DeliveryStatus;
use serde_json::json;

const AUTH_TOKEN: &str = "9f86d081884c7d659a2feaa0c55ad015";
const URL: &str = "https://ponte.example.com/webhooks/twilio/twl_tok3n";
const NOW_MS: i64 = 1_800_000_000_000;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/twilio")
        .join(format!("{name}.form"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn channel() -> Box<dyn Channel> {
    provider("twilio")
        .expect("twilio is registered")
        .open(
            json!({"account_sid": "ACf3a1b2c3d4e5f60718293a4b5c6d7e8f", "from": "whatsapp:+14155550199"}),
            json!({"auth_token": AUTH_TOKEN}),
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

fn request<'a>(
    url: &'a str,
    body: &'a [u8],
    headers: &'a [(&'static str, String)],
) -> WebhookRequest<'a> {
    WebhookRequest {
        method: "POST",
        url,
        rest: "",
        query: &[],
        headers,
        body,
        received_at_ms: NOW_MS,
    }
}

fn signed(body: &[u8]) -> Vec<(&'static str, String)> {
    let params = ponte_core::providers::twilio::params(body);
    vec![(
        "x-twilio-signature",
        sign_twilio(AUTH_TOKEN.as_bytes(), URL, &params),
    )]
}

fn parse(name: &str) -> InboundBatch {
    let body = fixture(name);
    let headers = signed(&body);
    let channel = channel();
    let request = request(URL, &body, &headers);
    channel
        .authenticate(&request)
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let batch = channel
        .normalize(&request)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(batch.unreadable.is_empty(), "{name}: {batch:?}");
    batch
}

fn only_message(name: &str) -> NormalizedMessage {
    let batch = parse(name);
    assert_eq!(batch.messages.len(), 1, "{name}: {batch:?}");
    assert!(batch.statuses.is_empty(), "{name}");
    batch.messages.into_iter().next().unwrap()
}

#[test]
fn a_forged_or_missing_signature_is_refused() {
    let body = fixture("sms_text");
    let channel = channel();
    assert!(channel.authenticate(&request(URL, &body, &[])).is_err());
    let forged = vec![(
        "x-twilio-signature",
        sign_twilio(
            b"another token",
            URL,
            &ponte_core::providers::twilio::params(&body),
        ),
    )];
    assert!(channel.authenticate(&request(URL, &body, &forged)).is_err());
    // Signed for another channel's URL: the token in the path is part of what is signed.
    let headers = signed(&body);
    let other = "https://ponte.example.com/webhooks/twilio/other";
    assert!(channel
        .authenticate(&request(other, &body, &headers))
        .is_err());
    // One parameter changed after signing.
    let tampered = String::from_utf8(body.clone())
        .unwrap()
        .replace("4521", "4522");
    assert!(channel
        .authenticate(&request(URL, tampered.as_bytes(), &headers))
        .is_err());
    assert!(channel.authenticate(&request(URL, &body, &headers)).is_ok());
}

#[test]
fn an_sms_is_a_text_from_the_senders_phone_number() {
    let m = only_message("sms_text");
    assert_eq!(m.provider_message_id, "SM1a2b3c4d5e6f708192a3b4c5d6e7f801");
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.contact.identity_keys(), vec!["phone:+5511987654321"]);
    assert_eq!(m.timestamp_ms, NOW_MS);
    assert_eq!(
        m.content,
        Content::Text {
            body: "Olá! Meu pedido 4521 chegou?".into()
        }
    );
}

#[test]
fn whatsapp_adds_the_wa_id_and_profile_name_to_the_same_phone_identity() {
    let wa = only_message("whatsapp_text");
    let sms = only_message("sms_text");
    assert_eq!(wa.contact.name.as_deref(), Some("Maria Souza"));
    assert!(wa
        .contact
        .keys()
        .contains(&IdentityKey::WhatsApp("5511987654321".into())));
    // The phone identity both share is what makes them one contact.
    assert_eq!(wa.contact.phone(), sms.contact.phone());
    assert_eq!(
        wa.content,
        Content::Text {
            body: "Oi, tudo bem?".into()
        }
    );
    // An older Brazilian number's WaId lacks the ninth digit; its phone identity has it.
    let old = only_message("whatsapp_old_brazilian_number");
    assert_eq!(old.contact.phone(), sms.contact.phone());
    assert_eq!(old.contact.key_of("wa").as_deref(), Some("551187654321"));
}

#[test]
fn media_urls_become_attachments_with_the_text_as_first_caption() {
    let m = only_message("whatsapp_image");
    let Content::Image(media) = &m.content else {
        panic!("{:?}", m.content)
    };
    assert!(media.url.as_deref().unwrap().ends_with("/Media/ME1c"));
    assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(media.caption.as_deref(), Some("a foto da caixa"));

    let batch = parse("mms_two_images");
    let ids: Vec<&str> = batch
        .messages
        .iter()
        .map(|m| m.provider_message_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "MM2b3c4d5e6f708192a3b4c5d6e7f80112",
            "MM2b3c4d5e6f708192a3b4c5d6e7f80112-1"
        ]
    );
    assert!(
        matches!(&batch.messages[0].content, Content::Image(m) if m.caption.as_deref() == Some("the receipt, both pages"))
    );
    assert!(matches!(&batch.messages[1].content, Content::Document(m)
        if m.caption.is_none() && m.mime_type.as_deref() == Some("application/pdf")));
}

#[test]
fn locations_buttons_replies_and_referrals_are_read() {
    let location = only_message("whatsapp_location");
    assert_eq!(
        location.content,
        Content::Location {
            latitude: -23.5613,
            longitude: -46.6565,
            name: Some("MASP".into()),
            address: Some("Av. Paulista, 1578 - Bela Vista, São Paulo".into()),
            url: None,
        }
    );
    let button = only_message("whatsapp_button");
    assert_eq!(
        button.content,
        Content::Button {
            payload: "confirm_order_4521".into(),
            text: "Confirmar".into()
        }
    );
    let quoted = button.context.expect("a reply");
    assert_eq!(
        quoted.message_id.as_deref(),
        Some("SMaa00bb11cc22dd33ee44ff5566778899")
    );
    let forwarded = only_message("whatsapp_forwarded_reply");
    let context = forwarded.context.expect("context");
    assert!(context.forwarded && context.frequently_forwarded);
    let referral = forwarded.referral.expect("a referral");
    assert_eq!(referral["ReferralSourceUrl"], "https://fb.me/ad123");
    assert_eq!(referral.get("ReferralNumMedia").unwrap(), "0");
}

#[test]
fn status_callbacks_move_the_send_forward_and_failures_carry_twilios_reason() {
    let sid = "SM9a3b4c5d6e7f8011223344556677889a";
    for (name, status) in [
        ("status_sent", DeliveryStatus::Sent),
        ("status_delivered", DeliveryStatus::Delivered),
        ("status_read", DeliveryStatus::Read),
    ] {
        let batch = parse(name);
        assert!(batch.messages.is_empty(), "{name}");
        assert_eq!(batch.statuses.len(), 1, "{name}");
        assert_eq!(batch.statuses[0].provider_message_id, sid);
        assert_eq!(batch.statuses[0].status, status, "{name}");
        assert_eq!(batch.statuses[0].error, None, "{name}");
    }
    let undelivered = &parse("status_undelivered").statuses[0];
    assert_eq!(undelivered.status, DeliveryStatus::Failed);
    let error = undelivered.error.as_ref().unwrap();
    assert_eq!(
        (error.code, error.title.as_str()),
        (30003, "Unreachable destination handset")
    );
    // Without an ErrorMessage, the code's meaning is the reason.
    let window = &parse("status_failed_window").statuses[0];
    let error = window.error.as_ref().unwrap();
    assert_eq!(error.code, 63016);
    assert!(error.title.contains("24-hour window"), "{}", error.title);
    // Twilio's queued is no step past Ponte's own: accepted, not applied.
    let queued = parse("status_queued");
    assert!(queued.statuses.is_empty() && queued.messages.is_empty());
    assert_eq!(queued.ignored.len(), 1);
}

#[test]
fn every_delivery_is_answered_with_empty_twiml() {
    let channel = channel();
    let reply = channel.reply(&parse("sms_text")).expect("TwiML");
    assert_eq!((reply.status, reply.content_type), (200, "text/xml"));
    assert!(reply.body.ends_with("<Response/>"), "{}", reply.body);
}

#[test]
fn a_form_that_names_no_message_is_ignored_not_refused() {
    let channel = channel();
    let batch = channel.normalize(&request(URL, b"Foo=bar", &[])).unwrap();
    assert!(batch.messages.is_empty() && batch.statuses.is_empty());
    assert_eq!(batch.ignored.len(), 1);
    let not_a_number = channel
        .normalize(&request(
            URL,
            b"MessageSid=SM1&SmsStatus=received&From=messenger%3A123&Body=x",
            &[],
        ))
        .unwrap();
    assert!(not_a_number.messages.is_empty());
    assert!(
        not_a_number.ignored[0].contains("messenger:123"),
        "{:?}",
        not_a_number.ignored
    );
}
