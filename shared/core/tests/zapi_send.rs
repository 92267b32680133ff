//! Sending through Z-API: the documented request bodies and endpoints, the full request with the
//! channel's tokens, and Z-API's answers classified.

use ponte_core::outbound::OutboundBody;
use ponte_core::providers::zapi::{ZApi, ZApiSecrets};
use ponte_core::providers::{
    provider, Answer, Channel, ConnectionState, MessageRef, PreparedCall, Provider, Qr,
    ResolvedRefs, SendOutcome,
};
use serde_json::{json, Value};

const INSTANCE_ID: &str = "3C67AB641C8AA0412F6A2242B4E23AC7";
const INSTANCE_TOKEN: &str = "F0E1D2C3B4A5968778695A4B";
const CLIENT_TOKEN: &str = "Fe8d7c6b5a4f3e2d1c0b";
const TO: &str = "5511987654321";

fn secrets() -> Value {
    json!({"instance_token": INSTANCE_TOKEN, "client_token": CLIENT_TOKEN})
}

fn channel_at(base_url: Option<&str>) -> Box<dyn Channel> {
    let mut config = json!({"instance_id": INSTANCE_ID});
    if let Some(url) = base_url {
        config["base_url"] = json!(url);
    }
    ZApi.open(config, secrets())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn channel() -> Box<dyn Channel> {
    channel_at(Some("http://127.0.0.1:8790/"))
}

fn message(id: &str, outbound: bool) -> MessageRef<'_> {
    MessageRef {
        provider_message_id: id,
        outbound,
        text: None,
    }
}

fn send(body: OutboundBody, refs: &ResolvedRefs) -> (String, Value) {
    let call = channel().prepare_send(TO, &body, refs);
    let json = serde_json::from_str(&call.body).unwrap();
    (call.endpoint, json)
}

fn answer(status: u16, body: &str) -> SendOutcome {
    channel().classify_send(
        &text_call(),
        &Answer {
            status,
            retry_after: Some("30"),
            body: body.as_bytes(),
        },
    )
}

/// A text send, as the call whose answer is classified.
fn text_call() -> PreparedCall {
    PreparedCall {
        endpoint: "send-text".into(),
        body: "{}".into(),
    }
}

