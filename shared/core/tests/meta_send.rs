//! Sending through the WhatsApp Cloud API, against request and response bodies written from
//! Meta's documented formats (`shared/docs/providers.md` §3a, "Send").

use ponte_core::outbound::{OutboundBody, SendRequest};
use ponte_core::providers::meta::{
    mark_read_request, parse_mark_read_response, parse_send_response, send_request, MetaConfig,
};
use ponte_core::providers::{HttpRequest, MessageRef, ResolvedRefs, SendOutcome};
use serde_json::{json, Value};

const TOKEN: &str = "EAAG-test-token";
const TO: &str = "5511987654321";

fn config() -> MetaConfig {
    MetaConfig {
        phone_number_id: "110200340056789".into(),
        graph_base_url: None,
        business_account_id: None,
    }
}

/// The Meta body for one Ponte request body (`{"conversation_id":…,"type":…,…}`).
fn meta_body_for(ponte: Value, refs: &ResolvedRefs) -> Value {
    let request =
        SendRequest::parse(ponte.to_string().as_bytes()).unwrap_or_else(|e| panic!("{ponte}: {e}"));
    body_json(&send_request(&config(), TOKEN, TO, &request.body, refs))
}

fn body_json(request: &HttpRequest) -> Value {
    serde_json::from_str(&request.body).unwrap_or_else(|e| panic!("{}: {e}", request.body))
}

fn inbound(provider_message_id: &str) -> MessageRef<'_> {
    MessageRef {
        provider_message_id,
        outbound: false,
        text: None,
    }
}

fn ponte(kind: &str, object: Value) -> Value {
    json!({"conversation_id": "con_1", "type": kind, kind: object})
}

fn envelope(kind: &str, object: Value) -> Value {
    json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": TO,
           "type": kind, kind: object})
}

#[test]
fn every_body_type_becomes_metas_documented_json() {
    let link = "https://cdn.example.test/files/a.jpg";
    let cases = [
        (
            ponte("text", json!({"body": "Olá"})),
            envelope("text", json!({"preview_url": false, "body": "Olá"})),
        ),
        (
            ponte(
                "text",
                json!({"body": "see https://x.test", "preview_url": true}),
            ),
            envelope(
                "text",
                json!({"preview_url": true, "body": "see https://x.test"}),
            ),
        ),
        (
            ponte("image", json!({"link": link, "caption": "cat"})),
            envelope("image", json!({"link": link, "caption": "cat"})),
        ),
        (
            ponte("image", json!({"link": link})),
            envelope("image", json!({"link": link})),
        ),
        (
            ponte("audio", json!({"link": link})),
            envelope("audio", json!({"link": link})),
        ),
        (
            ponte("sticker", json!({"link": link})),
            envelope("sticker", json!({"link": link})),
        ),
        (
            ponte("video", json!({"link": link, "caption": "clip"})),
            envelope("video", json!({"link": link, "caption": "clip"})),
        ),
        (
            ponte(
                "document",
                json!({"link": link, "caption": "invoice", "filename": "inv.pdf"}),
            ),
            envelope(
                "document",
                json!({"link": link, "caption": "invoice", "filename": "inv.pdf"}),
            ),
        ),
        (
            ponte("document", json!({"link": link})),
            envelope("document", json!({"link": link})),
        ),
        (
            ponte(
                "location",
                json!({"latitude": -23.5, "longitude": -46.6,
                                     "name": "Paulista", "address": "Av. Paulista, 1000"}),
            ),
            envelope(
                "location",
                json!({"latitude": -23.5, "longitude": -46.6,
                                        "name": "Paulista", "address": "Av. Paulista, 1000"}),
            ),
        ),
        (
            ponte("location", json!({"latitude": 0, "longitude": 180})),
            envelope("location", json!({"latitude": 0.0, "longitude": 180.0})),
        ),
        (
            ponte(
                "template",
                json!({"name": "hello_world", "language": {"code": "en_US"}}),
            ),
            envelope(
                "template",
                json!({"name": "hello_world", "language": {"code": "en_US"}}),
            ),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            meta_body_for(input.clone(), &ResolvedRefs::default()),
            expected,
            "{input}"
        );
    }
}

#[test]
fn a_reply_carries_the_quoted_wamid_as_context() {
    let refs = ResolvedRefs {
        reply_to: Some(inbound("wamid.QUOTED")),
        reaction_to: None,
        media_id: None,
    };
    let mut expected = envelope("text", json!({"preview_url": false, "body": "yes"}));
    expected["context"] = json!({"message_id": "wamid.QUOTED"});
    assert_eq!(
        meta_body_for(ponte("text", json!({"body": "yes"})), &refs),
        expected
    );
}

