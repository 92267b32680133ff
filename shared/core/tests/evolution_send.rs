//! Sending through Evolution API v2, through the seam, against request and answer bodies written
//! from Evolution's documented formats (`shared/docs/providers.md` §3b) and its source's DTOs.

use ponte_core::outbound::{OutboundBody, SendRequest};
use ponte_core::providers::evolution::{Evolution, EvolutionSecrets};
use ponte_core::providers::{
    self, Answer, Capabilities, Channel, ConnectionState, ConnectionUpdate, MessageRef,
    PreparedCall, Provider, Qr, ResolvedRefs, SendOutcome,
};
use serde_json::{json, Value};

const BASE_URL: &str = "https://evo.example.com.br";
const INSTANCE: &str = "loja-centro";
const API_KEY: &str = "B6D711FCDE4D4FD5936544120E713976";
const TO: &str = "5511987654321";
const LINK: &str = "https://cdn.example.test/files/a.jpg";

fn channel() -> Box<dyn Channel> {
    Evolution
        .open(
            json!({"base_url": format!("{BASE_URL}/"), "instance": INSTANCE}),
            json!({"api_key": API_KEY}),
        )
        .unwrap()
}

/// The Evolution call for one Ponte request body (`{"conversation_id":…,"type":…,…}`).
fn call_for(ponte: Value, to: &str, refs: &ResolvedRefs) -> PreparedCall {
    let request =
        SendRequest::parse(ponte.to_string().as_bytes()).unwrap_or_else(|e| panic!("{ponte}: {e}"));
    channel().prepare_send(to, &request.body, refs)
}

fn ponte(kind: &str, object: Value) -> Value {
    json!({"conversation_id": "con_1", "type": kind, kind: object})
}

fn message<'a>(
    provider_message_id: &'a str,
    outbound: bool,
    text: Option<&'a str>,
) -> MessageRef<'a> {
    MessageRef {
        provider_message_id,
        outbound,
        text,
    }
}

fn answer(status: u16, body: &str) -> Answer<'_> {
    Answer {
        status,
        retry_after: None,
        body: body.as_bytes(),
    }
}

/// A text send, as the call whose answer is classified.
fn text_call() -> PreparedCall {
    PreparedCall {
        endpoint: "message/sendText".into(),
        body: "{}".into(),
    }
}

