//! Sending through Twilio's Messages API: the documented form, basic auth, the status callback,
//! the address on each kind of channel, Twilio's answers classified, media downloads.

use ponte_core::model::Media;
use ponte_core::outbound::OutboundBody;
use ponte_core::providers::twilio::{params, Twilio};
use ponte_core::providers::{Answer, Channel, MediaFetch, Provider, ResolvedRefs, SendOutcome};
use serde_json::json;

const SID: &str = "ACf3a1b2c3d4e5f60718293a4b5c6d7e8f";
const TOKEN: &str = "9f86d081884c7d659a2feaa0c55ad015";
const BASE: &str = "http://127.0.0.1:8795";
const HOOK: &str = "https://ponte.example.com/webhooks/twilio/twl_tok3n";

fn channel(from: &str) -> Box<dyn Channel> {
    Twilio
        .open(
            json!({"base_url": format!("{BASE}/"), "account_sid": SID, "from": from}),
            json!({"auth_token": TOKEN}),
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

fn form(channel: &dyn Channel, to: &str, body: OutboundBody) -> Vec<(String, String)> {
    let call = channel.prepare_send_reporting_to(to, &body, &ResolvedRefs::default(), HOOK);
    assert_eq!(call.endpoint, "Messages.json");
    params(call.body.as_bytes())
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn classify(status: u16, retry_after: Option<&str>, body: &str) -> SendOutcome {
    let channel = channel("+14155550100");
    let call = channel.prepare_send(
        "+1",
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
            retry_after,
            body: body.as_bytes(),
        },
    )
}

#[test]
fn the_channel_is_addressed_by_sms_or_by_whatsapp() {
    let ids = ["phone:+5511987654321", "wa:551187654321"];
    assert_eq!(
        channel("+14155550100").address(&ids).as_deref(),
        Some("+5511987654321")
    );
    // WhatsApp's own id first: it reaches an older Brazilian number.
    assert_eq!(
        channel("whatsapp:+14155550199").address(&ids).as_deref(),
        Some("whatsapp:+551187654321")
    );
    assert_eq!(
        channel("whatsapp:+14155550199")
            .address(&["phone:+14155550111"])
            .as_deref(),
        Some("whatsapp:+14155550111")
    );
    assert_eq!(channel("+14155550100").address(&["lid:123@lid"]), None);
}

#[test]
fn a_text_is_a_form_with_the_status_callback() {
    let c = channel("whatsapp:+14155550199");
    let body = OutboundBody::Text {
        body: "Saiu para entrega & chega já".into(),
        preview_url: true,
    };
    assert_eq!(
        form(c.as_ref(), "whatsapp:+5511987654321", body),
        pairs(&[
            ("To", "whatsapp:+5511987654321"),
            ("From", "whatsapp:+14155550199"),
            ("Body", "Saiu para entrega & chega já"),
            ("StatusCallback", HOOK),
        ])
    );
}

#[test]
fn files_go_by_media_url_with_their_caption() {
    let c = channel("+14155550100");
    let image = OutboundBody::Image {
        link: "https://files.example/a.jpg?sig=1&x=2".into(),
        caption: Some("nota".into()),
    };
    assert_eq!(
        form(c.as_ref(), "+5511987654321", image),
        pairs(&[
            ("To", "+5511987654321"),
            ("From", "+14155550100"),
            ("Body", "nota"),
            ("MediaUrl", "https://files.example/a.jpg?sig=1&x=2"),
            ("StatusCallback", HOOK),
        ])
    );
    let audio = OutboundBody::Audio {
        link: "https://files.example/v.ogg".into(),
    };
    let sent = form(c.as_ref(), "+5511987654321", audio);
    assert!(!sent.iter().any(|(k, _)| k == "Body"), "{sent:?}");
    // Without a webhook URL there is no callback to name.
    let plain = c.prepare_send(
        "+1",
        &OutboundBody::Text {
            body: "x".into(),
            preview_url: false,
        },
        &ResolvedRefs::default(),
    );
    assert!(!plain.body.contains("StatusCallback"));
}

#[test]
fn the_request_posts_the_form_with_basic_auth() {
    let c = channel("+14155550100");
    let call = c.prepare_send(
        "+15005550006",
        &OutboundBody::Text {
            body: "oi".into(),
            preview_url: false,
        },
        &ResolvedRefs::default(),
    );
    let request = c.request(&call);
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.url,
        format!("{BASE}/2010-04-01/Accounts/{SID}/Messages.json")
    );
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Basic {expected}").as_str())
    );
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.body, call.body);
    assert!(!format!("{request:?}").contains(&expected));
}