#[test]
fn reactions_name_the_resolved_wamid_and_an_empty_emoji_removes_one() {
    let refs = ResolvedRefs {
        reply_to: None,
        reaction_to: Some(inbound("wamid.TARGET")),
        media_id: None,
    };
    for emoji in ["👍", ""] {
        let input = ponte(
            "reaction",
            json!({"message_id": "msg_ours", "emoji": emoji}),
        );
        assert_eq!(
            meta_body_for(input, &refs),
            envelope(
                "reaction",
                json!({"message_id": "wamid.TARGET", "emoji": emoji})
            )
        );
    }
}

#[test]
fn templates_keep_their_components_as_given() {
    let components = json!([
        {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x.test/h.png"}}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#42"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "42"}]}
    ]);
    let input = ponte(
        "template",
        json!({"name": "order_update", "language": {"code": "pt_BR"}, "components": components}),
    );
    assert_eq!(
        meta_body_for(input, &ResolvedRefs::default()),
        envelope(
            "template",
            json!({"name": "order_update", "language": {"code": "pt_BR"}, "components": components})
        )
    );
}

#[test]
fn requests_go_to_the_configured_graph_url_with_bearer_auth() {
    let body = OutboundBody::Text {
        body: "oi".into(),
        preview_url: false,
    };
    let default = send_request(&config(), TOKEN, TO, &body, &ResolvedRefs::default());
    assert_eq!(default.method, "POST");
    assert_eq!(
        default.url,
        "https://graph.facebook.com/v23.0/110200340056789/messages"
    );
    assert_eq!(
        default.headers,
        vec![
            ("Authorization", format!("Bearer {TOKEN}")),
            ("Content-Type", "application/json".to_string()),
        ]
    );
    let emulator = MetaConfig {
        phone_number_id: "42".into(),
        graph_base_url: Some("http://127.0.0.1:8788/graph/v99.0/".into()),
        business_account_id: None,
    };
    let local = send_request(&emulator, TOKEN, TO, &body, &ResolvedRefs::default());
    assert_eq!(local.url, "http://127.0.0.1:8788/graph/v99.0/42/messages");
}

#[test]
fn mark_read_posts_the_documented_body() {
    let request = mark_read_request(&config(), TOKEN, "wamid.IN1");
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.url,
        "https://graph.facebook.com/v23.0/110200340056789/messages"
    );
    assert_eq!(
        request.header("Authorization"),
        Some("Bearer EAAG-test-token")
    );
    assert_eq!(
        body_json(&request),
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN1"})
    );
}

#[test]
fn accepted_sends_report_metas_canonical_wa_id() {
    // A Brazilian number registered before the ninth digit: Meta answers with the 12-digit id.
    let body = br#"{"messaging_product":"whatsapp",
        "contacts":[{"input":"5511987654321","wa_id":"551187654321"}],
        "messages":[{"id":"wamid.HBgNNTUxMTg3NjU0MzIxFQIAERgS","message_status":"accepted"}]}"#;
    assert_eq!(
        parse_send_response(200, None, body),
        SendOutcome::Accepted {
            provider_message_id: "wamid.HBgNNTUxMTg3NjU0MzIxFQIAERgS".into(),
            recipient: Some("551187654321".into()),
        }
    );
    let held = br#"{"messaging_product":"whatsapp","messages":[{"id":"wamid.H","message_status":"held_for_quality_assessment"}]}"#;
    assert_eq!(
        parse_send_response(200, None, held),
        SendOutcome::Accepted {
            provider_message_id: "wamid.H".into(),
            recipient: None,
        }
    );
}

#[test]
fn a_success_without_a_message_id_is_not_retried() {
    for body in [
        &br#"{"messaging_product":"whatsapp","contacts":[{"input":"1","wa_id":"1"}],"messages":[]}"#[..],
        b"",
        b"<html>ok</html>",
    ] {
        let outcome = parse_send_response(200, None, body);
        let SendOutcome::Permanent { code: None, title } = &outcome else {
            panic!("{outcome:?}");
        };
        assert!(title.contains("message id"), "{title}");
    }
}

#[test]
fn rate_limits_and_outages_are_transient() {
    let throttled = br#"{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4,"fbtrace_id":"A1"}}"#;
    assert_eq!(
        parse_send_response(429, Some("30"), throttled),
        SendOutcome::Transient {
            code: Some(4),
            title: "(#4) Application request limit reached".into(),
            retry_after_s: Some(30),
        }
    );
    assert_eq!(
        parse_send_response(
            502,
            Some("Wed, 21 Oct 2015 07:28:00 GMT"),
            b"<html>Bad Gateway</html>"
        ),
        SendOutcome::Transient {
            code: None,
            title: "HTTP 502".into(),
            retry_after_s: None,
        }
    );
    assert_eq!(
        parse_send_response(
            500,
            None,
            b"<html><body>Internal Server Error</body></html>"
        ),
        SendOutcome::Transient {
            code: None,
            title: "HTTP 500".into(),
            retry_after_s: None,
        }
    );
    let throughput = br#"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"error_data":{"messaging_product":"whatsapp","details":"Cloud API message throughput has been reached."},"fbtrace_id":"A2"}}"#;
    assert_eq!(
        parse_send_response(400, None, throughput),
        SendOutcome::Transient {
            code: Some(130429),
            title: "(#130429) Rate limit hit (Cloud API message throughput has been reached.)"
                .into(),
            retry_after_s: None,
        }
    );
}

