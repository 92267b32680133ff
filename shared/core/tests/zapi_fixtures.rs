//! The Z-API adapter against webhook bodies written from Z-API's documented format
//! (`tests/fixtures/zapi/`, shared with the end-to-end tests), through the provider seam.

use std::path::PathBuf;

use ponte_core::model::{Content, Direction, InboundBatch, InteractiveReply, Media, ProviderError};
use ponte_core::model::{NormalizedMessage, Sender};
use ponte_core::providers::{provider, Channel, ConnectionState, Malformed, WebhookRequest};
use ponte_core::status::DeliveryStatus;
use serde_json::{json, Value};

const INSTANCE_ID: &str = "3C67AB641C8AA0412F6A2242B4E23AC7";
const NOW_MS: i64 = 1_800_000_000_000;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/zapi")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(format!("{name}.json"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn channel(include_groups: bool) -> Box<dyn Channel> {
    provider("zapi")
        .expect("zapi is registered")
        .open(
            json!({"instance_id": INSTANCE_ID, "include_groups": include_groups}),
            json!({"instance_token": "F0E1D2C3B4A5", "client_token": "Fa1b2c3d4e5"}),
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

fn request(body: &[u8]) -> WebhookRequest<'_> {
    WebhookRequest {
        method: "POST",
        url: "https://ponte.example/webhooks/zapi/tok",
        rest: "",
        query: &[],
        headers: &[],
        body,
        received_at_ms: NOW_MS,
    }
}

fn normalize_bytes(body: &[u8], include_groups: bool) -> Result<InboundBatch, Malformed> {
    channel(include_groups).normalize(&request(body))
}

fn parse_with(name: &str, include_groups: bool) -> InboundBatch {
    normalize_bytes(&fixture(name), include_groups).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn parse(name: &str) -> InboundBatch {
    parse_with(name, false)
}

fn only_message(name: &str) -> NormalizedMessage {
    let batch = parse(name);
    assert_eq!(batch.messages.len(), 1, "{name}: {batch:?}");
    assert!(
        batch.statuses.is_empty() && batch.ignored.is_empty(),
        "{name}"
    );
    batch.messages[0].clone()
}

fn only_content(name: &str) -> Content {
    only_message(name).content
}

fn storage(object: &str) -> Option<String> {
    Some(format!(
        "https://storage.z-api.io/instances/{INSTANCE_ID}/{object}"
    ))
}

#[test]
fn text_keeps_id_contact_keys_name_and_millisecond_timestamp() {
    let m = only_message("text");
    assert_eq!(m.provider_message_id, "3EB0796DC6B777C0C7CD");
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.timestamp_ms, 1_717_600_000_123);
    assert_eq!(
        m.contact.identity_keys(),
        [
            "phone:+5511987654321",
            "wa:5511987654321",
            "lid:272455595733154@lid"
        ]
    );
    assert_eq!(m.contact.name.as_deref(), Some("Ana"));
    assert_eq!(
        m.contact.avatar_url.as_deref(),
        Some("https://pps.whatsapp.net/v/t61.24694-24/ana.jpg")
    );
    assert_eq!(
        m.content,
        Content::Text {
            body: "Oi, tudo bem? Quero saber do pedido 123 🙂".into()
        }
    );
    assert_eq!(m.context, None);
    assert_eq!(m.sender, None);
}

#[test]
fn an_old_brazilian_number_gets_its_ninth_digit_and_a_reply_names_the_quoted_message() {
    let m = only_message("text_reply_old_number");
    assert_eq!(
        m.contact.identity_keys(),
        [
            "phone:+5531988887777",
            "wa:553188887777",
            "lid:99887766554433@lid"
        ]
    );
    assert_eq!(m.contact.name.as_deref(), Some("Carlos Lima"));
    let context = m.context.expect("a reply");
    assert_eq!(context.message_id.as_deref(), Some("3EB0C0FFEE0000000001"));
    assert!(!context.forwarded);
    assert_eq!(m.timestamp_ms, 1_717_600_100_000);
}

