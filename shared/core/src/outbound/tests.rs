use serde_json::json;

use super::*;
use crate::identity::{CallingCode, PhoneNumber};

fn parse(value: Value) -> Result<SendRequest, FieldError> {
    SendRequest::parse(value.to_string().as_bytes())
}

fn parse_ok(value: Value) -> SendRequest {
    parse(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"))
}

fn to_conversation(kind: &str, object: Value) -> Value {
    json!({"conversation_id": "con_1", "type": kind, kind: object})
}

#[test]
fn every_bad_field_is_named() {
    let text = |object: Value| to_conversation("text", object);
    let long_text = "a".repeat(MAX_TEXT_CHARS + 1);
    let long_caption = "c".repeat(1025);
    let cases: Vec<(Value, &str)> = vec![
        // Target.
        (
            json!({"type": "text", "text": {"body": "x"}}),
            "conversation_id",
        ),
        (
            json!({"conversation_id": "con_1", "channel_id": "chn_1", "to": "5511987654321",
                   "type": "text", "text": {"body": "x"}}),
            "conversation_id",
        ),
        (
            json!({"channel_id": "chn_1", "type": "text", "text": {"body": "x"}}),
            "to",
        ),
        (
            json!({"to": "5511987654321", "type": "text", "text": {"body": "x"}}),
            "channel_id",
        ),
        (
            json!({"channel_id": "chn_1", "to": "+55 (11) abc", "type": "text", "text": {"body": "x"}}),
            "to",
        ),
        (
            json!({"channel_id": "chn_1", "to": 5511987654321u64, "type": "text", "text": {"body": "x"}}),
            "to",
        ),
        (
            json!({"conversation_id": "con 1", "type": "text", "text": {"body": "x"}}),
            "conversation_id",
        ),
        // Type and its object.
        (
            json!({"conversation_id": "con_1", "text": {"body": "x"}}),
            "type",
        ),
        (
            to_conversation("contacts", json!([{"name": {"formatted_name": "Ana"}}])),
            "type",
        ),
        (json!({"conversation_id": "con_1", "type": 3}), "type"),
        (
            json!({"conversation_id": "con_1", "type": "image"}),
            "image",
        ),
        (to_conversation("image", json!("https://x.test/a")), "image"),
        (
            json!({"conversation_id": "con_1", "type": "text", "text": {"body": "x"},
                   "image": {"link": "https://x.test/a"}}),
            "image",
        ),
        (
            json!({"conversation_id": "con_1", "type": "text", "text": {"body": "x"}, "colour": 1}),
            "colour",
        ),
        (
            json!({"conversation_id": "con_1", "type": "text", "text": {"body": "x"}, "reply_to": 7}),
            "reply_to",
        ),
        // Text.
        (text(json!({})), "text.body"),
        (text(json!({"body": ""})), "text.body"),
        (text(json!({"body": "  \n"})), "text.body"),
        (text(json!({"body": long_text})), "text.body"),
        (
            text(json!({"body": "x", "preview_url": "yes"})),
            "text.preview_url",
        ),
        (text(json!({"body": "x", "colour": "red"})), "text.colour"),
        // Media.
        (to_conversation("image", json!({})), "image.link"),
        (
            to_conversation("image", json!({"link": "ftp://x.test/a"})),
            "image.link",
        ),
        (
            to_conversation("image", json!({"link": "https://"})),
            "image.link",
        ),
        (
            to_conversation("image", json!({"link": "https://x.test/a b"})),
            "image.link",
        ),
        (
            to_conversation(
                "image",
                json!({"link": "https://x.test/a", "caption": long_caption}),
            ),
            "image.caption",
        ),
        (to_conversation("image", json!({"id": "123"})), "image.id"),
        (
            to_conversation(
                "audio",
                json!({"link": "https://x.test/a", "caption": "no"}),
            ),
            "audio.caption",
        ),
        (to_conversation("video", json!({"link": 1})), "video.link"),
        (
            to_conversation(
                "sticker",
                json!({"link": "https://x.test/s.webp", "caption": "x"}),
            ),
            "sticker.caption",
        ),
        (
            to_conversation(
                "document",
                json!({"link": "https://x.test/a", "filename": 1}),
            ),
            "document.filename",
        ),
        // Location.
        (
            to_conversation("location", json!({"longitude": 1.0})),
            "location.latitude",
        ),
        (
            to_conversation("location", json!({"latitude": 90.5, "longitude": 1.0})),
            "location.latitude",
        ),
        (
            to_conversation("location", json!({"latitude": 1.0, "longitude": -180.1})),
            "location.longitude",
        ),
        (
            to_conversation("location", json!({"latitude": "1", "longitude": 1.0})),
            "location.latitude",
        ),
        // Reaction.
        (
            to_conversation("reaction", json!({"emoji": "👍"})),
            "reaction.message_id",
        ),
        (
            to_conversation("reaction", json!({"message_id": "msg_1"})),
            "reaction.emoji",
        ),
        (
            to_conversation(
                "reaction",
                json!({"message_id": "msg_1", "emoji": "thumbs up"}),
            ),
            "reaction.emoji",
        ),
        // Template.
        (
            to_conversation("template", json!({"language": {"code": "pt_BR"}})),
            "template.name",
        ),
        (
            to_conversation(
                "template",
                json!({"name": "Order Update", "language": {"code": "pt_BR"}}),
            ),
            "template.name",
        ),
        (
            to_conversation("template", json!({"name": "t"})),
            "template.language",
        ),
        (
            to_conversation("template", json!({"name": "t", "language": "pt_BR"})),
            "template.language",
        ),
        (
            to_conversation("template", json!({"name": "t", "language": {}})),
            "template.language.code",
        ),
        (
            to_conversation(
                "template",
                json!({"name": "t", "language": {"code": "pt-BR"}}),
            ),
            "template.language.code",
        ),
        (
            to_conversation(
                "template",
                json!({"name": "t", "language": {"code": "en", "policy": "x"}}),
            ),
            "template.language.policy",
        ),
        (
            to_conversation(
                "template",
                json!({"name": "t", "language": {"code": "en"}, "components": {}}),
            ),
            "template.components",
        ),
        (
            to_conversation(
                "template",
                json!({"name": "t", "language": {"code": "en"}, "components": [1]}),
            ),
            "template.components[0]",
        ),
        (
            to_conversation(
                "template",
                json!({"name": "t", "language": {"code": "en"},
                       "components": [{"type": "body"}, {"parameters": []}]}),
            ),
            "template.components[1].type",
        ),
    ];
    for (input, field) in cases {
        match parse(input.clone()) {
            Err(e) => assert_eq!(e.field, field, "{input} gave {e}"),
            Ok(parsed) => panic!("{input} parsed as {parsed:?}, expected an error on {field}"),
        }
    }
}

#[test]
fn bodies_that_are_not_json_objects_are_named_body() {
    for input in [&b"{"[..], b"", b"[1]", b"\"text\"", b"null"] {
        let error = SendRequest::parse(input).unwrap_err();
        assert_eq!(error.field, "body", "{error}");
    }
    let error = SendRequest::parse(b"{not json").unwrap_err();
    assert!(
        error.to_string().starts_with("body: is not valid JSON"),
        "{error}"
    );
}

#[test]
fn errors_display_as_field_and_reason() {
    let error = parse(to_conversation("text", json!({"body": ""}))).unwrap_err();
    assert_eq!(error.to_string(), "text.body: must not be empty");
    let error = parse(to_conversation("text", json!({"body": "x", "colour": 1}))).unwrap_err();
    assert_eq!(error.to_string(), "text.colour: unknown field");
}

#[test]
fn phone_targets_keep_the_number_as_written_for_the_channel_to_read() {
    let request = parse_ok(json!({"channel_id": "chn_1", "to": "0xx11 98765-4321",
                                  "type": "text", "text": {"body": "Olá"}}));
    let SendTarget::Phone { channel_id, to } = request.target else {
        panic!("expected a phone target");
    };
    assert_eq!(channel_id, "chn_1");
    let country = CallingCode::parse("55").unwrap();
    let read = PhoneNumber::read_in(&to, Some(&country)).unwrap();
    assert_eq!(read.digits(), "5511987654321");
    assert!(
        PhoneNumber::read_in(&to, None).is_err(),
        "a national form needs its country"
    );
}

#[test]
fn a_full_text_request_parses() {
    let request = parse_ok(json!({"conversation_id": "con_1", "type": "text",
                                  "text": {"body": "Olá", "preview_url": true},
                                  "reply_to": "msg_9"}));
    assert_eq!(request.target, SendTarget::Conversation("con_1".into()));
    assert_eq!(
        request.body,
        OutboundBody::Text {
            body: "Olá".into(),
            preview_url: true
        }
    );
    assert_eq!(request.reply_to.as_deref(), Some("msg_9"));
    // Nulls are absent fields; preview_url defaults to false.
    let request = parse_ok(
        json!({"conversation_id": "con_1", "channel_id": null, "type": "text",
                                  "text": {"body": "x", "preview_url": null}, "reply_to": null}),
    );
    assert_eq!(
        request.body,
        OutboundBody::Text {
            body: "x".into(),
            preview_url: false
        }
    );
    assert_eq!(request.reply_to, None);
}

#[test]
fn every_type_parses_and_maps_to_stored_content() {
    let link = "https://cdn.example.test/a.jpg";
    let cases = [
        (
            to_conversation("image", json!({"link": link, "caption": "cat"})),
            json!({"type": "image", "url": link, "caption": "cat"}),
        ),
        (
            to_conversation("audio", json!({"link": link})),
            json!({"type": "audio", "url": link}),
        ),
        (
            to_conversation("sticker", json!({"link": link})),
            json!({"type": "sticker", "url": link}),
        ),
        (
            to_conversation("video", json!({"link": link})),
            json!({"type": "video", "url": link}),
        ),
        (
            to_conversation("document", json!({"link": link, "filename": "a.pdf"})),
            json!({"type": "document", "url": link, "filename": "a.pdf"}),
        ),
        (
            to_conversation(
                "location",
                json!({"latitude": -23.5, "longitude": -46.6, "name": "SP"}),
            ),
            json!({"type": "location", "latitude": -23.5, "longitude": -46.6, "name": "SP"}),
        ),
        (
            to_conversation("reaction", json!({"message_id": "msg_1", "emoji": "👍"})),
            json!({"type": "reaction", "message_id": "msg_1", "emoji": "👍"}),
        ),
        (
            to_conversation("reaction", json!({"message_id": "msg_1", "emoji": ""})),
            json!({"type": "reaction", "message_id": "msg_1"}),
        ),
        (
            to_conversation(
                "template",
                json!({"name": "order_update", "language": {"code": "pt_BR"},
                       "components": [{"type": "body", "parameters": [{"type": "text", "text": "42"}]}]}),
            ),
            json!({"type": "template", "name": "order_update", "language": "pt_BR",
                   "components": [{"type": "body", "parameters": [{"type": "text", "text": "42"}]}]}),
        ),
        (
            to_conversation("text", json!({"body": "oi"})),
            json!({"type": "text", "body": "oi"}),
        ),
    ];
    for (input, stored) in cases {
        let body = parse_ok(input.clone()).body;
        assert_eq!(body.type_name(), input["type"], "{input}");
        let content = body.to_content();
        assert_eq!(content.type_name(), body.type_name());
        assert_eq!(serde_json::to_value(&content).unwrap(), stored, "{input}");
    }
}

#[test]
fn only_templates_skip_the_window_and_only_reactions_refer_to_a_message() {
    let template = parse_ok(to_conversation(
        "template",
        json!({"name": "hello_world", "language": {"code": "en_US"}}),
    ))
    .body;
    assert!(!template.needs_open_window());
    assert_eq!(template.referenced_message(), None);
    let reaction = parse_ok(to_conversation(
        "reaction",
        json!({"message_id": "msg_7", "emoji": "🎉"}),
    ))
    .body;
    assert!(reaction.needs_open_window());
    assert_eq!(reaction.referenced_message(), Some("msg_7"));
}

#[test]
fn the_window_closes_exactly_24_hours_after_the_last_inbound_message() {
    let last = 1_700_000_000_000;
    assert!(window_open(Some(last), last));
    assert!(window_open(Some(last), last + SERVICE_WINDOW_MS - 1));
    assert!(!window_open(Some(last), last + SERVICE_WINDOW_MS));
    assert!(!window_open(Some(last), last + 3 * SERVICE_WINDOW_MS));
    assert!(!window_open(None, last));
    // A clock slightly behind the stored timestamp still counts as inside the window.
    assert!(window_open(Some(last), last - 1_000));
    assert!(!window_open(Some(i64::MIN), i64::MAX));
}

#[test]
fn media_can_come_from_an_upload_by_id_instead_of_a_link() {
    for kind in ["image", "audio", "sticker", "video", "document"] {
        let mut request = parse_ok(to_conversation(kind, json!({"id": "med_0123abc"})));
        assert_eq!(request.upload.as_deref(), Some("med_0123abc"), "{kind}");
        request
            .body
            .set_link("https://ponte.example/media/med_0123abc?exp=1&sig=2".into());
        let Some(crate::model::Media { url: Some(url), .. }) =
            request.body.to_content().media().cloned()
        else {
            panic!("{kind}: a media body")
        };
        assert!(url.contains("med_0123abc"), "{kind}: {url}");
    }
    let linked = parse_ok(to_conversation(
        "image",
        json!({"link": "https://x.test/a.jpg"}),
    ));
    assert_eq!(linked.upload, None);
    let both = parse(to_conversation(
        "image",
        json!({"link": "https://x.test/a.jpg", "id": "med_1"}),
    ));
    assert_eq!(both.unwrap_err().field, "image.id");
    let not_ours = parse(to_conversation("document", json!({"id": "wamid.X"})));
    assert_eq!(not_ours.unwrap_err().field, "document.id");
    let neither = parse(to_conversation("video", json!({"caption": "x"})));
    assert_eq!(neither.unwrap_err().field, "video.link");
}
