//! Sending through WPPConnect Server, against request and answer bodies written from its
//! documented routes (`shared/docs/providers.md` §3d; `messageController.ts`,
//! `deviceController.ts`, `sessionController.ts`, `middleware/statusConnection.ts`).

use ponte_core::outbound::{OutboundBody, SendRequest};
use ponte_core::providers::wppconnect::WppConnect;
use ponte_core::providers::{
    Answer, Channel, ConnectionState, ConnectionUpdate, MessageRef, PreparedCall, Provider, Qr,
    ResolvedRefs, SendOutcome,
};
use serde_json::{json, Value};

const TOKEN: &str = "$2b$10$Zk0uQeXamPleT0ken";
const TO: &str = "5511987654321";
const QUOTED: &str = "false_5511987654321@c.us_3EB0C767D26A1D8A8F31";
const OURS: &str = "true_5511987654321@c.us_3EB0A1F2C3D4E5F60718";

fn channel() -> Box<dyn Channel> {
    WppConnect
        .open(
            json!({"base_url": "http://127.0.0.1:21465/", "session": "ponte-loja"}),
            json!({"token": TOKEN}),
        )
        .unwrap()
}

fn body_of(ponte: Value) -> OutboundBody {
    SendRequest::parse(ponte.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("{ponte}: {e}"))
        .body
}

fn ponte(kind: &str, object: Value) -> Value {
    json!({"conversation_id": "con_1", "type": kind, kind: object})
}

fn call(to: &str, ponte_body: Value, refs: &ResolvedRefs) -> (String, Value) {
    let call = channel().prepare_send(to, &body_of(ponte_body), refs);
    assert!(!call.body.contains(TOKEN));
    let body = serde_json::from_str(&call.body).unwrap_or_else(|e| panic!("{}: {e}", call.body));
    (call.endpoint, body)
}

fn message_ref(provider_message_id: &str) -> MessageRef<'_> {
    MessageRef {
        provider_message_id,
        outbound: false,
        text: None,
    }
}

fn answer(status: u16, body: &Value) -> SendOutcome {
    channel().classify_send(
        &text_call(),
        &Answer {
            status,
            retry_after: None,
            body: body.to_string().as_bytes(),
        },
    )
}

/// A text send, as the call whose answer is classified.
fn text_call() -> PreparedCall {
    PreparedCall {
        endpoint: "send-message".into(),
        body: "{}".into(),
    }
}