#[test]
fn a_contact_known_only_by_linked_id_has_only_that_key() {
    let m = only_message("text_lid_only");
    assert_eq!(m.contact.identity_keys(), ["lid:81896604192873@lid"]);
    assert_eq!(m.contact.name.as_deref(), Some("Dora"));
    assert_eq!(m.direction, Direction::Inbound);
}

#[test]
fn an_edit_is_an_ordinary_message_under_the_edited_messages_id() {
    let m = only_message("text_edited");
    assert_eq!(m.provider_message_id, "3EB0796DC6B777C0C7CD");
    assert_eq!(
        m.content,
        Content::Text {
            body: "Oi, tudo bem? Quero saber do pedido 124 🙂".into()
        }
    );
}

#[test]
fn media_keep_their_link_type_caption_and_flags() {
    assert_eq!(
        only_content("image"),
        Content::Image(Media {
            url: storage("3EB0IMAGE00000000001.jpeg"),
            mime_type: Some("image/jpeg".into()),
            caption: Some("Foto do produto".into()),
            ..Media::default()
        })
    );
    assert_eq!(
        only_content("audio_voice"),
        Content::Audio(Media {
            url: storage("3EB0AUDIO00000000001.ogg"),
            mime_type: Some("audio/ogg; codecs=opus".into()),
            voice: Some(true),
            ..Media::default()
        })
    );
    assert_eq!(
        only_content("video"),
        Content::Video(Media {
            url: storage("3EB0VIDEO00000000001.mp4"),
            mime_type: Some("video/mp4".into()),
            caption: Some("unboxing".into()),
            ..Media::default()
        })
    );
    assert_eq!(
        only_content("document"),
        Content::Document(Media {
            url: storage("3EB0DOC0000000000001.pdf"),
            mime_type: Some("application/pdf".into()),
            filename: Some("nf-123.pdf".into()),
            ..Media::default()
        })
    );
    assert_eq!(
        only_content("sticker"),
        Content::Sticker(Media {
            url: storage("3EB0STICKER000000001.webp"),
            mime_type: Some("image/webp".into()),
            ..Media::default()
        })
    );
}

#[test]
fn location_and_a_shared_contact_card() {
    assert_eq!(
        only_content("location"),
        Content::Location {
            latitude: -23.561414,
            longitude: -46.655881,
            name: Some("MASP".into()),
            address: Some("Av. Paulista, 1578 - Bela Vista, São Paulo - SP".into()),
            url: None,
        }
    );
    let Content::Contacts { contacts } = only_content("contact") else {
        panic!("contacts")
    };
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["displayName"], "Bruno Lima");
    assert_eq!(contacts[0]["phones"][0], "5541999887766");
}

#[test]
fn reactions_name_the_reacted_message_and_an_empty_one_is_a_removal() {
    assert_eq!(
        only_content("reaction"),
        Content::Reaction {
            message_id: "3EB0C0FFEE0000000002".into(),
            emoji: Some("❤️".into())
        }
    );
    assert_eq!(
        only_content("reaction_removed"),
        Content::Reaction {
            message_id: "3EB0C0FFEE0000000002".into(),
            emoji: None
        }
    );
}

#[test]
fn button_and_list_answers_are_interactive_replies_to_the_message_that_offered_them() {
    let button = only_message("buttons_response");
    assert_eq!(
        button.content,
        Content::Interactive {
            reply: InteractiveReply::ButtonReply {
                id: "confirm-order-123".into(),
                title: "Confirmar".into()
            }
        }
    );
    assert_eq!(
        button.context.and_then(|c| c.message_id).as_deref(),
        Some("3EB0C0FFEE0000000003")
    );
    assert_eq!(
        only_content("list_response"),
        Content::Interactive {
            reply: InteractiveReply::ListReply {
                id: "shipping-express".into(),
                title: "Expressa".into(),
                description: Some("Entrega em até 2 dias úteis".into())
            }
        }
    );
}