#[test]
fn every_body_type_becomes_evolutions_documented_json() {
    let cases = [
        (
            ponte("text", json!({"body": "Olá"})),
            "message/sendText",
            r#"{"number":"5511987654321","text":"Olá","linkPreview":false}"#,
        ),
        (
            ponte(
                "text",
                json!({"body": "veja https://x.test", "preview_url": true}),
            ),
            "message/sendText",
            r#"{"number":"5511987654321","text":"veja https://x.test","linkPreview":true}"#,
        ),
        (
            ponte("image", json!({"link": LINK, "caption": "gato"})),
            "message/sendMedia",
            r#"{"number":"5511987654321","mediatype":"image","media":"https://cdn.example.test/files/a.jpg","caption":"gato"}"#,
        ),
        (
            ponte("image", json!({"link": LINK})),
            "message/sendMedia",
            r#"{"number":"5511987654321","mediatype":"image","media":"https://cdn.example.test/files/a.jpg"}"#,
        ),
        (
            ponte(
                "video",
                json!({"link": "https://cdn.example.test/v.mp4", "caption": "clipe"}),
            ),
            "message/sendMedia",
            r#"{"number":"5511987654321","mediatype":"video","media":"https://cdn.example.test/v.mp4","caption":"clipe"}"#,
        ),
        (
            ponte("audio", json!({"link": "https://cdn.example.test/a.ogg"})),
            "message/sendMedia",
            r#"{"number":"5511987654321","mediatype":"audio","media":"https://cdn.example.test/a.ogg"}"#,
        ),
        (
            ponte(
                "sticker",
                json!({"link": "https://cdn.example.test/s.webp"}),
            ),
            "message/sendSticker",
            r#"{"number":"5511987654321","sticker":"https://cdn.example.test/s.webp"}"#,
        ),
        (
            ponte(
                "document",
                json!({"link": "https://cdn.example.test/x?id=9", "caption": "nota", "filename": "nf-123.pdf"}),
            ),
            "message/sendMedia",
            r#"{"number":"5511987654321","mediatype":"document","media":"https://cdn.example.test/x?id=9","caption":"nota","fileName":"nf-123.pdf"}"#,
        ),
        (
            ponte(
                "document",
                json!({"link": "https://cdn.example.test/nf/tabela.xlsx?sig=1"}),
            ),
            "message/sendMedia",
            r#"{"number":"5511987654321","mediatype":"document","media":"https://cdn.example.test/nf/tabela.xlsx?sig=1","fileName":"tabela.xlsx"}"#,
        ),
        (
            ponte(
                "location",
                json!({"latitude": -23.561414, "longitude": -46.655881, "name": "MASP", "address": "Av. Paulista, 1578"}),
            ),
            "message/sendLocation",
            r#"{"number":"5511987654321","latitude":-23.561414,"longitude":-46.655881,"name":"MASP","address":"Av. Paulista, 1578"}"#,
        ),
        (
            ponte("location", json!({"latitude": 0, "longitude": 180})),
            "message/sendLocation",
            r#"{"number":"5511987654321","latitude":0.0,"longitude":180.0,"name":"","address":""}"#,
        ),
    ];
    for (input, endpoint, body) in cases {
        let call = call_for(input.clone(), TO, &ResolvedRefs::default());
        assert_eq!(call.endpoint, endpoint, "{input}");
        assert_eq!(call.body, body, "{input}");
    }
}

#[test]
fn replies_quote_the_message_with_its_text() {
    let refs = ResolvedRefs {
        reply_to: Some(message(
            "3EB0C0BD05DCA97A7C09CB",
            false,
            Some("Quero saber do pedido"),
        )),
        reaction_to: None,
        media_id: None,
    };
    let call = call_for(ponte("text", json!({"body": "Saiu hoje"})), TO, &refs);
    assert_eq!(
        call.body,
        r#"{"number":"5511987654321","text":"Saiu hoje","linkPreview":false,"quoted":{"key":{"id":"3EB0C0BD05DCA97A7C09CB","remoteJid":"5511987654321@s.whatsapp.net","fromMe":false},"message":{"conversation":"Quero saber do pedido"}}}"#
    );
    // Our own message whose text is unknown (media): quoted with an empty conversation.
    let refs = ResolvedRefs {
        reply_to: Some(message("BAE594145F4C59B4", true, None)),
        reaction_to: None,
        media_id: None,
    };
    let call = call_for(
        ponte("image", json!({"link": LINK})),
        "208115126378602@lid",
        &refs,
    );
    assert_eq!(
        call.body,
        r#"{"number":"208115126378602@lid","mediatype":"image","media":"https://cdn.example.test/files/a.jpg","quoted":{"key":{"id":"BAE594145F4C59B4","remoteJid":"208115126378602@lid","fromMe":true},"message":{"conversation":""}}}"#
    );
}