#[test]
fn every_body_type_becomes_z_apis_documented_call() {
    let none = ResolvedRefs::default();
    let text = channel().prepare_send(
        TO,
        &OutboundBody::Text {
            body: "Olá! 🙂".into(),
            preview_url: true,
        },
        &none,
    );
    // Field order as documented, exactly.
    assert_eq!(
        text,
        PreparedCall {
            endpoint: "send-text".into(),
            body: r#"{"phone":"5511987654321","message":"Olá! 🙂"}"#.into()
        }
    );
    let cases = [
        (
            OutboundBody::Image {
                link: "https://cdn.example.com/p.jpg".into(),
                caption: Some("Foto".into()),
            },
            "send-image",
            json!({"phone": TO, "image": "https://cdn.example.com/p.jpg", "caption": "Foto"}),
        ),
        (
            OutboundBody::Image {
                link: "https://cdn.example.com/p.jpg".into(),
                caption: None,
            },
            "send-image",
            json!({"phone": TO, "image": "https://cdn.example.com/p.jpg"}),
        ),
        (
            OutboundBody::Audio {
                link: "https://cdn.example.com/a.ogg".into(),
            },
            "send-audio",
            json!({"phone": TO, "audio": "https://cdn.example.com/a.ogg"}),
        ),
        (
            OutboundBody::Sticker {
                link: "https://cdn.example.com/s.webp".into(),
            },
            "send-sticker",
            json!({"phone": TO, "sticker": "https://cdn.example.com/s.webp"}),
        ),
        (
            OutboundBody::Video {
                link: "https://cdn.example.com/v.mp4".into(),
                caption: Some("unboxing".into()),
            },
            "send-video",
            json!({"phone": TO, "video": "https://cdn.example.com/v.mp4", "caption": "unboxing"}),
        ),
        (
            OutboundBody::Document {
                link: "https://cdn.example.com/files/nf-123".into(),
                caption: Some("Sua nota".into()),
                filename: Some("nf-123.PDF".into()),
            },
            "send-document/pdf",
            json!({"phone": TO, "document": "https://cdn.example.com/files/nf-123", "fileName": "nf-123.PDF", "caption": "Sua nota"}),
        ),
        (
            OutboundBody::Document {
                link: "https://cdn.example.com/planilha.xlsx?sig=abc".into(),
                caption: None,
                filename: None,
            },
            "send-document/xlsx",
            json!({"phone": TO, "document": "https://cdn.example.com/planilha.xlsx?sig=abc"}),
        ),
        (
            OutboundBody::Document {
                link: "https://cdn.example.com/download".into(),
                caption: None,
                filename: Some("contrato".into()),
            },
            "send-document/pdf",
            json!({"phone": TO, "document": "https://cdn.example.com/download", "fileName": "contrato"}),
        ),
        (
            OutboundBody::Location {
                latitude: -23.561414,
                longitude: -46.655881,
                name: Some("MASP".into()),
                address: Some("Av. Paulista, 1578".into()),
            },
            "send-location",
            json!({"phone": TO, "title": "MASP", "address": "Av. Paulista, 1578", "latitude": "-23.561414", "longitude": "-46.655881"}),
        ),
        (
            OutboundBody::Location {
                latitude: 0.5,
                longitude: 10.0,
                name: None,
                address: None,
            },
            "send-location",
            json!({"phone": TO, "title": "", "address": "", "latitude": "0.5", "longitude": "10"}),
        ),
    ];
    for (body, endpoint, expected) in cases {
        assert_eq!(
            send(body.clone(), &none),
            (endpoint.to_string(), expected),
            "{body:?}"
        );
    }
    // Field order of the documented location body, with coordinates as strings.
    let location = channel().prepare_send(
        TO,
        &OutboundBody::Location {
            latitude: -23.5,
            longitude: -46.6,
            name: Some("MASP".into()),
            address: Some("Paulista".into()),
        },
        &none,
    );
    assert_eq!(
        location.body,
        r#"{"phone":"5511987654321","title":"MASP","address":"Paulista","latitude":"-23.5","longitude":"-46.6"}"#
    );
}

#[test]
fn a_reply_quotes_the_resolved_message_id_in_every_type_that_takes_one() {
    let refs = ResolvedRefs {
        reply_to: Some(message("3EB0QUOTED0000000001", false)),
        reaction_to: None,
        media_id: None,
    };
    let text = channel().prepare_send(
        TO,
        &OutboundBody::Text {
            body: "Claro!".into(),
            preview_url: false,
        },
        &refs,
    );
    assert_eq!(
        text.body,
        r#"{"phone":"5511987654321","message":"Claro!","messageId":"3EB0QUOTED0000000001"}"#
    );
    let bodies = [
        OutboundBody::Image {
            link: "https://x.test/i.png".into(),
            caption: None,
        },
        OutboundBody::Audio {
            link: "https://x.test/a.mp3".into(),
        },
        OutboundBody::Video {
            link: "https://x.test/v.mp4".into(),
            caption: None,
        },
        OutboundBody::Document {
            link: "https://x.test/d.pdf".into(),
            caption: None,
            filename: None,
        },
        OutboundBody::Location {
            latitude: 1.0,
            longitude: 2.0,
            name: None,
            address: None,
        },
    ];
    for body in bodies {
        let (_, json) = send(body.clone(), &refs);
        assert_eq!(json["messageId"], "3EB0QUOTED0000000001", "{body:?}");
    }
}

#[test]
fn reactions_name_the_reacted_message_and_an_empty_emoji_removes_one() {
    let refs = ResolvedRefs {
        reply_to: None,
        reaction_to: Some(message("3EB0REACTED000000001", true)),
        media_id: None,
    };
    let react = |emoji: &str| {
        send(
            OutboundBody::Reaction {
                message_id: "msg_01J0000000000000000000000".into(),
                emoji: emoji.into(),
            },
            &refs,
        )
    };
    assert_eq!(
        react("👍"),
        (
            "send-reaction".into(),
            json!({"phone": TO, "reaction": "👍", "messageId": "3EB0REACTED000000001"})
        )
    );
    assert_eq!(
        react(""),
        (
            "send-remove-reaction".into(),
            json!({"phone": TO, "messageId": "3EB0REACTED000000001"})
        )
    );
}