#[test]
fn requests_that_would_fail_again_are_permanent() {
    let expired = br#"{"error":{"message":"Error validating access token: Session has expired on Friday, 07-Jun-24.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"A3"}}"#;
    assert_eq!(
        parse_send_response(401, Some("60"), expired),
        SendOutcome::Permanent {
            code: Some(190),
            title: "Error validating access token: Session has expired on Friday, 07-Jun-24."
                .into(),
        }
    );
    let window = br#"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},"fbtrace_id":"A4"}}"#;
    let outcome = parse_send_response(400, None, window);
    let SendOutcome::Permanent {
        code: Some(131047),
        title,
    } = &outcome
    else {
        panic!("{outcome:?}");
    };
    assert!(title.starts_with("(#131047) Re-engagement message (Message failed"));
    assert!(title.chars().count() <= 300);
    // Meta's generic error is only retried when the HTTP status blames Meta.
    let generic = br#"{"error":{"message":"Something went wrong","code":131000}}"#;
    assert!(matches!(
        parse_send_response(400, None, generic),
        SendOutcome::Permanent {
            code: Some(131000),
            ..
        }
    ));
    assert!(matches!(
        parse_send_response(500, None, generic),
        SendOutcome::Transient {
            code: Some(131000),
            ..
        }
    ));
    assert_eq!(
        parse_send_response(404, None, b"not found"),
        SendOutcome::Permanent {
            code: None,
            title: "HTTP 404".into(),
        }
    );
}

#[test]
fn mark_read_succeeds_only_when_meta_confirms() {
    assert_eq!(
        parse_mark_read_response(200, None, br#"{"success":true}"#),
        Ok(())
    );
    assert!(matches!(
        parse_mark_read_response(200, None, br#"{"success":false}"#),
        Err(SendOutcome::Permanent { code: None, .. })
    ));
    let invalid =
        br#"{"error":{"message":"(#131009) Parameter value is not valid","code":131009}}"#;
    assert!(matches!(
        parse_mark_read_response(400, None, invalid),
        Err(SendOutcome::Permanent {
            code: Some(131009),
            ..
        })
    ));
    assert_eq!(
        parse_mark_read_response(503, Some("5"), b""),
        Err(SendOutcome::Transient {
            code: None,
            title: "HTTP 503".into(),
            retry_after_s: Some(5),
        })
    );
}

#[test]
fn media_uploaded_through_metas_api_is_sent_by_its_id_and_never_by_a_link() {
    let refs = ResolvedRefs {
        media_id: Some("4000000001"),
        ..ResolvedRefs::default()
    };
    let input = ponte(
        "document",
        json!({"link": "https://ponte.example/media/med_1?exp=1&sig=2", "caption": "Nota", "filename": "nota.pdf"}),
    );
    assert_eq!(
        meta_body_for(input, &refs),
        envelope(
            "document",
            json!({"id": "4000000001", "caption": "Nota", "filename": "nota.pdf"})
        )
    );
}

#[test]
fn the_upload_api_is_a_multipart_post_and_its_answer_names_the_media() {
    use ponte_core::providers::meta::{parse_upload_response, upload_request};
    let upload = upload_request(&config(), TOKEN, "application/pdf");
    assert_eq!(
        upload.url,
        "https://graph.facebook.com/v23.0/110200340056789/media"
    );
    assert_eq!(
        upload.headers,
        vec![("Authorization", format!("Bearer {TOKEN}"))]
    );
    assert_eq!(
        upload.fields,
        vec![
            ("messaging_product", "whatsapp".to_string()),
            ("type", "application/pdf".to_string())
        ]
    );
    assert_eq!(upload.file_field, "file");
    assert!(!format!("{upload:?}").contains(TOKEN));
    assert_eq!(
        parse_upload_response(200, None, br#"{"id":"4000000001"}"#),
        Ok("4000000001".to_string())
    );
    assert!(matches!(
        parse_upload_response(200, None, b"{}"),
        Err(SendOutcome::Permanent { .. })
    ));
    assert!(matches!(
        parse_upload_response(503, None, b""),
        Err(SendOutcome::Transient { .. })
    ));
    let too_big = br#"{"error":{"message":"(#131053) Media upload error","code":131053}}"#;
    assert!(matches!(
        parse_upload_response(400, None, too_big),
        Err(SendOutcome::Permanent {
            code: Some(131053),
            ..
        })
    ));
}