#[test]
fn reactions_address_the_message_by_chat_sender_and_id() {
    let refs = |outbound| ResolvedRefs {
        reply_to: None,
        reaction_to: Some(message("BAE594145F4C59B4", outbound, None)),
        media_id: None,
    };
    let reaction = |emoji: &str| {
        ponte(
            "reaction",
            json!({"message_id": "msg_ours", "emoji": emoji}),
        )
    };
    let call = call_for(reaction("👍"), TO, &refs(true));
    assert_eq!(call.endpoint, "message/sendReaction");
    assert_eq!(
        call.body,
        r#"{"key":{"remoteJid":"5511987654321@s.whatsapp.net","fromMe":true,"id":"BAE594145F4C59B4"},"reaction":"👍"}"#
    );
    let removal = call_for(reaction(""), "208115126378602@lid", &refs(false));
    assert_eq!(
        removal.body,
        r#"{"key":{"remoteJid":"208115126378602@lid","fromMe":false,"id":"BAE594145F4C59B4"},"reaction":""}"#
    );
    let group = call_for(reaction("🎉"), "120363041234567890@g.us", &refs(false));
    assert!(
        group
            .body
            .contains(r#""remoteJid":"120363041234567890@g.us""#),
        "{}",
        group.body
    );
    // Unresolved: an empty id, which Evolution refuses rather than reacting to something else.
    let unresolved = call_for(reaction("👍"), TO, &ResolvedRefs::default());
    assert!(
        unresolved.body.contains(r#""fromMe":false,"id":"""#),
        "{}",
        unresolved.body
    );
}

#[test]
fn a_template_that_slips_through_goes_out_as_its_name_in_text() {
    let body = OutboundBody::Template {
        name: "order_update".into(),
        language: "pt_BR".into(),
        components: vec![json!({"type": "body"})],
    };
    let call = channel().prepare_send(TO, &body, &ResolvedRefs::default());
    assert_eq!(call.endpoint, "message/sendText");
    assert_eq!(
        call.body,
        r#"{"number":"5511987654321","text":"order_update","linkPreview":false}"#
    );
    assert_eq!(Evolution.capabilities().lacks_for(&body), Some("templates"));
}

#[test]
fn requests_add_base_url_instance_and_the_apikey_header() {
    let channel = channel();
    let call = call_for(
        ponte("text", json!({"body": "oi"})),
        TO,
        &ResolvedRefs::default(),
    );
    let request = channel.request(&call);
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.url,
        "https://evo.example.com.br/message/sendText/loja-centro"
    );
    assert_eq!(request.header("apikey"), Some(API_KEY));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.body, call.body);
    assert!(!request.secret_in_url);
    assert!(!format!("{request:?}").contains(API_KEY));

    let spaced = Evolution
        .open(
            json!({"base_url": "http://127.0.0.1:8080", "instance": "loja centro"}),
            json!({"api_key": API_KEY}),
        )
        .unwrap();
    assert_eq!(
        spaced.request(&call).url,
        "http://127.0.0.1:8080/message/sendText/loja%20centro"
    );
}

#[test]
fn no_prepared_call_carries_the_key() {
    let channel = channel();
    let refs = ResolvedRefs {
        reply_to: Some(message("A1", false, Some("oi"))),
        reaction_to: Some(message("A2", true, None)),
        media_id: None,
    };
    let bodies = [
        ponte("text", json!({"body": "oi"})),
        ponte("image", json!({"link": LINK, "caption": "c"})),
        ponte("document", json!({"link": LINK, "filename": "f.pdf"})),
        ponte("location", json!({"latitude": 1, "longitude": 2})),
        ponte("reaction", json!({"message_id": "msg_1", "emoji": "👍"})),
    ];
    let mut calls: Vec<PreparedCall> = bodies.into_iter().map(|b| call_for(b, TO, &refs)).collect();
    calls.extend(channel.mark_read(TO, &message("A1", false, None)));
    calls.extend(channel.connect(WEBHOOK_URL));
    for call in calls {
        assert!(!call.body.contains(API_KEY), "{call:?}");
        assert!(!format!("{call:?}").contains(API_KEY));
    }
}