#[test]
fn polls_and_messages_still_on_their_way_are_kept_as_unsupported() {
    assert_eq!(
        only_content("poll_vote"),
        Content::Unsupported {
            original_type: "pollVote".into(),
            errors: vec![]
        }
    );
    let waiting = only_message("waiting_message");
    assert_eq!(waiting.provider_message_id, "3EB0WAITING000000001");
    assert_eq!(
        waiting.content,
        Content::Unsupported {
            original_type: "waiting_message".into(),
            errors: vec![]
        }
    );
    assert_eq!(waiting.timestamp_ms, 1_717_601_600_000);
    assert_eq!(
        waiting.contact.identity_keys(),
        ["phone:+5511987654321", "wa:5511987654321"]
    );
}

#[test]
fn an_echo_from_the_business_phone_is_outbound_to_the_chats_contact_without_a_name() {
    let m = only_message("echo_from_me");
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(m.provider_message_id, "3EB0ECHO000000000001");
    // The chat's linked id, not the business's own `senderLid`.
    assert_eq!(
        m.contact.identity_keys(),
        [
            "phone:+5511987654321",
            "wa:5511987654321",
            "lid:272455595733154@lid"
        ]
    );
    assert_eq!(m.contact.name, None);
    // `photo` is the chat's picture, so the contact's even on the business's own message.
    assert_eq!(
        m.contact.avatar_url.as_deref(),
        Some("https://pps.whatsapp.net/v/t61.24694-24/ana.jpg")
    );
    assert_eq!(m.sender, None);
}

#[test]
fn groups_broadcasts_and_newsletters_are_left_out_by_default() {
    for name in ["group_text", "broadcast_list", "newsletter"] {
        let batch = parse(name);
        assert!(batch.messages.is_empty(), "{name}");
        assert_eq!(batch.ignored.len(), 1, "{name}");
        assert!(
            batch.ignored[0].contains("leaves out groups"),
            "{name}: {}",
            batch.ignored[0]
        );
    }
    assert!(parse("group_text").ignored[0].starts_with("group message 3EB0GROUP00000000001"));
    assert!(parse("broadcast_list").ignored[0].starts_with("broadcast message"));
    assert!(parse("newsletter").ignored[0].starts_with("newsletter message"));
}

#[test]
fn a_kept_group_message_belongs_to_the_group_and_names_its_member() {
    let batch = parse_with("group_text", true);
    assert!(batch.ignored.is_empty());
    let m = &batch.messages[0];
    assert_eq!(
        m.contact.identity_keys(),
        ["group:120363019502650977-group"]
    );
    assert_eq!(m.contact.name.as_deref(), Some("Clientes VIP"));
    assert_eq!(
        m.sender,
        Some(Sender {
            id: "5521998765432".into(),
            phone: Some("+5521998765432".into()),
            name: Some("Beatriz".into()),
        })
    );
    assert_eq!(m.direction, Direction::Inbound);

    let broadcast = parse_with("broadcast_list", true);
    let m = &broadcast.messages[0];
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(m.contact.identity_keys(), ["group:1774895799-broadcast"]);
    assert_eq!(m.contact.name, None);
    assert_eq!(m.sender, None);

    let newsletter = parse_with("newsletter", true);
    assert_eq!(
        newsletter.messages[0].contact.identity_keys(),
        ["group:120363166555745933@newsletter"]
    );
    assert_eq!(newsletter.messages[0].sender, None);
}

#[test]
fn a_message_deleted_for_everyone_is_a_deletion_and_other_notifications_are_ignored() {
    let batch = parse("revoke");
    assert_eq!(batch.deletions, ["3EB0DELETED000000001"]);
    assert!(batch.messages.is_empty() && batch.ignored.is_empty());
    let batch = parse("call_missed");
    assert!(batch.messages.is_empty() && batch.deletions.is_empty());
    assert_eq!(batch.ignored, ["notification CALL_MISSED_VOICE"]);
}

#[test]
fn another_instances_events_are_ignored() {
    let batch = parse("other_instance");
    assert!(batch.messages.is_empty());
    assert_eq!(
        batch.ignored,
        ["ReceivedCallback of instance A20DA9C0183A2D35A260F53F5D2B9244, not this channel's"]
    );
}

