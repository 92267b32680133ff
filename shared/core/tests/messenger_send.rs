//! Sending through the Send API: the documented bodies, the full request with the page access
//! token, sender actions (reactions, mark seen), and Graph's answers classified.

use ponte_core::outbound::OutboundBody;
use ponte_core::providers::{
    provider, Answer, Channel, MessageRef, PreparedCall, ResolvedRefs, SendOutcome,
};
use serde_json::{json, Value};

const TOKEN: &str = "EAAPage-token";
const BASE: &str = "http://127.0.0.1:8794";
const PAGE: &str = "1122334455";
const PSID: &str = "6543210987654321";

fn channel() -> Box<dyn Channel> {
    provider("messenger")
        .unwrap()
        .open(
            json!({"graph_base_url": format!("{BASE}/"), "page_id": PAGE}),
            json!({"page_access_token": TOKEN, "app_secret": "s", "verify_token": "v"}),
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

fn body_of(call: &PreparedCall) -> Value {
    serde_json::from_str(&call.body).unwrap()
}

fn send(body: OutboundBody, refs: &ResolvedRefs) -> Value {
    body_of(&channel().prepare_send(PSID, &body, refs))
}

fn text(body: &str) -> OutboundBody {
    OutboundBody::Text {
        body: body.into(),
        preview_url: false,
    }
}

fn classify(status: u16, body: &str) -> SendOutcome {
    let channel = channel();
    let call = channel.prepare_send(PSID, &text("oi"), &ResolvedRefs::default());
    channel.classify_send(
        &call,
        &Answer {
            status,
            retry_after: None,
            body: body.as_bytes(),
        },
    )
}

fn graph_error(code: i64, subcode: Option<i64>, message: &str) -> String {
    json!({"error": {"message": message, "type": "OAuthException", "code": code,
        "error_subcode": subcode, "fbtrace_id": "AbCdEf"}})
    .to_string()
}

#[test]
fn contacts_are_reached_by_their_psid_or_igsid_and_never_by_a_phone() {
    let channel = channel();
    assert_eq!(
        channel.address(&[&format!("psid:{PSID}")]).as_deref(),
        Some(PSID)
    );
    assert_eq!(channel.address(&["igsid:1987"]).as_deref(), Some("1987"));
    assert_eq!(
        channel.address(&["phone:+5511987654321", "wa:5511987654321"]),
        None
    );
}

#[test]
fn a_text_goes_to_the_pages_messages_edge_with_the_token_in_the_authorization_header() {
    let channel = channel();
    let call = channel.prepare_send(PSID, &text("Olá!"), &ResolvedRefs::default());
    assert_eq!(
        body_of(&call),
        json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "Olá!"}})
    );
    assert!(!call.body.contains(TOKEN), "a stored call holds no token");
    let request = channel.request(&call);
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, format!("{BASE}/{PAGE}/messages"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert!(!format!("{request:?}").contains(TOKEN));
}

#[test]
fn the_default_graph_is_meta_v23() {
    let channel = provider("messenger")
        .unwrap()
        .open(
            json!({"page_id": PAGE}),
            json!({"page_access_token": TOKEN, "app_secret": "s", "verify_token": "v"}),
        )
        .unwrap();
    let call = channel.prepare_send(PSID, &text("x"), &ResolvedRefs::default());
    assert_eq!(
        channel.request(&call).url,
        format!("https://graph.facebook.com/v23.0/{PAGE}/messages")
    );
}

#[test]
fn media_goes_as_a_reusable_attachment_by_url() {
    let link = "https://cdn.example.com/p/4521.jpg".to_string();
    let cases = [
        (
            OutboundBody::Image {
                link: link.clone(),
                caption: Some("ignored".into()),
            },
            "image",
        ),
        (OutboundBody::Audio { link: link.clone() }, "audio"),
        (
            OutboundBody::Video {
                link: link.clone(),
                caption: None,
            },
            "video",
        ),
        (
            OutboundBody::Document {
                link: link.clone(),
                caption: None,
                filename: Some("nota.pdf".into()),
            },
            "file",
        ),
        (OutboundBody::Sticker { link: link.clone() }, "image"),
    ];
    for (body, kind) in cases {
        assert_eq!(
            send(body, &ResolvedRefs::default()),
            json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE",
                "message": {"attachment": {"type": kind, "payload": {"url": link, "is_reusable": true}}}}),
            "{kind}"
        );
    }
}