#[test]
fn an_accepted_send_is_known_by_its_sid() {
    let body = json!({"sid": "SM7f1a", "status": "queued", "to": "+15005550006"}).to_string();
    assert_eq!(
        classify(201, None, &body),
        SendOutcome::Accepted {
            provider_message_id: "SM7f1a".into(),
            recipient: None
        }
    );
    assert!(matches!(
        classify(201, None, "{}"),
        SendOutcome::Permanent { code: None, .. }
    ));
}

#[test]
fn refusals_are_permanent_with_twilios_code_and_reason() {
    for (code, message) in [
        (21211, "The 'To' number +1555 is not a valid phone number."),
        (21610, "Attempt to send to unsubscribed recipient"),
        (
            63016,
            "Failed to send freeform message because you are outside the allowed window.",
        ),
        (20003, "Authenticate"),
    ] {
        let body = json!({"code": code, "message": message, "more_info": "https://www.twilio.com/docs/errors/x", "status": 400}).to_string();
        assert_eq!(
            classify(400, None, &body),
            SendOutcome::Permanent {
                code: Some(code),
                title: message.into()
            },
            "{code}"
        );
    }
    // No reason in the answer: the code's meaning stands in.
    assert_eq!(
        classify(400, None, r#"{"code":21610}"#),
        SendOutcome::Permanent {
            code: Some(21610),
            title: "the recipient has unsubscribed (replied STOP)".into()
        }
    );
    assert_eq!(
        classify(404, None, "not json"),
        SendOutcome::Permanent {
            code: Some(404),
            title: "Twilio refused the message (HTTP 404)".into()
        }
    );
}

#[test]
fn throttling_and_twilios_own_trouble_are_retried() {
    let throttled =
        json!({"code": 20429, "message": "Too Many Requests", "status": 429}).to_string();
    assert_eq!(
        classify(429, Some("3"), &throttled),
        SendOutcome::Transient {
            code: Some(20429),
            title: "Too Many Requests".into(),
            retry_after_s: Some(3)
        }
    );
    assert!(matches!(
        classify(503, None, ""),
        SendOutcome::Transient {
            code: Some(503),
            ..
        }
    ));
    assert!(matches!(
        classify(
            500,
            None,
            r#"{"code":20500,"message":"Internal Server Error"}"#
        ),
        SendOutcome::Transient {
            code: Some(20500),
            ..
        }
    ));
    // A full queue is temporary whatever the HTTP status says.
    assert!(matches!(
        classify(400, None, r#"{"code":30001,"message":"Queue overflow"}"#),
        SendOutcome::Transient { .. }
    ));
}

#[test]
fn media_is_downloaded_with_basic_auth_only_from_twilio() {
    let c = channel("whatsapp:+14155550199");
    let fetch = |url: &str| {
        let media = Media {
            url: Some(url.into()),
            ..Media::default()
        };
        match c.media_fetch(&media) {
            Some(MediaFetch::Direct(request)) => request,
            other => panic!("{other:?}"),
        }
    };
    for url in [
        format!("https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1"),
        format!("{BASE}/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1"),
    ] {
        let request = fetch(&url);
        assert_eq!(request.method, "GET");
        assert!(
            request
                .header("authorization")
                .unwrap()
                .starts_with("Basic "),
            "{url}"
        );
    }
    // The same machine on another port, another scheme, or Twilio's name in the userinfo is
    // another server.
    let base_port: u16 = BASE.rsplit(':').next().unwrap().parse().unwrap();
    for url in [
        "https://elsewhere.example/f.jpg".to_string(),
        format!("http://127.0.0.1:{}/f.jpg", base_port + 1),
        "http://api.twilio.com/2010-04-01/x".to_string(),
        "https://api.twilio.com@evil.example/x".to_string(),
        "https://api.twilio.com:8443/x".to_string(),
    ] {
        assert_eq!(fetch(&url).header("authorization"), None, "{url}");
    }
    assert!(fetch("https://API.twilio.com:443/x")
        .header("authorization")
        .is_some());
    assert!(c
        .media_fetch(&Media {
            url: Some("www.contoso.com".into()),
            ..Media::default()
        })
        .is_none());
}

#[test]
fn what_twilio_cannot_send_is_named_up_front() {
    let caps = Twilio.capabilities();
    let template = OutboundBody::Template {
        name: "t".into(),
        language: "en".into(),
        components: vec![],
    };
    assert_eq!(caps.lacks_for(&template), Some("templates"));
    let reaction = OutboundBody::Reaction {
        message_id: "m".into(),
        emoji: "👍".into(),
    };
    assert_eq!(caps.lacks_for(&reaction), Some("reactions"));
    let image = OutboundBody::Image {
        link: "https://x/a.jpg".into(),
        caption: None,
    };
    assert_eq!(caps.lacks_for(&image), None);
}