#[test]
fn message_statuses_move_forward_one_update_per_id() {
    let cases = [
        ("status_sent", DeliveryStatus::Sent, 1_717_602_300_000),
        (
            "status_received",
            DeliveryStatus::Delivered,
            1_717_602_301_000,
        ),
        ("status_played", DeliveryStatus::Played, 1_717_602_304_000),
    ];
    for (name, status, timestamp_ms) in cases {
        let batch = parse(name);
        assert_eq!(batch.statuses.len(), 1, "{name}");
        assert_eq!(batch.statuses[0].status, status, "{name}");
        assert_eq!(batch.statuses[0].timestamp_ms, timestamp_ms, "{name}");
        assert_eq!(
            batch.statuses[0].recipient_id.as_deref(),
            Some("5511987654321")
        );
        assert!(batch.messages.is_empty() && batch.ignored.is_empty());
    }
    let read = parse("status_read");
    let ids: Vec<_> = read
        .statuses
        .iter()
        .map(|s| (s.provider_message_id.as_str(), s.status))
        .collect();
    assert_eq!(
        ids,
        [
            ("3EB0SENT000000000001", DeliveryStatus::Read),
            ("3EB0SENT000000000002", DeliveryStatus::Read)
        ]
    );
    let by_me = parse("status_read_by_me");
    assert!(by_me.statuses.is_empty());
    assert_eq!(by_me.ignored, ["status \"READ_BY_ME\""]);
}

#[test]
fn the_gateways_delivery_report_is_sent_or_failed_with_its_reason() {
    let batch = parse("delivery");
    assert_eq!(batch.statuses.len(), 1);
    let sent = &batch.statuses[0];
    assert_eq!(sent.provider_message_id, "3EB0SENT000000000001");
    assert_eq!(sent.status, DeliveryStatus::Sent);
    assert_eq!(sent.timestamp_ms, 1_717_602_299_000);
    assert_eq!(sent.error, None);

    let batch = parse("delivery_error");
    let failed = &batch.statuses[0];
    assert_eq!(failed.provider_message_id, "3EB0SENT000000000003");
    assert_eq!(failed.status, DeliveryStatus::Failed);
    assert_eq!(failed.recipient_id.as_deref(), Some("5511900000000"));
    assert_eq!(
        failed.error,
        Some(ProviderError {
            code: 0,
            title: "Number is not on WhatsApp".into(),
            detail: None
        })
    );
}

#[test]
fn session_events_change_the_connection_and_presence_is_ignored() {
    let connected = parse("connected");
    assert_eq!(
        connected.connection.map(|c| (c.state, c.qr)),
        Some((ConnectionState::Connected, None))
    );
    let disconnected = parse("disconnected");
    assert_eq!(
        disconnected.connection.map(|c| c.state),
        Some(ConnectionState::Disconnected)
    );
    let presence = parse("presence");
    assert_eq!(presence.connection, None);
    assert_eq!(presence.ignored, ["event PresenceChatCallback"]);
}

#[test]
fn every_fixture_is_accepted_and_acted_on_or_ignored_with_a_reason() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 30, "{names:?}");
    for name in names {
        let body = std::fs::read(fixtures_dir().join(&name)).unwrap();
        for include_groups in [false, true] {
            let batch =
                normalize_bytes(&body, include_groups).unwrap_or_else(|e| panic!("{name}: {e}"));
            let something = !batch.messages.is_empty()
                || !batch.statuses.is_empty()
                || !batch.ignored.is_empty()
                || !batch.deletions.is_empty()
                || batch.connection.is_some();
            assert!(something, "{name} gave an empty batch");
        }
    }
}

#[test]
fn z_api_signs_nothing_so_every_delivery_is_accepted_by_its_url() {
    let channel = channel(false);
    assert!(channel.authenticate(&request(&fixture("text"))).is_ok());
    assert!(channel.authenticate(&request(b"not even json")).is_ok());
    assert!(provider("zapi").unwrap().webhook_headers().is_empty());
    assert!(!channel.includes_groups());
    assert!(self::channel(true).includes_groups());
}

