//! Sending through GupShup: the form each body becomes, the request's credential, and what
//! GupShup's answers mean.

use ponte_core::outbound::OutboundBody;
use ponte_core::providers::{provider, Answer, Channel, MessageRef, ResolvedRefs, SendOutcome};
use serde_json::{json, Value};

fn channel() -> Box<dyn Channel> {
    provider("gupshup")
        .expect("registered")
        .open(
            json!({"base_url": "http://127.0.0.1:8797/", "app_name": "PonteDemo", "source": "551140028922"}),
            json!({"api_key": "k3y"}),
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The form's fields, with `message` read as JSON.
fn sent(body: &OutboundBody, refs: &ResolvedRefs) -> (Vec<(String, String)>, Value) {
    let call = channel().prepare_send("5511987654321", body, refs);
    assert_eq!(call.endpoint, "wa/api/v1/msg");
    let form: Vec<(String, String)> = form_urlencoded::parse(call.body.as_bytes())
        .into_owned()
        .collect();
    let message = form
        .iter()
        .find(|(k, _)| k == "message")
        .map(|(_, v)| serde_json::from_str(v).expect("message is JSON"))
        .expect("a message field");
    (form, message)
}

fn message(body: OutboundBody) -> Value {
    sent(&body, &ResolvedRefs::default()).1
}

#[test]
fn a_text_goes_out_as_gupshups_form_from_the_channels_number_and_app() {
    let (form, message) = sent(
        &OutboundBody::Text {
            body: "Olá!".into(),
            preview_url: true,
        },
        &ResolvedRefs::default(),
    );
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("channel"), Some("whatsapp"));
    assert_eq!(field("source"), Some("551140028922"));
    assert_eq!(field("destination"), Some("5511987654321"));
    assert_eq!(field("src.name"), Some("PonteDemo"));
    assert_eq!(
        message,
        json!({"type": "text", "text": "Olá!", "previewUrl": true})
    );
}

#[test]
fn each_kind_of_body_has_gupshups_message_shape() {
    let link = "https://ponte.example/media/med_1?sig=x";
    assert_eq!(
        message(OutboundBody::Image {
            link: link.into(),
            caption: Some("foto".into())
        }),
        json!({"type": "image", "originalUrl": link, "previewUrl": link, "caption": "foto"})
    );
    assert_eq!(
        message(OutboundBody::Video {
            link: link.into(),
            caption: None
        }),
        json!({"type": "video", "url": link})
    );
    assert_eq!(
        message(OutboundBody::Audio { link: link.into() }),
        json!({"type": "audio", "url": link})
    );
    assert_eq!(
        message(OutboundBody::Document {
            link: link.into(),
            caption: Some("segue".into()),
            filename: Some("boleto.pdf".into())
        }),
        json!({"type": "file", "url": link, "filename": "boleto.pdf", "caption": "segue"})
    );
    assert_eq!(
        message(OutboundBody::Location {
            latitude: -23.5,
            longitude: -46.6,
            name: Some("Sé".into()),
            address: None
        }),
        json!({"type": "location", "latitude": -23.5, "longitude": -46.6, "name": "Sé"})
    );
    let refs = ResolvedRefs {
        reaction_to: Some(MessageRef {
            provider_message_id: "ABEGkYaYVSEE",
            outbound: false,
            text: None,
        }),
        ..ResolvedRefs::default()
    };
    let (_, reaction) = sent(
        &OutboundBody::Reaction {
            message_id: "msg_1".into(),
            emoji: "👍".into(),
        },
        &refs,
    );
    assert_eq!(
        reaction,
        json!({"type": "reaction", "msgId": "ABEGkYaYVSEE", "emoji": "👍"})
    );
}

#[test]
fn the_request_carries_the_api_key_header_and_the_debug_form_hides_it() {
    let channel = channel();
    let call = channel.prepare_send(
        "5511987654321",
        &OutboundBody::Text {
            body: "x".into(),
            preview_url: false,
        },
        &ResolvedRefs::default(),
    );
    let request = channel.request(&call);
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, "http://127.0.0.1:8797/wa/api/v1/msg");
    assert_eq!(request.header("apikey"), Some("k3y"));
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert!(!format!("{request:?}").contains("k3y"));
}

#[test]
fn a_contact_is_addressed_by_whatsapps_id_else_by_number() {
    let channel = channel();
    assert_eq!(
        channel.address(&["phone:+5511987654321", "wa:551187654321"]),
        Some("551187654321".into())
    );
    assert_eq!(
        channel.address(&["phone:+5511987654321"]),
        Some("5511987654321".into())
    );
    assert_eq!(channel.address(&["tg:42"]), None);
}

fn classify(status: u16, body: &str) -> SendOutcome {
    let channel = channel();
    let call = channel.prepare_send(
        "5511987654321",
        &OutboundBody::Text {
            body: "x".into(),
            preview_url: false,
        },
        &ResolvedRefs::default(),
    );
    channel.classify_send(
        &call,
        &Answer {
            status,
            retry_after: Some("3"),
            body: body.as_bytes(),
        },
    )
}

#[test]
fn gupshups_answers_are_accepted_retried_or_failed_with_its_reason() {
    assert_eq!(
        classify(202, r#"{"status":"submitted","messageId":"ee4a68a0-1203"}"#),
        SendOutcome::Accepted {
            provider_message_id: "ee4a68a0-1203".into(),
            recipient: None
        }
    );
    assert!(matches!(
        classify(200, r#"{"status":"submitted"}"#),
        SendOutcome::Permanent { code: None, .. }
    ));
    assert_eq!(
        classify(429, r#"{"status":"error","message":"Too Many Requests"}"#),
        SendOutcome::Transient {
            code: Some(429),
            title: "Too Many Requests".into(),
            retry_after_s: Some(3)
        }
    );
    assert!(matches!(classify(503, ""), SendOutcome::Transient { .. }));
    assert_eq!(
        classify(
            401,
            r#"{"status":"error","message":"Authentication Failed"}"#
        ),
        SendOutcome::Permanent {
            code: Some(401),
            title: "Authentication Failed".into()
        }
    );
    assert_eq!(
        classify(200, r#"{"status":"error","message":"Invalid Destination"}"#),
        SendOutcome::Permanent {
            code: Some(200),
            title: "Invalid Destination".into()
        }
    );
}

#[test]
fn templates_are_refused_and_the_window_applies() {
    let caps = provider("gupshup").expect("registered").capabilities();
    let template = OutboundBody::Template {
        name: "t".into(),
        language: "pt_BR".into(),
        components: Vec::new(),
    };
    assert_eq!(caps.lacks_for(&template), Some("templates"));
    assert!(caps.service_window && caps.statuses && caps.reactions);
}