#[test]
fn a_template_that_slips_past_the_capability_check_goes_out_as_its_name_only() {
    let capabilities = ZApi.capabilities();
    let template = OutboundBody::Template {
        name: "order_update".into(),
        language: "pt_BR".into(),
        components: vec![json!({"type": "body", "parameters": [{"type": "text", "text": "123"}]})],
    };
    assert_eq!(capabilities.lacks_for(&template), Some("templates"));
    assert_eq!(
        send(template, &ResolvedRefs::default()),
        (
            "send-text".into(),
            json!({"phone": TO, "message": "order_update"})
        )
    );
}

#[test]
fn capabilities_are_a_linked_phones() {
    let caps = provider("zapi").unwrap().capabilities();
    assert!(caps.statuses && caps.reactions && caps.read_receipts);
    assert!(caps.media_by_link && caps.location && caps.session);
    assert!(!caps.service_window && !caps.templates);
}

#[test]
fn requests_carry_the_instance_token_in_the_path_and_the_client_token_in_a_header() {
    let channel = channel();
    let call = channel.prepare_send(
        TO,
        &OutboundBody::Text {
            body: "oi".into(),
            preview_url: false,
        },
        &ResolvedRefs::default(),
    );
    let request = channel.request(&call);
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.url,
        format!("http://127.0.0.1:8790/instances/{INSTANCE_ID}/token/{INSTANCE_TOKEN}/send-text")
    );
    assert_eq!(request.header("client-token"), Some(CLIENT_TOKEN));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.body, call.body);
    assert!(request.secret_in_url);
    let printed = format!("{request:?}");
    assert!(!printed.contains(INSTANCE_TOKEN), "{printed}");
    assert!(!printed.contains(CLIENT_TOKEN), "{printed}");

    let document = channel.prepare_send(
        TO,
        &OutboundBody::Document {
            link: "https://x.test/a.docx".into(),
            caption: None,
            filename: None,
        },
        &ResolvedRefs::default(),
    );
    assert!(channel
        .request(&document)
        .url
        .ends_with("/send-document/docx"));

    let hosted = channel_at(None).request(&call);
    assert_eq!(
        hosted.url,
        format!("https://api.z-api.io/instances/{INSTANCE_ID}/token/{INSTANCE_TOKEN}/send-text")
    );
}

#[test]
fn the_address_prefers_whatsapps_digits_then_the_phone_then_the_linked_id_then_the_group() {
    let channel = channel();
    let cases: [(&[&str], Option<&str>); 7] = [
        (
            &["phone:+5531988887777", "wa:553188887777", "lid:9988@lid"],
            Some("553188887777"),
        ),
        (
            &["lid:9988@lid", "phone:+5511987654321"],
            Some("5511987654321"),
        ),
        (&["lid:81896604192873@lid"], Some("81896604192873@lid")),
        (
            &["group:120363019502650977-group"],
            Some("120363019502650977-group"),
        ),
        (
            &["group:120363019502650977@g.us"],
            Some("120363019502650977-group"),
        ),
        (&["bsuid:BR.1"], None),
        (&[], None),
    ];
    for (identities, expected) in cases {
        assert_eq!(
            channel.address(identities).as_deref(),
            expected,
            "{identities:?}"
        );
    }
}

