//! The Meta adapter against fixtures written from Meta's documented webhook format
//! (`tests/fixtures/meta/`, shared with the end-to-end tests).

use std::path::PathBuf;

use ponte_core::model::{Content, Direction, InboundBatch, InteractiveReply, ProviderError};
use ponte_core::providers::meta::{parse_webhook, ParseError};
use ponte_core::status::DeliveryStatus;

const PHONE_NUMBER_ID: &str = "110200340056789";
const NOW_MS: i64 = 1_800_000_000_000;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/meta")
        .join(format!("{name}.json"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(name: &str) -> InboundBatch {
    parse_webhook(&fixture(name), PHONE_NUMBER_ID, NOW_MS).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn only_content(name: &str) -> Content {
    let batch = parse(name);
    assert_eq!(batch.messages.len(), 1, "{name}");
    batch.messages[0].content.clone()
}

#[test]
fn text_keeps_body_sender_profile_and_provider_timestamp() {
    let batch = parse("text");
    let m = &batch.messages[0];
    assert_eq!(m.provider_message_id, "wamid.TEXT1");
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.timestamp_ms, 1_717_600_000_000);
    assert_eq!(
        m.contact.identity_keys(),
        [
            "phone:+5511987654321",
            "wa:5511987654321",
            "bsuid:BR.118159992128868"
        ]
    );
    assert_eq!(m.contact.name.as_deref(), Some("Ana Souza"));
    assert_eq!(
        m.content,
        Content::Text {
            body: "Oi, tudo bem? Quero saber do pedido 123 🙂".into()
        }
    );
    assert!(batch.statuses.is_empty() && batch.ignored.is_empty());
}

#[test]
fn media_messages_keep_their_reference_caption_and_flags() {
    let Content::Image(image) = only_content("image") else {
        panic!("image")
    };
    assert_eq!(image.id.as_deref(), Some("1480000000000001"));
    assert_eq!(image.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(image.sha256.as_deref(), Some("b1d3f2c8e6a4"));
    assert_eq!(image.caption.as_deref(), Some("Foto do produto"));

    let Content::Audio(voice) = only_content("audio_voice") else {
        panic!("voice")
    };
    assert_eq!(voice.voice, Some(true));
    let Content::Audio(file) = only_content("audio_file") else {
        panic!("audio")
    };
    assert_eq!(file.voice, Some(false));

    let Content::Video(video) = only_content("video") else {
        panic!("video")
    };
    assert_eq!(video.caption.as_deref(), Some("unboxing"));
    let Content::Document(doc) = only_content("document") else {
        panic!("document")
    };
    assert_eq!(doc.filename.as_deref(), Some("nf-123.pdf"));
    let Content::Sticker(sticker) = only_content("sticker") else {
        panic!("sticker")
    };
    assert_eq!(sticker.animated, Some(false));
}

#[test]
fn location_and_shared_contacts() {
    match only_content("location") {
        Content::Location {
            latitude,
            longitude,
            name,
            address,
            ..
        } => {
            assert_eq!((latitude, longitude), (-23.561414, -46.655881));
            assert_eq!(name.as_deref(), Some("MASP"));
            assert!(address.unwrap().contains("Paulista"));
        }
        other => panic!("{other:?}"),
    }
    let Content::Contacts { contacts } = only_content("contacts") else {
        panic!("contacts")
    };
    assert_eq!(contacts[0]["name"]["formatted_name"], "Bruno Lima");
}

#[test]
fn interactive_replies_and_template_buttons() {
    let batch = parse("interactive_button_reply");
    assert_eq!(
        batch.messages[0].content,
        Content::Interactive {
            reply: InteractiveReply::ButtonReply {
                id: "confirm-order-123".into(),
                title: "Confirmar".into()
            }
        }
    );
    assert_eq!(
        batch.messages[0]
            .context
            .as_ref()
            .unwrap()
            .message_id
            .as_deref(),
        Some("wamid.OUTBOUND_MENU")
    );
    assert_eq!(
        only_content("interactive_list_reply"),
        Content::Interactive {
            reply: InteractiveReply::ListReply {
                id: "slot-14h".into(),
                title: "14:00".into(),
                description: Some("Terça-feira".into())
            }
        }
    );
    assert_eq!(
        only_content("template_quick_reply"),
        Content::Button {
            payload: "STOP_PROMOS".into(),
            text: "Parar promoções".into()
        }
    );
}

#[test]
fn reactions_and_their_removal() {
    assert_eq!(
        only_content("reaction"),
        Content::Reaction {
            message_id: "wamid.OUTBOUND_MENU".into(),
            emoji: Some("❤️".into())
        }
    );
    assert_eq!(
        only_content("reaction_removed"),
        Content::Reaction {
            message_id: "wamid.OUTBOUND_MENU".into(),
            emoji: None
        }
    );
}

#[test]
fn unsupported_and_unknown_types_are_kept_typed_as_unsupported() {
    assert_eq!(
        only_content("unsupported"),
        Content::Unsupported {
            original_type: "unsupported".into(),
            errors: vec![ProviderError {
                code: 131051,
                title: "Message type unknown".into(),
                detail: Some("Message type is currently not supported.".into())
            }]
        }
    );
    assert_eq!(
        only_content("unknown_type"),
        Content::Unsupported {
            original_type: "hologram".into(),
            errors: vec![]
        }
    );
}

#[test]
fn reply_context_is_kept() {
    let batch = parse("reply_with_context");
    let context = batch.messages[0].context.as_ref().unwrap();
    assert_eq!(context.message_id.as_deref(), Some("wamid.OUTBOUND_MENU"));
    assert_eq!(context.from.as_deref(), Some("5511940001000"));
}

#[test]
fn every_entry_change_message_and_status_is_handled() {
    let batch = parse("batched");
    let ids: Vec<&str> = batch
        .messages
        .iter()
        .map(|m| m.provider_message_id.as_str())
        .collect();
    assert_eq!(ids, ["wamid.BATCH1", "wamid.BATCH2", "wamid.BATCH3"]);
    assert_eq!(batch.messages[1].contact.name.as_deref(), Some("Dani"));
    assert_eq!(batch.statuses.len(), 1);
    assert_eq!(batch.statuses[0].status, DeliveryStatus::Delivered);
    assert_eq!(batch.ignored, vec!["field account_update".to_string()]);
}

#[test]
fn echoes_are_outbound_to_the_customer() {
    let batch = parse("echo_text");
    let m = &batch.messages[0];
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(m.contact.key_of("wa").as_deref(), Some("5511987654321"));
    assert_eq!(m.contact.name.as_deref(), Some("Ana Souza"));
}

#[test]
fn statuses_carry_time_and_failure_reason() {
    let sent = parse("status_sent");
    assert_eq!(sent.statuses[0].status, DeliveryStatus::Sent);
    assert_eq!(sent.statuses[0].timestamp_ms, 1_717_600_060_000);
    let failed = parse("status_failed");
    let error = failed.statuses[0].error.as_ref().unwrap();
    assert_eq!(failed.statuses[0].status, DeliveryStatus::Failed);
    assert_eq!(error.code, 131047);
    assert_eq!(error.title, "Re-engagement message");
}

#[test]
fn ponte_own_status_words_are_never_taken_from_a_webhook() {
    let sent = String::from_utf8(fixture("status_sent")).unwrap();
    for word in ["queued", "unknown"] {
        let body = sent.replace("\"status\": \"sent\"", &format!("\"status\": \"{word}\""));
        assert_ne!(body, sent, "the fixture names its status");
        let batch = parse_webhook(body.as_bytes(), PHONE_NUMBER_ID, NOW_MS).unwrap();
        assert!(batch.statuses.is_empty(), "{word}: {batch:?}");
        assert_eq!(batch.ignored, [format!("status {word}")]);
    }
}

#[test]
fn another_phone_numbers_events_are_ignored() {
    let batch = parse("other_phone_number");
    assert!(batch.messages.is_empty());
    assert_eq!(
        batch.ignored,
        vec!["phone_number_id 999999999999 is not this channel's".to_string()]
    );
}

#[test]
fn brazilian_ninth_digit_variants_resolve_to_one_identity() {
    let without = parse("brazil_without_ninth_digit").messages[0]
        .contact
        .identity_keys();
    let with = parse("brazil_with_ninth_digit").messages[0]
        .contact
        .identity_keys();
    assert_eq!(without[0], "phone:+5531988887777");
    assert_eq!(without[0], with[0]);
}

#[test]
fn malformed_input_is_told_apart() {
    assert!(matches!(
        parse_webhook(b"{not json", PHONE_NUMBER_ID, NOW_MS),
        Err(ParseError::NotJson(_))
    ));
    assert!(matches!(
        parse_webhook(&fixture("not_meta_shape"), PHONE_NUMBER_ID, NOW_MS),
        Err(ParseError::NotMetaShape(_))
    ));
    assert!(matches!(
        parse_webhook(b"[]", PHONE_NUMBER_ID, NOW_MS),
        Err(ParseError::NotMetaShape(_))
    ));
}

/// One bad message, status or change inside a delivery costs only itself: the rest is read, and
/// the batch says what could not be.
#[test]
fn a_malformed_item_costs_only_itself() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"changes":[
        {"field":"messages","value":{"messages":[
            {"from":"5511987654321","id":"wamid.A","timestamp":"1717600000","type":"text","text":{"body":"one"}},
            {"from":"5511987654321","type":"text","text":{"body":"no id"}},
            {"from":"5511987654321","id":"wamid.C","timestamp":["not","a","number"],"type":"text"},
            {"from":"5511987654321","id":"wamid.D","timestamp":"1717600001","type":"text","text":{"body":"four"}}],
         "statuses":[{"id":"wamid.S1","status":"read","timestamp":"1717600002","recipient_id":"5511987654321"},
                     {"id":42,"status":"read"}]}},
        {"field":"messages","value":{"messages":"not a list"}},
        {"field":"messages","value":{"messages":[{"from":"5511911112222","id":"wamid.E","timestamp":"1717600003","type":"text","text":{"body":"five"}}]}}
    ]}]}"#;
    let batch = parse_webhook(body, PHONE_NUMBER_ID, NOW_MS).unwrap();
    let ids: Vec<&str> = batch
        .messages
        .iter()
        .map(|m| m.provider_message_id.as_str())
        .collect();
    assert_eq!(ids, ["wamid.A", "wamid.D", "wamid.E"]);
    assert_eq!(batch.statuses.len(), 1);
    assert_eq!(batch.unreadable.len(), 4, "{:?}", batch.unreadable);
    assert!(
        batch.unreadable[0].contains("no id"),
        "{:?}",
        batch.unreadable
    );
    assert!(batch.unreadable.iter().any(|r| r.starts_with("a status:")));
    assert!(batch
        .unreadable
        .iter()
        .any(|r| r.starts_with("a change of field messages:")));
}

#[test]
fn other_objects_are_ignored_not_rejected() {
    let batch = parse_webhook(br#"{"object":"page","entry":[]}"#, PHONE_NUMBER_ID, NOW_MS).unwrap();
    assert_eq!(batch.ignored, vec!["object page".to_string()]);
}