#[test]
fn bodies_that_are_not_json_objects_are_malformed() {
    for body in [
        &b"not json"[..],
        b"",
        b"[]",
        b"null",
        b"\"ReceivedCallback\"",
        b"42",
    ] {
        let result = normalize_bytes(body, false);
        assert!(result.is_err(), "{}", String::from_utf8_lossy(body));
    }
}

#[test]
fn wrong_types_in_fields_ponte_reads_are_malformed() {
    for body in [
        json!({"type": 5}),
        json!({"type": "ReceivedCallback", "phone": "5511987654321", "messageId": 7}),
        json!({"type": "ReceivedCallback", "phone": ["5511987654321"], "messageId": "X"}),
        json!({"type": "ReceivedCallback", "phone": "5511987654321", "messageId": "X", "text": "oi"}),
        json!({"type": "ReceivedCallback", "phone": "5511987654321", "messageId": "X", "fromMe": "yes"}),
        json!({"type": "MessageStatusCallback", "status": "READ", "ids": "3EB0"}),
        json!({"type": "DeliveryCallback", "messageId": {"id": "3EB0"}}),
    ] {
        let result = normalize_bytes(body.to_string().as_bytes(), true);
        assert!(result.is_err(), "{body}");
    }
}

#[test]
fn objects_ponte_does_not_act_on_are_ignored_with_a_reason() {
    let cases = [
        (json!({}), "a body without an event type"),
        (
            json!({"type": "ReceivedCallback"}),
            "ReceivedCallback without messageId names no chat",
        ),
        (
            json!({"type": "ReceivedCallback", "phone": "5511987654321", "momment": 1}),
            "ReceivedCallback in 5511987654321 without messageId",
        ),
        (
            json!({"type": "ReceivedCallback", "phone": "nobody", "messageId": "X"}),
            "message X: chat nobody is no WhatsApp id",
        ),
        (
            json!({"type": "MessageStatusCallback", "status": "READ", "ids": []}),
            "status READ naming no message",
        ),
        (
            json!({"type": "MessageStatusCallback", "status": "PENDING", "ids": ["3EB0"]}),
            "status \"PENDING\"",
        ),
        (
            json!({"type": "DeliveryCallback", "phone": "5511987654321"}),
            "DeliveryCallback naming no message",
        ),
        (
            json!({"type": "ChatPresence", "instanceId": INSTANCE_ID}),
            "event ChatPresence",
        ),
    ];
    for (body, reason) in cases {
        let batch = normalize_bytes(body.to_string().as_bytes(), false).unwrap();
        assert_eq!(batch.ignored, [reason], "{body}");
        assert!(batch.messages.is_empty() && batch.statuses.is_empty());
    }
}

#[test]
fn sparse_and_odd_messages_still_normalize() {
    let body = json!({
        "type": "ReceivedCallBack",
        "phone": "5511987654321",
        "messageId": "3EB0SPARSE",
        "fromMe": null,
        "isGroup": null,
        "text": null,
        "momment": "1717600000000"
    });
    let batch = normalize_bytes(body.to_string().as_bytes(), false).unwrap();
    let m = &batch.messages[0];
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.timestamp_ms, 1_717_600_000_000);
    assert_eq!(
        m.content,
        Content::Unsupported {
            original_type: "unknown".into(),
            errors: vec![]
        }
    );

    // Without a timestamp the arrival time stands in; a text without its text is kept.
    let body =
        json!({"type": "ReceivedCallback", "phone": "5511987654321", "messageId": "Y", "text": {}});
    let m = &normalize_bytes(body.to_string().as_bytes(), false)
        .unwrap()
        .messages[0];
    assert_eq!(m.timestamp_ms, NOW_MS);
    assert!(
        matches!(&m.content, Content::Unsupported { original_type, .. } if original_type == "text")
    );

    // A location without coordinates and a reaction to no message are kept, unread.
    for (field, value) in [
        ("location", json!({"name": "?"})),
        ("reaction", json!({"value": "👍"})),
    ] {
        let mut body =
            json!({"type": "ReceivedCallback", "phone": "5511987654321", "messageId": "Z"});
        body[field] = value;
        let batch = normalize_bytes(body.to_string().as_bytes(), false).unwrap();
        assert!(
            matches!(&batch.messages[0].content, Content::Unsupported { original_type, .. } if original_type == field),
            "{field}"
        );
    }
}