#[test]
fn the_address_prefers_whatsapps_digits_then_phone_lid_and_group() {
    let channel = channel();
    let cases: [(&[&str], Option<&str>); 6] = [
        (
            &[
                "phone:+5531998765432",
                "wa:553198765432",
                "lid:208115126378602@lid",
            ],
            Some("553198765432"),
        ),
        (&["phone:+5511987654321"], Some("5511987654321")),
        (
            &["lid:208115126378602@lid", "phone:+5511987654321"],
            Some("5511987654321"),
        ),
        (&["lid:208115126378602@lid"], Some("208115126378602@lid")),
        (
            &["group:120363041234567890@g.us"],
            Some("120363041234567890@g.us"),
        ),
        (&["bsuid:BR.1", "wa:"], None),
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
fn an_answer_with_the_stored_message_is_accepted() {
    let channel = channel();
    let documented = r#"{"key":{"remoteJid":"553198296801@s.whatsapp.net","fromMe":true,"id":"BAE594145F4C59B4"},"message":{"extendedTextMessage":{"text":"Olá!"}},"messageTimestamp":"1717689097","status":"PENDING"}"#;
    assert_eq!(
        channel.classify_send(&text_call(), &answer(201, documented)),
        SendOutcome::Accepted {
            provider_message_id: "BAE594145F4C59B4".into(),
            recipient: Some("553198296801".into()),
        }
    );
    let to_lid = r#"{"key":{"remoteJid":"208115126378602@lid","fromMe":true,"id":"3EB0AA00BB11CC22"},"status":"PENDING"}"#;
    assert_eq!(
        channel.classify_send(&text_call(), &answer(201, to_lid)),
        SendOutcome::Accepted {
            provider_message_id: "3EB0AA00BB11CC22".into(),
            recipient: None,
        }
    );
}

#[test]
fn a_success_without_an_id_is_not_retried() {
    let channel = channel();
    for body in [r#"{"status":"PENDING"}"#, r#"{"key":{"id":""}}"#, "OK", ""] {
        let outcome = channel.classify_send(&text_call(), &answer(201, body));
        let SendOutcome::Permanent { title, .. } = outcome else {
            panic!("{body}: {outcome:?}")
        };
        assert!(title.contains("without a message id"), "{title}");
    }
}

#[test]
fn refusals_are_permanent_with_evolutions_reason() {
    let channel = channel();
    let cases = [
        (
            400,
            r#"{"status":400,"error":"Bad Request","response":{"message":[{"jid":"5511900000000@s.whatsapp.net","exists":false,"number":"5511900000000"}]}}"#,
            "5511900000000 is not on WhatsApp",
        ),
        (
            400,
            r#"{"status":400,"error":"Bad Request","response":{"message":[["instance requires property \"text\""]]}}"#,
            "instance requires property \"text\"",
        ),
        (
            401,
            r#"{"status":401,"error":"Unauthorized","response":{"message":"Unauthorized"}}"#,
            "Unauthorized",
        ),
        (
            404,
            r#"{"status":404,"error":"Not Found","response":{"message":["The \"loja-centro\" instance does not exist"]}}"#,
            "The \"loja-centro\" instance does not exist",
        ),
        (403, "", "Evolution refused the message (HTTP 403)"),
    ];
    for (status, body, title) in cases {
        assert_eq!(
            channel.classify_send(&text_call(), &answer(status, body)),
            SendOutcome::Permanent {
                code: Some(i64::from(status)),
                title: title.into()
            },
            "{body}"
        );
    }
}

#[test]
fn rate_limits_and_outages_are_transient() {
    let channel = channel();
    let limited = Answer {
        status: 429,
        retry_after: Some("5"),
        body: b"",
    };
    assert_eq!(
        channel.classify_send(&text_call(), &limited),
        SendOutcome::Transient {
            code: Some(429),
            title: "Evolution refused the message (HTTP 429)".into(),
            retry_after_s: Some(5)
        }
    );
    assert_eq!(
        channel.classify_send(&text_call(), &answer(
            500,
            r#"{"status":500,"error":"Internal Server Error","response":{"message":"Connection Closed"}}"#
        )),
        SendOutcome::Transient {
            code: Some(500),
            title: "Connection Closed".into(),
            retry_after_s: None
        }
    );
    assert!(matches!(
        channel.classify_send(&text_call(), &answer(502, "<html>Bad Gateway</html>")),
        SendOutcome::Transient {
            code: Some(502),
            ..
        }
    ));
}

#[test]
fn mark_read_names_the_last_inbound_message_in_its_chat() {
    let channel = channel();
    let call = channel
        .mark_read(
            "553198765432",
            &message("3EB0C0BD05DCA97A7C09CB", false, None),
        )
        .unwrap();
    assert_eq!(call.endpoint, "chat/markMessageAsRead");
    assert_eq!(
        call.body,
        r#"{"readMessages":[{"remoteJid":"553198765432@s.whatsapp.net","fromMe":false,"id":"3EB0C0BD05DCA97A7C09CB"}]}"#
    );
    let request = channel.request(&call);
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.url,
        "https://evo.example.com.br/chat/markMessageAsRead/loja-centro"
    );
    assert_eq!(request.header("apikey"), Some(API_KEY));

    assert_eq!(
        channel.classify_mark_read(&answer(
            201,
            r#"{"message":"Read messages","read":"success"}"#
        )),
        Ok(())
    );
    assert_eq!(
        channel.classify_mark_read(&answer(
            500,
            r#"{"status":500,"error":"Internal Server Error","response":{"message":["Read messages fail"]}}"#
        )),
        Err(SendOutcome::Transient {
            code: Some(500),
            title: "Read messages fail".into(),
            retry_after_s: None
        })
    );
    assert!(matches!(
        channel.classify_mark_read(&answer(401, "")),
        Err(SendOutcome::Permanent {
            code: Some(401),
            ..
        })
    ));
}

#[test]
fn connect_asks_for_a_qr_code_with_a_get() {
    let channel = channel();
    let call = channel.connect(WEBHOOK_URL).unwrap();
    assert_eq!(call.endpoint, "instance/connect");
    let request = channel.request(&call);
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.url,
        "https://evo.example.com.br/instance/connect/loja-centro"
    );
    assert_eq!(request.header("apikey"), Some(API_KEY));
    assert_eq!(request.header("content-type"), None);
    assert_eq!(request.body, "");
}

