//! The GupShup adapter against callbacks written from its documented v2 and v3 formats
//! (`tests/fixtures/gupshup/`, shared with the end-to-end tests), through the provider seam.

use std::path::PathBuf;

use ponte_core::model::{Content, Direction, InboundBatch, InteractiveReply, MessageAlias};
use ponte_core::providers::{provider, Channel, WebhookRequest};
use ponte_core::status::DeliveryStatus;
use serde_json::json;

const NOW_MS: i64 = 1_800_000_000_000;
const GS_ID: &str = "59f8db90-c37e-4408-90ab-cc54ef8246ad";
const WA_ID: &str = "gBEGkYiEB1VXAglK1ZEqA1YKPrU";

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/gupshup")
        .join(format!("{name}.json"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn channel() -> Box<dyn Channel> {
    provider("gupshup")
        .expect("gupshup is registered")
        .open(
            json!({"app_name": "PonteDemo", "source": "+55 11 4002-8922"}),
            json!({"api_key": "k3y"}),
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

fn normalize(body: &[u8]) -> Result<InboundBatch, String> {
    let request = WebhookRequest {
        method: "POST",
        url: "https://ponte.example/webhooks/gupshup/tok",
        rest: "",
        query: &[],
        headers: &[],
        body,
        received_at_ms: NOW_MS,
    };
    let channel = channel();
    channel.authenticate(&request).map_err(|e| e.0)?;
    channel.normalize(&request).map_err(|e| e.0)
}

fn parse(name: &str) -> InboundBatch {
    let batch = normalize(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        batch.unreadable.is_empty(),
        "{name}: {:?}",
        batch.unreadable
    );
    batch
}

fn content(name: &str) -> Content {
    let batch = parse(name);
    assert_eq!(batch.messages.len(), 1, "{name}");
    batch.messages[0].content.clone()
}

#[test]
fn a_text_names_its_sender_by_number_and_replies_to_our_send_by_gupshups_id() {
    let batch = parse("text_reply");
    let [message] = batch.messages.as_slice() else {
        panic!("one message: {batch:?}")
    };
    assert_eq!(
        message.provider_message_id,
        "ABEGkYaYVSEEAhAL3SLAWwHKeKrt6s3FKB0c"
    );
    assert_eq!(message.direction, Direction::Inbound);
    assert_eq!(message.timestamp_ms, 1_780_000_000_123);
    assert_eq!(
        message.contact.identity_keys(),
        vec!["phone:+5511987654321", "wa:5511987654321"]
    );
    assert_eq!(message.contact.name.as_deref(), Some("Ana"));
    assert_eq!(
        message.content,
        Content::Text {
            body: "Oi, tudo bem?".into()
        }
    );
    let context = message.context.as_ref().expect("a reply");
    assert_eq!(
        context.message_id.as_deref(),
        Some("9b71295f-f7af-4c1f-b2b4-31b4a4867bad")
    );
}

#[test]
fn an_older_brazilian_number_is_one_contact_with_its_ninth_digit() {
    let batch = parse("text_old_brazilian");
    assert_eq!(
        batch.messages[0].contact.identity_keys(),
        vec!["phone:+5511987654321", "wa:551187654321"]
    );
}

#[test]
fn each_kind_of_file_keeps_its_url_type_and_caption() {
    let Content::Image(image) = content("image") else {
        panic!("image")
    };
    assert!(image
        .url
        .as_deref()
        .unwrap()
        .starts_with("https://filemanager.gupshup.io/"));
    assert_eq!(image.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(image.caption.as_deref(), Some("a foto"));
    let Content::Document(file) = content("file") else {
        panic!("file")
    };
    assert_eq!(file.filename.as_deref(), Some("boleto.pdf"));
    assert_eq!(file.caption, None, "an empty caption is none");
    assert!(
        matches!(content("audio"), Content::Audio(a) if a.mime_type.as_deref() == Some("audio/ogg; codecs=opus"))
    );
    assert!(
        matches!(content("video"), Content::Video(v) if v.caption.as_deref() == Some("olha isso"))
    );
}

#[test]
fn contacts_locations_and_choices_are_read() {
    let Content::Contacts { contacts } = content("contact") else {
        panic!("contacts")
    };
    assert_eq!(contacts[0]["name"]["formatted_name"], "Carlos Lima");
    assert_eq!(
        content("location"),
        Content::Location {
            latitude: -23.55052,
            longitude: -46.633308,
            name: Some("Praça da Sé".into()),
            address: Some("São Paulo".into()),
            url: None,
        }
    );
    assert_eq!(
        content("button_reply"),
        Content::Interactive {
            reply: InteractiveReply::ButtonReply {
                id: "confirm-yes".into(),
                title: "Sim".into()
            }
        }
    );
    assert_eq!(
        content("list_reply"),
        Content::Interactive {
            reply: InteractiveReply::ListReply {
                id: "topic-delivery".into(),
                title: "Entrega".into(),
                description: Some("Onde está meu pedido".into()),
            }
        }
    );
}

#[test]
fn events_name_our_send_by_gupshups_id_and_pair_it_with_whatsapps() {
    let alias = MessageAlias {
        provider_message_id: GS_ID.into(),
        alias: WA_ID.into(),
    };
    let enqueued = parse("event_enqueued");
    assert!(
        enqueued.statuses.is_empty(),
        "the send's answer already said it"
    );
    assert_eq!(enqueued.aliases, vec![alias.clone()]);
    for (name, status, at) in [
        ("event_sent", DeliveryStatus::Sent, 1_780_000_011_000),
        (
            "event_delivered",
            DeliveryStatus::Delivered,
            1_780_000_012_000,
        ),
    ] {
        let batch = parse(name);
        assert_eq!(batch.aliases, vec![alias.clone()], "{name}");
        let [update] = batch.statuses.as_slice() else {
            panic!("{name}: one status")
        };
        assert_eq!(update.provider_message_id, GS_ID, "{name}");
        assert_eq!(update.status, status);
        assert_eq!(update.timestamp_ms, at);
    }
    // Past a week GupShup's id is gone: the status names WhatsApp's, which the store resolves.
    let late = parse("event_read_after_a_week");
    assert!(late.aliases.is_empty());
    assert_eq!(late.statuses[0].provider_message_id, WA_ID);
    assert_eq!(late.statuses[0].status, DeliveryStatus::Read);
}

#[test]
fn a_failure_carries_gupshups_code_and_reason() {
    let batch = parse("event_failed");
    let update = &batch.statuses[0];
    assert_eq!(
        update.provider_message_id,
        "ee4a68a0-1203-4c85-8dc3-49d0b3226a35"
    );
    assert_eq!(update.status, DeliveryStatus::Failed);
    let error = update.error.as_ref().expect("a reason");
    assert_eq!(error.code, 1002);
    assert_eq!(error.title, "Number Does Not Exists On WhatsApp");
}

#[test]
fn other_events_and_other_apps_are_ignored_with_their_reason() {
    for name in ["user_event_opted_in", "other_app"] {
        let batch = parse(name);
        assert!(
            batch.messages.is_empty() && batch.statuses.is_empty(),
            "{name}"
        );
        assert_eq!(batch.ignored.len(), 1, "{name}: {:?}", batch.ignored);
    }
    assert!(parse("other_app").ignored[0].contains("SomeoneElsesApp"));
}

#[test]
fn v3_bodies_are_the_cloud_apis_with_gupshups_ids() {
    let wa = "wamid.HBgMOTE5MTYzODA1ODczFQIAERgSNkZCMThGMEEwQzJDOUFGQjFBAA==";
    let gs = "2baff204-c39a-4121-90b5-f53f26d522b3";
    let alias = MessageAlias {
        provider_message_id: gs.into(),
        alias: wa.into(),
    };
    let enqueued = parse("v3_enqueued");
    assert!(enqueued.statuses.is_empty());
    assert_eq!(enqueued.aliases, vec![alias.clone()]);
    let delivered = parse("v3_delivered");
    assert_eq!(delivered.aliases, vec![alias]);
    assert_eq!(delivered.statuses[0].provider_message_id, gs);
    assert_eq!(delivered.statuses[0].status, DeliveryStatus::Delivered);
    assert_eq!(delivered.statuses[0].timestamp_ms, 1_780_000_021_000);
    let text = parse("v3_text");
    assert_eq!(text.messages[0].contact.name.as_deref(), Some("Ana"));
    assert_eq!(
        text.messages[0].content,
        Content::Text {
            body: "oi pela v3".into()
        }
    );
}

#[test]
fn a_body_that_is_no_callback_is_malformed_and_one_bad_message_costs_only_itself() {
    assert!(normalize(b"not json").unwrap_err().contains("JSON"));
    assert!(normalize(br#"{"app":"PonteDemo"}"#).is_err(), "no type");
    let broken = br#"{"app":"PonteDemo","timestamp":1,"version":2,"type":"message","payload":{"id":"x","type":"text","payload":{"text":5},"sender":{"phone":"5511987654321"}}}"#;
    let batch = normalize(broken).expect("read");
    assert!(batch.messages.is_empty());
    assert_eq!(batch.unreadable.len(), 1, "{batch:?}");
}