#[test]
fn every_body_type_goes_to_its_route_with_the_documented_fields_in_order() {
    let link = "https://cdn.example.test/files/catalogo.jpg";
    let recipient = r#""phone":"5511987654321","isGroup":false,"isNewsletter":false,"isLid":false"#;
    let cases = [
        (
            ponte("text", json!({"body": "Olá"})),
            "send-message",
            format!(r#"{{{recipient},"message":"Olá"}}"#),
        ),
        (
            ponte(
                "text",
                json!({"body": "veja https://x.test", "preview_url": true}),
            ),
            "send-message",
            format!(
                r#"{{{recipient},"message":"veja https://x.test","options":{{"linkPreview":true}}}}"#
            ),
        ),
        (
            ponte("image", json!({"link": link, "caption": "Catálogo"})),
            "send-image",
            format!(r#"{{{recipient},"caption":"Catálogo","path":"{link}"}}"#),
        ),
        (
            ponte("video", json!({"link": "https://cdn.example.test/v.mp4"})),
            "send-file",
            format!(
                r#"{{{recipient},"path":"https://cdn.example.test/v.mp4","options":{{"type":"video"}}}}"#
            ),
        ),
        (
            ponte(
                "document",
                json!({"link": "https://cdn.example.test/d/1?sig=2", "caption": "Boleto",
                       "filename": "boleto-junho.pdf"}),
            ),
            "send-file",
            format!(
                r#"{{{recipient},"filename":"boleto-junho.pdf","caption":"Boleto","path":"https://cdn.example.test/d/1?sig=2","options":{{"type":"document"}}}}"#
            ),
        ),
        (
            ponte(
                "document",
                json!({"link": "https://cdn.example.test/docs/nota.pdf?x=1"}),
            ),
            "send-file",
            format!(
                r#"{{{recipient},"filename":"nota.pdf","path":"https://cdn.example.test/docs/nota.pdf?x=1","options":{{"type":"document"}}}}"#
            ),
        ),
        (
            ponte("audio", json!({"link": "https://cdn.example.test/a.ogg"})),
            "send-voice",
            format!(r#"{{{recipient},"path":"https://cdn.example.test/a.ogg"}}"#),
        ),
        (
            ponte(
                "sticker",
                json!({"link": "https://cdn.example.test/s.webp"}),
            ),
            "send-sticker",
            format!(r#"{{{recipient},"path":"https://cdn.example.test/s.webp"}}"#),
        ),
        (
            ponte(
                "location",
                json!({"latitude": -23.5613, "longitude": -46.6565, "name": "Loja Paulista",
                       "address": "Av. Paulista, 1578"}),
            ),
            "send-location",
            format!(
                r#"{{{recipient},"lat":"-23.5613","lng":"-46.6565","title":"Loja Paulista","address":"Av. Paulista, 1578"}}"#
            ),
        ),
        (
            ponte("location", json!({"latitude": 1.5, "longitude": 2})),
            "send-location",
            format!(r#"{{{recipient},"lat":"1.5","lng":"2"}}"#),
        ),
    ];
    for (request, endpoint, expected) in cases {
        let call = channel().prepare_send(TO, &body_of(request.clone()), &ResolvedRefs::default());
        assert_eq!(call.endpoint, endpoint, "{request}");
        assert_eq!(call.body, expected, "{request}");
    }
}

#[test]
fn replies_quote_the_serialized_id_where_the_route_takes_one() {
    let refs = ResolvedRefs {
        reply_to: Some(message_ref(QUOTED)),
        reaction_to: None,
        media_id: None,
    };
    let (_, text) = call(TO, ponte("text", json!({"body": "Sim"})), &refs);
    assert_eq!(text["options"], json!({"quotedMsg": QUOTED}));
    let (_, image) = call(
        TO,
        ponte("image", json!({"link": "https://cdn.example.test/a.jpg"})),
        &refs,
    );
    assert_eq!(image["quotedMessageId"], QUOTED);
    let (_, voice) = call(
        TO,
        ponte("audio", json!({"link": "https://cdn.example.test/a.ogg"})),
        &refs,
    );
    assert_eq!(voice["quotedMessageId"], QUOTED);
    let (_, location) = call(
        TO,
        ponte("location", json!({"latitude": 1, "longitude": 2})),
        &refs,
    );
    assert!(
        !location.to_string().contains(QUOTED),
        "send-location takes no quote"
    );
}

#[test]
fn reactions_name_the_reacted_message_and_an_empty_emoji_removes_it() {
    let refs = ResolvedRefs {
        reply_to: None,
        reaction_to: Some(message_ref(QUOTED)),
        media_id: None,
    };
    let react = |emoji: &str| {
        let request = ponte(
            "reaction",
            json!({"message_id": "msg_01HZX", "emoji": emoji}),
        );
        channel().prepare_send(TO, &body_of(request), &refs)
    };
    let call = react("👍");
    assert_eq!(call.endpoint, "react-message");
    assert_eq!(
        call.body,
        format!(r#"{{"msgId":"{QUOTED}","reaction":"👍"}}"#)
    );
    assert_eq!(
        react("").body,
        format!(r#"{{"msgId":"{QUOTED}","reaction":""}}"#)
    );
}

#[test]
fn groups_linked_ids_and_newsletters_are_flagged() {
    let text = ponte("text", json!({"body": "Oi"}));
    let refs = ResolvedRefs::default();
    let (_, group) = call("120363041234567890@g.us", text.clone(), &refs);
    assert_eq!(
        (
            group["phone"].clone(),
            group["isGroup"].clone(),
            group["isLid"].clone()
        ),
        (json!("120363041234567890"), json!(true), json!(false))
    );
    let (_, lid) = call("207289437843681@lid", text.clone(), &refs);
    assert_eq!(
        (
            lid["phone"].clone(),
            lid["isGroup"].clone(),
            lid["isLid"].clone()
        ),
        (json!("207289437843681"), json!(false), json!(true))
    );
    let (_, channel_post) = call("120363999999999999@newsletter", text, &refs);
    assert_eq!(channel_post["isNewsletter"], json!(true));
}

#[test]
fn a_template_never_reaches_the_gateway_as_anything_but_plain_text() {
    let template = OutboundBody::Template {
        name: "order_update".into(),
        language: "pt_BR".into(),
        components: vec![json!({"type": "body"})],
    };
    assert_eq!(
        WppConnect.capabilities().lacks_for(&template),
        Some("templates")
    );
    let call = channel().prepare_send(TO, &template, &ResolvedRefs::default());
    assert_eq!(call.endpoint, "send-message");
    let body: Value = serde_json::from_str(&call.body).unwrap();
    assert_eq!(body["message"], "order_update");
    assert_eq!(body.as_object().unwrap().len(), 5, "{body}");
}

#[test]
fn the_request_adds_base_url_session_json_and_the_bearer_token() {
    let channel = channel();
    let call = PreparedCall {
        endpoint: "send-message".into(),
        body: r#"{"phone":"5511987654321"}"#.into(),
    };
    let request = channel.request(&call);
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.url,
        "http://127.0.0.1:21465/api/ponte-loja/send-message"
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(request.body, call.body);
    assert!(!request.secret_in_url);
    let printed = format!("{request:?}");
    assert!(!printed.contains(TOKEN), "{printed}");
}

#[test]
fn the_address_prefers_the_registered_number_then_the_phone_then_the_linked_id() {
    let channel = channel();
    let cases: [(&[&str], Option<&str>); 9] = [
        (
            &[
                "phone:+5531988887777",
                "wa:553188887777",
                "lid:207289437843681@lid",
            ],
            Some("553188887777"),
        ),
        (
            &["lid:207289437843681@lid", "phone:+5511987654321"],
            Some("5511987654321"),
        ),
        (&["lid:207289437843681@lid"], Some("207289437843681@lid")),
        (&["lid:207289437843681"], Some("207289437843681@lid")),
        (
            &["group:120363041234567890@g.us"],
            Some("120363041234567890@g.us"),
        ),
        (
            &["group:120363041234567890"],
            Some("120363041234567890@g.us"),
        ),
        (&["group:1203639@newsletter"], Some("1203639@newsletter")),
        (&["group:status@broadcast"], None),
        (&["bsuid:BR.1", "wa:", "phone:"], None),
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
fn a_sent_message_is_accepted_with_its_serialized_id_and_the_number_it_went_to() {
    // send-message: the sent Message objects, `to` the number WhatsApp registered.
    let sent = json!({"status": "success", "mapper": "return", "response": [{
        "id": "true_553188887777@c.us_3EB0A1F2C3D4E5F60718", "body": "Olá", "type": "chat",
        "t": 1717600240, "from": "5511955550000@c.us", "to": "553188887777@c.us",
        "ack": 1, "fromMe": true}]});
    assert_eq!(
        answer(201, &sent),
        SendOutcome::Accepted {
            provider_message_id: "true_553188887777@c.us_3EB0A1F2C3D4E5F60718".into(),
            recipient: Some("553188887777".into()),
        }
    );
    // send-image, send-file, send-voice, send-location: `{ack, id}`; the chat is in the id.
    let file = json!({"status": "success", "mapper": "return",
                      "response": [{"ack": 1, "id": OURS}]});
    assert_eq!(
        answer(201, &file),
        SendOutcome::Accepted {
            provider_message_id: OURS.into(),
            recipient: Some("5511987654321".into()),
        }
    );
    // One object rather than a list, its id an object.
    let object = json!({"status": "success", "response": {"id": {"_serialized": OURS}}});
    assert!(
        matches!(answer(200, &object), SendOutcome::Accepted { provider_message_id, .. }
        if provider_message_id == OURS)
    );
    // A group or a linked id has no number to learn.
    let group = json!({"status": "success",
                       "response": [{"ack": 1, "id": "true_120363041234567890@g.us_3EB0G"}]});
    assert!(matches!(
        answer(201, &group),
        SendOutcome::Accepted {
            recipient: None,
            ..
        }
    ));
    let lid = json!({"status": "success", "response": [{"id": "true_207289437843681@lid_3EB0L",
                                                         "to": "207289437843681@lid"}]});
    assert!(matches!(
        answer(201, &lid),
        SendOutcome::Accepted {
            recipient: None,
            ..
        }
    ));
}

#[test]
fn a_success_without_a_message_id_is_permanent_so_it_is_never_sent_twice() {
    let reaction = json!({"status": "success", "response": {"message": "Reaction sended"}});
    let SendOutcome::Permanent { code, title } = answer(200, &reaction) else {
        panic!("permanent")
    };
    assert_eq!(code, Some(200));
    assert!(
        title.contains("without a message id") && title.contains("Reaction sended"),
        "{title}"
    );
    // A reaction names no message by design: it was taken, and no status will follow.
    let react = PreparedCall {
        endpoint: "react-message".into(),
        body: "{}".into(),
    };
    let taken = channel().classify_send(
        &react,
        &Answer {
            status: 201,
            retry_after: None,
            body: reaction.to_string().as_bytes(),
        },
    );
    assert_eq!(taken, SendOutcome::AcceptedUntracked);
    for body in [
        json!({"status": "success", "response": []}),
        json!({"status": "success", "response": ["5511987654321@c.us"]}),
        json!("Error sending message"),
        json!(null),
    ] {
        assert!(
            matches!(answer(201, &body), SendOutcome::Permanent { .. }),
            "{body}"
        );
    }
    let not_json = channel().classify_send(
        &text_call(),
        &Answer {
            status: 201,
            retry_after: None,
            body: b"<html>",
        },
    );
    assert!(matches!(not_json, SendOutcome::Permanent { .. }));
}

#[test]
fn failures_keep_the_servers_reason_and_split_into_retry_or_not() {
    let error = json!({"status": "Error", "message": "Erro ao enviar a mensagem.",
                       "error": {"message": "Evaluation failed: chat not found"}});
    assert_eq!(
        answer(500, &error),
        SendOutcome::Transient {
            code: Some(500),
            title: "Erro ao enviar a mensagem.: Evaluation failed: chat not found".into(),
            retry_after_s: None,
        }
    );
    let bad_file = json!({"status": "Error", "message": "Erro ao enviar a mensagem.",
                          "error": {"code": "empty_file"}});
    assert_eq!(
        answer(500, &bad_file),
        SendOutcome::Permanent {
            code: Some(500),
            title: "Erro ao enviar a mensagem.: empty_file".into(),
        }
    );
    let no_number = json!({"response": null, "status": "Connected",
                           "message": "O número 5511987654321 não existe."});
    assert_eq!(
        answer(400, &no_number),
        SendOutcome::Permanent {
            code: Some(400),
            title: "O número 5511987654321 não existe.".into(),
        }
    );
    let bad_token = json!({"error": "Check that the Session and Token are correct"});
    assert_eq!(
        answer(401, &bad_token),
        SendOutcome::Permanent {
            code: Some(401),
            title: "Check that the Session and Token are correct".into(),
        }
    );
    let down = json!({"response": null, "status": "Disconnected",
                      "message": "A sessão do WhatsApp não está ativa."});
    assert_eq!(
        answer(404, &down),
        SendOutcome::Transient {
            code: Some(404),
            title: "A sessão do WhatsApp não está ativa.".into(),
            retry_after_s: None,
        }
    );
    let throttled = channel().classify_send(
        &text_call(),
        &Answer {
            status: 429,
            retry_after: Some("12"),
            body: b"Too Many Requests",
        },
    );
    assert!(matches!(
        throttled,
        SendOutcome::Transient {
            code: Some(429),
            retry_after_s: Some(12),
            ..
        }
    ));
    let said_error = json!({"status": "error", "message": "Session not started"});
    assert_eq!(
        answer(200, &said_error),
        SendOutcome::Permanent {
            code: Some(200),
            title: "Session not started".into(),
        }
    );
}

#[test]
fn mark_read_sends_seen_for_the_chat() {
    let channel = channel();
    let call = channel
        .mark_read("5511987654321", &message_ref(QUOTED))
        .expect("WPPConnect has send-seen");
    assert_eq!(call.endpoint, "send-seen");
    assert_eq!(
        call.body,
        r#"{"phone":"5511987654321","isGroup":false,"isNewsletter":false,"isLid":false}"#
    );
    let group = channel
        .mark_read("120363041234567890@g.us", &message_ref(QUOTED))
        .unwrap();
    assert!(group.body.contains(r#""isGroup":true"#));

    let read = |status: u16, body: Value| {
        channel.classify_mark_read(&Answer {
            status,
            retry_after: None,
            body: body.to_string().as_bytes(),
        })
    };
    let done = json!({"status": "Success", "response": {
        "message": "Information retrieved successfully.", "contact": ["5511987654321@c.us"],
        "session": "ponte-loja", "data": [true]}});
    assert_eq!(read(201, done), Ok(()));
    let failed = json!({"status": "Error", "response": {
        "message": "Error retrieving information", "session": "ponte-loja", "log": {}}});
    assert_eq!(
        read(400, failed),
        Err(SendOutcome::Permanent {
            code: Some(400),
            title: "Error retrieving information".into(),
        })
    );
    let down = json!({"response": null, "status": "Disconnected",
                      "message": "A sessão do WhatsApp não está ativa."});
    assert!(matches!(
        read(404, down),
        Err(SendOutcome::Transient { .. })
    ));
}

#[test]
fn connect_starts_the_session_and_reads_its_state() {
    let channel = channel();
    let call = channel
        .connect(WEBHOOK_URL)
        .expect("a session gateway connects");
    assert_eq!(call.endpoint, "start-session");
    assert_eq!(call.body, r#"{"waitQrCode":true}"#);
    assert!(channel
        .request(&call)
        .url
        .ends_with("/api/ponte-loja/start-session"));

    let connect = |status: u16, body: Value| {
        channel.classify_connect(&Answer {
            status,
            retry_after: None,
            body: body.to_string().as_bytes(),
        })
    };
    // A fresh QR code: the server strips the image's data: prefix.
    let fresh = json!({"status": "qrcode", "qrcode": "iVBORw0KGgoAAAANSUhEUg",
                       "urlcode": "2@Wm0vR3kz7Qx1cP8eN4tLb6sY", "session": "ponte-loja"});
    assert_eq!(
        connect(200, fresh),
        Ok(ConnectionUpdate {
            state: ConnectionState::QrRequired,
            qr: Some(Qr {
                code: Some("2@Wm0vR3kz7Qx1cP8eN4tLb6sY".into()),
                image: Some("data:image/png;base64,iVBORw0KGgoAAAANSUhEUg".into()),
            }),
        })
    );
    // The stored state of a session already waiting: the image as a data: URL.
    let waiting = json!({"status": "QRCODE", "qrcode": "data:image/png;base64,iVBORw0K",
                         "urlcode": "2@abc", "version": "2.8.6"});
    let update = connect(200, waiting).unwrap();
    assert_eq!(
        update.qr.and_then(|qr| qr.image).as_deref(),
        Some("data:image/png;base64,iVBORw0K")
    );
    for (status, state) in [
        ("CONNECTED", ConnectionState::Connected),
        ("INITIALIZING", ConnectionState::Connecting),
        ("CLOSED", ConnectionState::Disconnected),
        ("PHONECODE", ConnectionState::QrRequired),
    ] {
        let body = json!({"status": status, "qrcode": null, "urlcode": null});
        assert_eq!(
            connect(200, body),
            Ok(ConnectionUpdate { state, qr: None }),
            "{status}"
        );
    }
    let refused = connect(
        401,
        json!({"error": "Check that the Session and Token are correct"}),
    );
    assert_eq!(
        refused,
        Err(SendOutcome::Permanent {
            code: Some(401),
            title: "Check that the Session and Token are correct".into(),
        })
    );
    let broken = connect(
        500,
        json!({"status": "error", "message": "The session is not active"}),
    );
    assert!(matches!(broken, Err(SendOutcome::Transient { .. })));
}

#[test]
fn config_and_secrets_errors_name_the_field() {
    let secrets = json!({"token": TOKEN});
    let config = json!({"base_url": "http://127.0.0.1:21465", "session": "ponte-loja"});
    let error =
        |config: Value, secrets: Value| WppConnect.open(config, secrets).err().expect("refused");
    let e = error(json!({"base_url": "http://x.test"}), secrets.clone());
    assert_eq!(e.field, "config");
    assert!(e.reason.contains("session"), "{}", e.reason);
    let e = error(
        json!({"base_url": "http://x.test", "session": "s", "instance": "i"}),
        secrets.clone(),
    );
    assert_eq!(e.field, "config");
    assert!(e.reason.contains("instance"), "{}", e.reason);
    let e = error(
        json!({"base_url": "x.test", "session": "s"}),
        secrets.clone(),
    );
    assert_eq!(e.field, "config.base_url");
    let e = error(
        json!({"base_url": "http://x.test", "session": "a b"}),
        secrets.clone(),
    );
    assert_eq!(e.field, "config.session");
    let e = error(json!("http://x.test"), secrets.clone());
    assert_eq!(e.field, "config");
    let e = error(config.clone(), json!({"token": ""}));
    assert_eq!(e.field, "secrets.token");
    let e = error(config.clone(), json!({}));
    assert_eq!(e.field, "secrets");
    let e = error(config.clone(), json!({"token": TOKEN, "apikey": "x"}));
    assert_eq!(e.field, "secrets");
    let e = error(config, json!(null));
    assert_eq!(e.field, "secrets");
}

#[test]
fn config_and_secrets_round_trip_and_the_token_stays_out_of_sight() {
    let channel = channel();
    assert_eq!(
        channel.config(),
        json!({"base_url": "http://127.0.0.1:21465", "session": "ponte-loja",
               "include_groups": false})
    );
    assert_eq!(channel.secrets(), json!({"token": TOKEN}));
    assert!(!channel.config().to_string().contains(TOKEN));
    let reopened = WppConnect
        .open(channel.config(), channel.secrets())
        .unwrap();
    assert_eq!(reopened.config(), channel.config());
    assert_eq!(reopened.secrets(), channel.secrets());
    assert_eq!(reopened.provider().name(), "wppconnect");

    let with_groups = WppConnect
        .open(
            json!({"base_url": "https://wpp.example.test", "session": "s",
                   "include_groups": true}),
            json!({"token": TOKEN}),
        )
        .unwrap();
    assert!(with_groups.includes_groups());
    assert_eq!(with_groups.config()["include_groups"], json!(true));

    let secrets: ponte_core::providers::wppconnect::WppConnectSecrets =
        serde_json::from_value(json!({"token": TOKEN})).unwrap();
    assert!(!format!("{secrets:?}").contains(TOKEN));
    for body in [
        ponte("text", json!({"body": "Oi"})),
        ponte("image", json!({"link": "https://cdn.example.test/a.jpg"})),
        ponte("reaction", json!({"message_id": "msg_1", "emoji": "👍"})),
    ] {
        let call = channel.prepare_send(TO, &body_of(body), &ResolvedRefs::default());
        assert!(!format!("{call:?}").contains(TOKEN));
    }
    let connect = channel.connect(WEBHOOK_URL).unwrap();
    assert!(!connect.body.contains(TOKEN));
}
const WEBHOOK_URL: &str = "https://ponte.example.com/webhooks/x/tok";
