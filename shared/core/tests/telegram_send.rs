//! Sending through the Bot API: the documented method bodies, the full request with the bot
//! token, Telegram's answers classified, `setWebhook` and the `getFile` download plan.

use ponte_core::model::Media;
use ponte_core::outbound::OutboundBody;
use ponte_core::providers::{
    provider, Answer, Channel, ConnectionState, MediaFetch, MessageRef, ResolvedRefs, SendOutcome,
};
use serde_json::{json, Value};

const TOKEN: &str = "123456:ABC-DEF1234ghIkl";
const BASE: &str = "http://127.0.0.1:8793";

fn channel() -> Box<dyn Channel> {
    provider("telegram")
        .unwrap()
        .open(
            json!({"base_url": format!("{BASE}/")}),
            json!({"bot_token": TOKEN, "webhook_secret": "wh-secret"}),
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

fn message(id: &str) -> MessageRef<'_> {
    MessageRef {
        provider_message_id: id,
        outbound: false,
        text: None,
    }
}

fn send(body: OutboundBody, refs: &ResolvedRefs) -> (String, Value) {
    let call = channel().prepare_send("111", &body, refs);
    (call.endpoint, serde_json::from_str(&call.body).unwrap())
}

fn classify(status: u16, body: &str) -> SendOutcome {
    let channel = channel();
    let call = channel.prepare_send(
        "111",
        &OutboundBody::Text {
            body: "oi".into(),
            preview_url: false,
        },
        &ResolvedRefs::default(),
    );
    channel.classify_send(
        &call,
        &Answer {
            status,
            retry_after: None,
            body: body.as_bytes(),
        },
    )
}

#[test]
fn contacts_are_reached_by_their_user_id_or_their_groups_chat_id() {
    let channel = channel();
    assert_eq!(channel.address(&["tg:111"]).as_deref(), Some("111"));
    assert_eq!(
        channel.address(&["group:tg:-100123"]).as_deref(),
        Some("-100123")
    );
    assert_eq!(channel.address(&["phone:+5511987654321"]), None);
    assert_eq!(channel.address(&["group:1203@g.us"]), None);
}

#[test]
fn a_text_is_send_message_replying_with_reply_parameters() {
    let refs = ResolvedRefs {
        reply_to: Some(message("111:42")),
        ..ResolvedRefs::default()
    };
    let text = OutboundBody::Text {
        body: "Saiu para entrega!".into(),
        preview_url: false,
    };
    let (method, body) = send(text, &refs);
    assert_eq!(method, "sendMessage");
    assert_eq!(
        body,
        json!({"chat_id": 111, "text": "Saiu para entrega!",
               "link_preview_options": {"is_disabled": true},
               "reply_parameters": {"message_id": 42, "allow_sending_without_reply": true}})
    );
    let request = channel().request(&channel().prepare_send(
        "111",
        &OutboundBody::Text {
            body: "x".into(),
            preview_url: true,
        },
        &ResolvedRefs::default(),
    ));
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, format!("{BASE}/bot{TOKEN}/sendMessage"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert!(request.secret_in_url);
    assert!(!format!("{request:?}").contains(TOKEN));
}

#[test]
fn media_go_by_url_to_their_method_and_ogg_audio_is_a_voice_note() {
    let none = ResolvedRefs::default();
    let link = "https://cdn.example.com/a".to_string();
    let cases = [
        (
            OutboundBody::Image {
                link: format!("{link}.jpg"),
                caption: Some("cat".into()),
            },
            "sendPhoto",
            json!({"chat_id": 111, "photo": "https://cdn.example.com/a.jpg", "caption": "cat"}),
        ),
        (
            OutboundBody::Video {
                link: format!("{link}.mp4"),
                caption: None,
            },
            "sendVideo",
            json!({"chat_id": 111, "video": "https://cdn.example.com/a.mp4"}),
        ),
        (
            OutboundBody::Document {
                link: format!("{link}.pdf"),
                caption: Some("nota".into()),
                filename: Some("nota.pdf".into()),
            },
            "sendDocument",
            json!({"chat_id": 111, "document": "https://cdn.example.com/a.pdf", "caption": "nota"}),
        ),
        (
            OutboundBody::Audio {
                link: format!("{link}.mp3"),
            },
            "sendAudio",
            json!({"chat_id": 111, "audio": "https://cdn.example.com/a.mp3"}),
        ),
        (
            OutboundBody::Audio {
                link: format!("{link}.OGG?sig=1"),
            },
            "sendVoice",
            json!({"chat_id": 111, "voice": "https://cdn.example.com/a.OGG?sig=1"}),
        ),
        (
            OutboundBody::Location {
                latitude: -23.5,
                longitude: -46.6,
                name: None,
                address: None,
            },
            "sendLocation",
            json!({"chat_id": 111, "latitude": -23.5, "longitude": -46.6}),
        ),
    ];
    for (body, method, expected) in cases {
        assert_eq!(send(body, &none), (method.to_string(), expected));
    }
}

#[test]
fn reactions_name_the_message_in_its_chat_and_an_empty_emoji_removes_them() {
    let refs = ResolvedRefs {
        reaction_to: Some(message("-100123:7")),
        ..ResolvedRefs::default()
    };
    let react = |emoji: &str| OutboundBody::Reaction {
        message_id: "msg_x".into(),
        emoji: emoji.into(),
    };
    let (method, body) = send(react("👍"), &refs);
    assert_eq!(method, "setMessageReaction");
    assert_eq!(
        body,
        json!({"chat_id": -100123, "message_id": 7, "reaction": [{"type": "emoji", "emoji": "👍"}]})
    );
    assert_eq!(send(react(""), &refs).1["reaction"], json!([]));
    assert_eq!(
        classify(200, r#"{"ok":true,"result":true}"#),
        SendOutcome::AcceptedUntracked
    );
}

#[test]
fn answers_are_the_chat_scoped_id_or_telegrams_description() {
    assert_eq!(
        classify(
            200,
            r#"{"ok":true,"result":{"message_id":77,"chat":{"id":111,"type":"private"},"date":1,"text":"oi"}}"#
        ),
        SendOutcome::Accepted {
            provider_message_id: "111:77".into(),
            recipient: None
        }
    );
    assert_eq!(
        classify(
            429,
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#
        ),
        SendOutcome::Transient {
            code: Some(429),
            title: "Too Many Requests: retry after 7".into(),
            retry_after_s: Some(7)
        }
    );
    assert_eq!(
        classify(
            403,
            r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#
        ),
        SendOutcome::Permanent {
            code: Some(403),
            title: "Forbidden: bot was blocked by the user".into()
        }
    );
    assert!(matches!(
        classify(502, "<html>bad gateway</html>"),
        SendOutcome::Transient { .. }
    ));
    assert!(matches!(
        classify(200, r#"{"ok":true,"result":{}}"#),
        SendOutcome::Permanent { .. }
    ));
}

#[test]
fn connect_sets_the_webhook_with_the_channels_secret() {
    let channel = channel();
    let call = channel
        .connect("https://ponte.example.com/webhooks/telegram/tok")
        .expect("setWebhook");
    assert!(
        !call.body.contains("wh-secret"),
        "the stored call holds no credential"
    );
    let request = channel.request(&call);
    assert_eq!(request.url, format!("{BASE}/bot{TOKEN}/setWebhook"));
    let body: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        body["url"],
        "https://ponte.example.com/webhooks/telegram/tok"
    );
    assert_eq!(body["secret_token"], "wh-secret");
    let logged = format!("{request:?}");
    assert!(
        !logged.contains("wh-secret") && !logged.contains(TOKEN),
        "logs never show the bot token or the webhook secret: {logged}"
    );
    assert!(body["allowed_updates"]
        .as_array()
        .unwrap()
        .contains(&json!("callback_query")));
    let answer = |status, body: &'static str| Answer {
        status,
        retry_after: None,
        body: body.as_bytes(),
    };
    let set = channel.classify_connect(&answer(
        200,
        r#"{"ok":true,"result":true,"description":"Webhook was set"}"#,
    ));
    assert_eq!(set.map(|u| u.state), Ok(ConnectionState::Connected));
    let refused = channel.classify_connect(&answer(
        401,
        r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
    ));
    assert!(
        matches!(refused, Err(SendOutcome::Permanent { title, .. }) if title == "Unauthorized")
    );
}

#[test]
fn media_are_downloaded_through_get_file_under_the_bots_file_path() {
    let media = |id: &str| Media {
        id: Some(id.into()),
        ..Media::default()
    };
    let Some(plan @ MediaFetch::Resolve { .. }) = channel().media_fetch(&media("AgAC-x_1")) else {
        panic!("a Resolve plan")
    };
    let MediaFetch::Resolve {
        lookup,
        url_field,
        relative_to,
        download_headers,
    } = &plan
    else {
        unreachable!()
    };
    assert_eq!(
        lookup.url,
        format!("{BASE}/bot{TOKEN}/getFile?file_id=AgAC-x_1")
    );
    assert!(lookup.secret_in_url);
    assert!(!format!("{plan:?}").contains(TOKEN));
    let answer = json!({"ok": true, "result": {"file_id": "AgAC-x_1", "file_unique_id": "u",
        "file_size": 10, "file_path": "photos/file_0.jpg"}});
    let download =
        MediaFetch::located(&answer, url_field, relative_to.as_deref(), download_headers)
            .expect("a download");
    assert_eq!(
        download.url,
        format!("{BASE}/file/bot{TOKEN}/photos/file_0.jpg")
    );
    assert!(download.secret_in_url);
    for escaping in [
        "../bot1/getMe",
        "/etc/passwd",
        "a?b",
        "https://evil.test/x",
        "",
    ] {
        let answer = json!({"ok": true, "result": {"file_path": escaping}});
        assert_eq!(
            MediaFetch::located(&answer, url_field, relative_to.as_deref(), &[]),
            None,
            "{escaping:?}"
        );
    }
    for bad in ["", "a/b", "a?x=1", "../x", "a%2F"] {
        assert!(channel().media_fetch(&media(bad)).is_none(), "{bad:?}");
    }
}