#[test]
fn an_answer_with_a_message_id_is_accepted_under_whatsapps_id() {
    assert_eq!(
        answer(
            200,
            r#"{"zaapId":"3999984263738042930CD6ECDE9VDWSA","messageId":"D241A1B2732339502B68","id":"D241A1B2732339502B68"}"#
        ),
        SendOutcome::Accepted {
            provider_message_id: "D241A1B2732339502B68".into(),
            recipient: None
        }
    );
    assert_eq!(
        answer(201, r#"{"zaapId":"Z","id":"D241ONLYID"}"#),
        SendOutcome::Accepted {
            provider_message_id: "D241ONLYID".into(),
            recipient: None
        }
    );
}

#[test]
fn a_success_without_a_message_id_is_not_retried() {
    assert_eq!(
        answer(200, r#"{"zaapId":"3999984263738042930CD6ECDE9VDWSA"}"#),
        SendOutcome::Permanent {
            code: None,
            title: "Z-API answered without a message id; not retried to avoid a duplicate".into()
        }
    );
    assert_eq!(
        answer(200, r#"{"error":"You are not connected."}"#),
        SendOutcome::Permanent {
            code: None,
            title: "You are not connected.".into()
        }
    );
    assert!(matches!(
        answer(200, "<html>ok</html>"),
        SendOutcome::Permanent { code: None, .. }
    ));
}

#[test]
fn rate_limits_and_outages_are_transient() {
    assert_eq!(
        answer(429, r#"{"error":"Too many requests"}"#),
        SendOutcome::Transient {
            code: Some(429),
            title: "Too many requests".into(),
            retry_after_s: Some(30)
        }
    );
    assert_eq!(
        answer(503, "<html>Service Unavailable</html>"),
        SendOutcome::Transient {
            code: Some(503),
            title: "Z-API refused the message (HTTP 503)".into(),
            retry_after_s: Some(30)
        }
    );
}

#[test]
fn refusals_are_permanent_with_z_apis_reason() {
    assert_eq!(
        answer(400, r#"{"error":"null not allowed"}"#),
        SendOutcome::Permanent {
            code: Some(400),
            title: "null not allowed".into()
        }
    );
    assert_eq!(
        answer(
            404,
            r#"{"error":"NOT_FOUND","message":"Unable to find matching target resource method"}"#
        ),
        SendOutcome::Permanent {
            code: Some(404),
            title: "Unable to find matching target resource method".into()
        }
    );
}

#[test]
fn mark_read_posts_the_chat_and_message_and_a_204_is_success() {
    let channel = channel();
    let call = channel
        .mark_read(TO, &message("3EB0796DC6B777C0C7CD", false))
        .expect("Z-API has read receipts");
    assert_eq!(
        call,
        PreparedCall {
            endpoint: "read-message".into(),
            body: r#"{"phone":"5511987654321","messageId":"3EB0796DC6B777C0C7CD"}"#.into()
        }
    );
    let request = channel.request(&call);
    assert_eq!(request.method, "POST");
    assert!(request.url.ends_with("/read-message"));
    let read = |status: u16, body: &str| {
        channel.classify_mark_read(&Answer {
            status,
            retry_after: None,
            body: body.as_bytes(),
        })
    };
    assert_eq!(read(204, ""), Ok(()));
    assert_eq!(read(200, "{}"), Ok(()));
    assert!(matches!(read(500, ""), Err(SendOutcome::Transient { .. })));
    assert_eq!(
        read(400, r#"{"error":"Invalid phone"}"#),
        Err(SendOutcome::Permanent {
            code: Some(400),
            title: "Invalid phone".into()
        })
    );
}

#[test]
fn connect_gets_the_qr_code_image_and_reads_the_session_state() {
    let channel = channel();
    let call = channel
        .connect(WEBHOOK_URL)
        .expect("Z-API sessions reconnect by QR");
    assert_eq!(call.endpoint, "qr-code/image");
    assert_eq!(call.body, "");
    let request = channel.request(&call);
    assert_eq!(request.method, "GET");
    assert!(request.url.ends_with(&format!(
        "/instances/{INSTANCE_ID}/token/{INSTANCE_TOKEN}/qr-code/image"
    )));
    assert_eq!(request.header("client-token"), Some(CLIENT_TOKEN));
    assert_eq!(request.header("content-type"), None);

    let connect = |status: u16, body: &str| {
        channel.classify_connect(&Answer {
            status,
            retry_after: None,
            body: body.as_bytes(),
        })
    };
    let qr = connect(
        200,
        r#"{"value":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="}"#,
    )
    .unwrap();
    assert_eq!(qr.state, ConnectionState::QrRequired);
    assert_eq!(
        qr.qr,
        Some(Qr {
            code: None,
            image: Some("data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==".into())
        })
    );
    let linked = connect(200, r#"{"connected":true}"#).unwrap();
    assert_eq!(
        (linked.state, linked.qr),
        (ConnectionState::Connected, None)
    );
    let unclear = connect(200, r#"{"value":"not an image"}"#).unwrap();
    assert_eq!(unclear.state, ConnectionState::Connecting);
    assert_eq!(
        connect(401, r#"{"error":"null not allowed"}"#),
        Err(SendOutcome::Permanent {
            code: Some(401),
            title: "null not allowed".into()
        })
    );
}

#[test]
fn config_and_secrets_round_trip_with_the_default_base_url_filled_in() {
    let channel = channel_at(None);
    assert_eq!(
        channel.config(),
        json!({"base_url": "https://api.z-api.io", "instance_id": INSTANCE_ID, "include_groups": false})
    );
    assert_eq!(channel.secrets(), secrets());
    let reopened = ZApi.open(channel.config(), channel.secrets()).unwrap();
    assert_eq!(reopened.config(), channel.config());
    assert_eq!(reopened.secrets(), channel.secrets());

    let local = ZApi
        .open(
            json!({"base_url": "http://127.0.0.1:8790/", "instance_id": INSTANCE_ID, "include_groups": true}),
            secrets(),
        )
        .unwrap();
    assert_eq!(local.config()["base_url"], "http://127.0.0.1:8790");
    assert_eq!(local.config()["include_groups"], true);
    assert!(local.includes_groups());
}

#[test]
fn config_and_secret_errors_name_the_field() {
    let field = |config: Value, secrets: Value| {
        ZApi.open(config, secrets)
            .err()
            .map(|e| (e.field, e.reason))
            .expect("refused")
    };
    let config = json!({"instance_id": INSTANCE_ID});
    let (name, reason) = field(json!({}), secrets());
    assert_eq!(name, "config");
    assert!(reason.contains("instance_id"), "{reason}");
    let (name, reason) = field(json!({"instance_id": "I", "token": "t"}), secrets());
    assert_eq!(name, "config");
    assert!(reason.contains("token"), "{reason}");
    assert_eq!(field(json!("I"), secrets()).0, "config");
    assert_eq!(
        field(json!({"instance_id": " "}), secrets()).0,
        "config.instance_id"
    );
    assert_eq!(
        field(
            json!({"instance_id": "I", "base_url": "api.z-api.io"}),
            secrets()
        )
        .0,
        "config.base_url"
    );
    assert_eq!(
        field(
            json!({"instance_id": "I", "include_groups": "yes"}),
            secrets()
        )
        .0,
        "config"
    );
    assert_eq!(
        field(
            config.clone(),
            json!({"instance_token": "", "client_token": "c"})
        )
        .0,
        "secrets.instance_token"
    );
    assert_eq!(
        field(
            config.clone(),
            json!({"instance_token": "t", "client_token": ""})
        )
        .0,
        "secrets.client_token"
    );
    let (name, reason) = field(config.clone(), json!({"instance_token": "t"}));
    assert_eq!(name, "secrets");
    assert!(reason.contains("client_token"), "{reason}");
    assert_eq!(field(config, json!(null)).0, "secrets");
}

#[test]
fn secrets_never_show_in_debug_output_or_in_a_prepared_call() {
    let secrets = ZApiSecrets {
        instance_token: INSTANCE_TOKEN.into(),
        client_token: CLIENT_TOKEN.into(),
    };
    assert_eq!(format!("{secrets:?}"), "ZApiSecrets { .. }");
    let channel = channel();
    let refs = ResolvedRefs {
        reply_to: Some(message("3EB0Q", false)),
        reaction_to: Some(message("3EB0R", true)),
        media_id: None,
    };
    let bodies = [
        OutboundBody::Text {
            body: "oi".into(),
            preview_url: false,
        },
        OutboundBody::Reaction {
            message_id: "msg_1".into(),
            emoji: "".into(),
        },
        OutboundBody::Document {
            link: "https://x.test/f.pdf".into(),
            caption: None,
            filename: None,
        },
    ];
    let calls = bodies
        .iter()
        .map(|body| channel.prepare_send(TO, body, &refs))
        .chain(channel.mark_read(TO, &message("3EB0M", false)))
        .chain(channel.connect(WEBHOOK_URL));
    for call in calls {
        let stored = serde_json::to_string(&call).unwrap();
        for secret in [INSTANCE_TOKEN, CLIENT_TOKEN] {
            assert!(!stored.contains(secret), "{stored}");
        }
    }
}
const WEBHOOK_URL: &str = "https://ponte.example.com/webhooks/x/tok";