#[test]
fn a_reply_names_the_quoted_mid() {
    let refs = ResolvedRefs {
        reply_to: Some(message("m_quoted")),
        ..ResolvedRefs::default()
    };
    assert_eq!(
        send(text("Respondendo"), &refs),
        json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE",
            "message": {"text": "Respondendo"}, "reply_to": {"mid": "m_quoted"}})
    );
}

#[test]
fn a_reaction_is_the_react_sender_action_and_an_empty_emoji_unreacts() {
    let refs = ResolvedRefs {
        reaction_to: Some(message("m_theirs")),
        ..ResolvedRefs::default()
    };
    let react = |emoji: &str| OutboundBody::Reaction {
        message_id: "msg_1".into(),
        emoji: emoji.into(),
    };
    assert_eq!(
        send(react("👍"), &refs),
        json!({"recipient": {"id": PSID}, "sender_action": "react",
            "payload": {"message_id": "m_theirs", "reaction": "👍"}})
    );
    assert_eq!(
        send(react(""), &refs),
        json!({"recipient": {"id": PSID}, "sender_action": "unreact",
            "payload": {"message_id": "m_theirs"}})
    );
}

#[test]
fn marking_read_is_the_mark_seen_sender_action() {
    let channel = channel();
    let call = channel
        .mark_read(PSID, &message("m_last"))
        .expect("read receipts");
    assert_eq!(
        body_of(&call),
        json!({"recipient": {"id": PSID}, "sender_action": "mark_seen"})
    );
    let answered = format!(r#"{{"recipient_id":"{PSID}"}}"#);
    let ok = Answer {
        status: 200,
        retry_after: None,
        body: answered.as_bytes(),
    };
    assert_eq!(channel.classify_mark_read(&ok), Ok(()));
}

#[test]
fn locations_and_templates_are_capabilities_messenger_lacks() {
    let caps = provider("messenger").unwrap().capabilities();
    assert!(caps.statuses && caps.service_window && caps.reactions && caps.read_receipts);
    assert!(!caps.templates && !caps.location && !caps.session);
    let location = OutboundBody::Location {
        latitude: 1.0,
        longitude: 2.0,
        name: None,
        address: None,
    };
    assert_eq!(caps.lacks_for(&location), Some("location"));
}

#[test]
fn an_answer_with_a_message_id_is_accepted_and_a_sender_actions_is_untracked() {
    assert_eq!(
        classify(
            200,
            &format!(r#"{{"recipient_id":"{PSID}","message_id":"m_AbC"}}"#)
        ),
        SendOutcome::Accepted {
            provider_message_id: "m_AbC".into(),
            recipient: None
        }
    );
    assert_eq!(
        classify(200, &format!(r#"{{"recipient_id":"{PSID}"}}"#)),
        SendOutcome::AcceptedUntracked
    );
}

#[test]
fn throttling_and_temporary_graph_errors_are_retried() {
    for code in [1, 2, 4, 17, 32, 613] {
        assert!(
            matches!(
                classify(400, &graph_error(code, None, "Please retry")),
                SendOutcome::Transient { code: Some(c), .. } if c == code
            ),
            "code {code}"
        );
    }
    assert!(matches!(classify(429, ""), SendOutcome::Transient { .. }));
    assert!(matches!(
        classify(503, "upstream down"),
        SendOutcome::Transient { .. }
    ));
}

#[test]
fn outside_the_window_and_unavailable_people_fail_with_metas_reason() {
    let outside = "(#10) This message is sent outside of allowed window.";
    assert_eq!(
        classify(400, &graph_error(10, Some(2_018_278), outside)),
        SendOutcome::Permanent {
            code: Some(10),
            title: outside.into()
        }
    );
    let unavailable = "(#551) This person isn't available right now.";
    assert_eq!(
        classify(400, &graph_error(551, Some(1_545_041), unavailable)),
        SendOutcome::Permanent {
            code: Some(551),
            title: unavailable.into()
        }
    );
    assert!(matches!(
        classify(200, &graph_error(190, None, "Invalid OAuth access token")),
        SendOutcome::Permanent {
            code: Some(190),
            ..
        }
    ));
}