#[test]
fn connect_answers_become_the_sessions_state() {
    let channel = channel();
    let qr = r#"{"pairingCode":null,"code":"2@y8lfKp1r0vQ2Zc6Qe3mX9w==,8m3TtQyV0rW5kJ1s2d3f4g5h6j7k8l9z0x1c2v3b4n=","base64":"data:image/png;base64,iVBORw0KGgo=","count":1}"#;
    assert_eq!(
        channel.classify_connect(&answer(200, qr)),
        Ok(ConnectionUpdate {
            state: ConnectionState::QrRequired,
            qr: Some(Qr {
                code: Some(
                    "2@y8lfKp1r0vQ2Zc6Qe3mX9w==,8m3TtQyV0rW5kJ1s2d3f4g5h6j7k8l9z0x1c2v3b4n=".into()
                ),
                image: Some("data:image/png;base64,iVBORw0KGgo=".into()),
            }),
        })
    );
    let plain = |state| Ok(ConnectionUpdate { state, qr: None });
    assert_eq!(
        channel.classify_connect(&answer(
            200,
            r#"{"instance":{"instanceName":"loja-centro","state":"open"}}"#
        )),
        plain(ConnectionState::Connected)
    );
    // Asked again before the QR code was drawn.
    assert_eq!(
        channel.classify_connect(&answer(200, r#"{"count":0}"#)),
        plain(ConnectionState::Connecting)
    );
    assert_eq!(
        channel.classify_connect(&answer(
            200,
            r#"{"instance":{"instanceName":"loja-centro","status":"refused"},"qrcode":{"count":3}}"#
        )),
        plain(ConnectionState::Disconnected)
    );
    assert_eq!(
        channel.classify_connect(&answer(
            200,
            r#"{"error":true,"message":"Error: Connection Failure"}"#
        )),
        Err(SendOutcome::Permanent {
            code: Some(200),
            title: "Error: Connection Failure".into()
        })
    );
    assert!(matches!(
        channel.classify_connect(&answer(401, r#"{"status":401,"error":"Unauthorized","response":{"message":"Unauthorized"}}"#)),
        Err(SendOutcome::Permanent { code: Some(401), title }) if title == "Unauthorized"
    ));
    assert!(matches!(
        channel.classify_connect(&answer(503, "")),
        Err(SendOutcome::Transient {
            code: Some(503),
            ..
        })
    ));
}

#[test]
fn opening_names_the_wrong_field() {
    let secrets = json!({"api_key": API_KEY});
    let err = |config: Value, secrets: Value| Evolution.open(config, secrets).err().unwrap();

    let missing = err(json!({"base_url": BASE_URL}), secrets.clone());
    assert_eq!(missing.field, "config");
    assert!(missing.reason.contains("instance"), "{}", missing.reason);
    let unknown = err(
        json!({"base_url": BASE_URL, "instance": INSTANCE, "token": "x"}),
        secrets.clone(),
    );
    assert_eq!(unknown.field, "config");
    assert!(unknown.reason.contains("token"), "{}", unknown.reason);
    let groups = err(
        json!({"base_url": BASE_URL, "instance": INSTANCE, "include_groups": "yes"}),
        secrets.clone(),
    );
    assert_eq!(groups.field, "config");
    assert_eq!(
        err(
            json!({"base_url": "evo.example.com.br", "instance": INSTANCE}),
            secrets.clone()
        )
        .field,
        "config.base_url"
    );
    assert_eq!(
        err(
            json!({"base_url": BASE_URL, "instance": " "}),
            secrets.clone()
        )
        .field,
        "config.instance"
    );
    assert_eq!(err(json!("x"), secrets).field, "config");

    let config = json!({"base_url": BASE_URL, "instance": INSTANCE});
    assert_eq!(err(config.clone(), json!({})).field, "secrets");
    assert_eq!(
        err(config.clone(), json!({"api_key": ""})).field,
        "secrets.api_key"
    );
    let extra = err(config.clone(), json!({"api_key": "k", "global": "g"}));
    assert_eq!(extra.field, "secrets");
    assert_eq!(err(config, json!(null)).field, "secrets");
}

#[test]
fn config_and_secrets_round_trip_through_open() {
    let channel = channel();
    assert_eq!(
        channel.config(),
        json!({"base_url": BASE_URL, "instance": INSTANCE, "include_groups": false})
    );
    assert!(!channel.includes_groups());
    let reopened = Evolution.open(channel.config(), channel.secrets()).unwrap();
    assert_eq!(reopened.config(), channel.config());
    assert_eq!(reopened.secrets(), json!({"api_key": API_KEY}));

    let grouped = Evolution
        .open(
            json!({"base_url": BASE_URL, "instance": INSTANCE, "include_groups": true}),
            json!({"api_key": API_KEY}),
        )
        .unwrap();
    assert!(grouped.includes_groups());
    assert_eq!(grouped.config()["include_groups"], json!(true));
}

#[test]
fn secrets_never_print() {
    let secrets: EvolutionSecrets = serde_json::from_value(json!({"api_key": API_KEY})).unwrap();
    assert!(!format!("{secrets:?}").contains(API_KEY));
}

#[test]
fn the_provider_is_registered_with_its_capabilities() {
    let provider = providers::provider("evolution").unwrap();
    assert_eq!(provider.name(), "evolution");
    assert!(provider.webhook_headers().is_empty());
    assert_eq!(
        provider.capabilities(),
        Capabilities {
            statuses: true,
            service_window: false,
            templates: false,
            reactions: true,
            read_receipts: true,
            media_by_link: true,
            location: true,
            session: true,
        }
    );
    assert_eq!(channel().provider().name(), "evolution");
}
const WEBHOOK_URL: &str = "https://ponte.example.com/webhooks/x/tok";