#[test]
fn inline_base64_media_never_becomes_a_stored_link() {
    let body = json!({
        "type": "ReceivedCallback",
        "instanceId": INSTANCE_ID,
        "phone": "5511987654321",
        "messageId": "3EB0INLINE",
        "image": {"imageUrl": "data:image/png;base64,iVBORw0KGgo=", "mimeType": "image/png", "caption": "x"}
    });
    let batch = normalize_bytes(body.to_string().as_bytes(), false).unwrap();
    assert_eq!(
        batch.messages[0].content,
        Content::Image(Media {
            mime_type: Some("image/png".into()),
            caption: Some("x".into()),
            ..Media::default()
        })
    );
}

#[test]
fn a_group_member_known_only_by_linked_id_and_the_businesss_own_group_messages() {
    let mut body: Value = serde_json::from_slice(&fixture("group_text")).unwrap();
    body["participantPhone"] = Value::Null;
    let batch = normalize_bytes(body.to_string().as_bytes(), true).unwrap();
    assert_eq!(
        batch.messages[0].sender,
        Some(Sender {
            id: "74829302918374@lid".into(),
            phone: None,
            name: Some("Beatriz".into()),
        })
    );
    body["fromMe"] = json!(true);
    let batch = normalize_bytes(body.to_string().as_bytes(), true).unwrap();
    assert_eq!(batch.messages[0].direction, Direction::Outbound);
    assert_eq!(batch.messages[0].sender, None);
}

/// Every field of every fixture replaced by values of every JSON type: the adapter answers
/// `Ok` or `Malformed`, never a panic.
#[test]
fn no_field_of_any_type_makes_normalization_panic() {
    let replacements = [
        Value::Null,
        json!(true),
        json!(-1),
        json!(1e300),
        json!(""),
        json!("-group"),
        json!("@lid"),
        json!([]),
        json!([1, "x", null]),
        json!({}),
        json!({"messageId": 1, "message": [], "imageUrl": {}}),
    ];
    let channels = [channel(false), channel(true)];
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let body: Value =
            serde_json::from_slice(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        let Value::Object(fields) = &body else {
            panic!("fixtures are objects")
        };
        for (key, original) in fields {
            let mut paths = vec![vec![key.clone()]];
            if let Value::Object(inner) = original {
                paths.extend(inner.keys().map(|k| vec![key.clone(), k.clone()]));
            }
            for path in paths {
                for replacement in &replacements {
                    let mut mutated = body.clone();
                    let mut slot = &mut mutated;
                    for step in &path {
                        slot = &mut slot[step.as_str()];
                    }
                    *slot = replacement.clone();
                    let bytes = mutated.to_string().into_bytes();
                    for channel in &channels {
                        let _ = channel.normalize(&request(&bytes));
                    }
                }
            }
        }
    }
}

#[test]
fn the_sender_lid_is_the_contacts_only_on_inbound_messages_and_a_number_is_no_name() {
    let mut inbound: Value = serde_json::from_slice(&fixture("text")).unwrap();
    inbound["chatLid"] = Value::Null;
    inbound["senderName"] = json!("5511987654321");
    let batch = normalize_bytes(inbound.to_string().as_bytes(), false).unwrap();
    let m = &batch.messages[0];
    assert_eq!(
        m.contact.identity_keys(),
        [
            "phone:+5511987654321",
            "wa:5511987654321",
            "lid:272455595733154@lid"
        ]
    );
    assert_eq!(m.contact.name.as_deref(), Some("Ana Souza"));

    let mut echo: Value = serde_json::from_slice(&fixture("echo_from_me")).unwrap();
    echo["chatLid"] = Value::Null;
    let batch = normalize_bytes(echo.to_string().as_bytes(), false).unwrap();
    assert_eq!(
        batch.messages[0].contact.identity_keys(),
        ["phone:+5511987654321", "wa:5511987654321"]
    );
}
