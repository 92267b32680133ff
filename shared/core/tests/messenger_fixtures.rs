//! The Messenger adapter against webhooks written from the Messenger Platform's documented
//! events (`tests/fixtures/messenger/`, shared with the end-to-end tests), through the provider
//! seam, for Facebook Pages (`object: page`) and Instagram accounts (`object: instagram`).

use std::path::PathBuf;

use ponte_core::model::{Content, Direction, InboundBatch, InteractiveReply, Media};
use ponte_core::providers::{provider, Channel, MediaFetch, WebhookRequest};
use ponte_core::signature::sign_meta;
use ponte_core::status::DeliveryStatus;
use serde_json::json;

const NOW_MS: i64 = 1_800_000_000_000;
const APP_SECRET: &str = "messenger-app-secret";
const PAGE: &str = "1122334455";
const USER: &str = "6543210987654321";
const IG_ACCOUNT: &str = "17841400000000001";
const IG_USER: &str = "1987654321012345";

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/messenger")
        .join(format!("{name}.json"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn channel() -> Box<dyn Channel> {
    provider("messenger")
        .expect("messenger is registered")
        .open(
            json!({"page_id": PAGE, "instagram_account_id": IG_ACCOUNT}),
            json!({"page_access_token": "EAAPage", "app_secret": APP_SECRET, "verify_token": "vt-4521"}),
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

fn request<'a>(
    body: &'a [u8],
    headers: &'a [(&'static str, String)],
    query: &'a [(String, String)],
) -> WebhookRequest<'a> {
    WebhookRequest {
        method: "POST",
        url: "https://ponte.example/webhooks/messenger/tok",
        rest: "",
        query,
        headers,
        body,
        received_at_ms: NOW_MS,
    }
}

fn parse(name: &str) -> InboundBatch {
    let body = fixture(name);
    let batch = channel()
        .normalize(&request(&body, &[], &[]))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        batch.unreadable.is_empty(),
        "{name}: {:?}",
        batch.unreadable
    );
    batch
}

fn only_content(name: &str) -> Content {
    let batch = parse(name);
    assert_eq!(batch.messages.len(), 1, "{name}");
    batch.messages[0].content.clone()
}

#[test]
fn the_signature_is_checked_over_the_raw_body_with_the_app_secret() {
    let channel = channel();
    let body = fixture("text_reply");
    let signed = |secret: &str, body: &[u8]| {
        vec![("x-hub-signature-256", sign_meta(secret.as_bytes(), body))]
    };
    assert!(channel
        .authenticate(&request(&body, &signed(APP_SECRET, &body), &[]))
        .is_ok());
    assert!(channel
        .authenticate(&request(&body, &signed("another-secret", &body), &[]))
        .is_err());
    let mut tampered = body.clone();
    tampered.push(b' ');
    assert!(channel
        .authenticate(&request(&tampered, &signed(APP_SECRET, &body), &[]))
        .is_err());
    assert!(channel.authenticate(&request(&body, &[], &[])).is_err());
}

#[test]
fn the_handshake_echoes_the_challenge_only_for_the_verify_token() {
    let channel = channel();
    let query = |token: &str| {
        vec![
            ("hub.mode".to_string(), "subscribe".to_string()),
            ("hub.challenge".to_string(), "1158201444".to_string()),
            ("hub.verify_token".to_string(), token.to_string()),
        ]
    };
    let right = query("vt-4521");
    let reply = channel
        .handshake(&request(b"", &[], &right))
        .expect("messenger has a handshake")
        .expect("the right token");
    assert_eq!((reply.status, reply.body.as_str()), (200, "1158201444"));
    let wrong = query("vt-4522");
    assert!(channel
        .handshake(&request(b"", &[], &wrong))
        .unwrap()
        .is_err());
}

#[test]
fn a_text_is_an_inbound_message_from_a_psid_with_its_reply_context_and_millisecond_time() {
    let batch = parse("text_reply");
    let m = &batch.messages[0];
    assert_eq!(m.provider_message_id, "m_AbC1-text");
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.timestamp_ms, 1_717_600_000_123);
    assert_eq!(m.contact.identity_keys(), [format!("psid:{USER}")]);
    assert_eq!(
        m.content,
        Content::Text {
            body: "Ainda tem o tênis 42?".into()
        }
    );
    let context = m.context.as_ref().expect("a reply");
    assert_eq!(context.message_id.as_deref(), Some("m_earlier-page-send"));
}

#[test]
fn each_attachment_is_a_message_of_its_own_after_the_text_fetched_directly_by_its_url() {
    let batch = parse("attachments");
    let kinds: Vec<&str> = batch
        .messages
        .iter()
        .map(|m| m.content.type_name())
        .collect();
    assert_eq!(
        kinds,
        [
            "text",
            "image",
            "audio",
            "video",
            "document",
            "sticker",
            "unsupported"
        ]
    );
    let ids: Vec<&str> = batch
        .messages
        .iter()
        .map(|m| m.provider_message_id.as_str())
        .collect();
    assert_eq!(ids[0], "m_AbC2-media");
    assert_eq!(ids[1], "m_AbC2-media#1");
    assert_eq!(ids[6], "m_AbC2-media#6");
    let Content::Image(image) = &batch.messages[1].content else {
        panic!("image")
    };
    let url = "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg?_nc_cat=1";
    assert_eq!(image.url.as_deref(), Some(url));
    match channel().media_fetch(image) {
        Some(MediaFetch::Direct(request)) => {
            assert_eq!(request.url, url);
            assert!(request.headers.is_empty(), "no token goes to the CDN");
        }
        other => panic!("{other:?}"),
    }
    let nothing = Media::default();
    assert!(channel().media_fetch(&nothing).is_none());
}

#[test]
fn a_quick_reply_and_a_postback_are_button_replies() {
    assert_eq!(
        only_content("quick_reply"),
        Content::Interactive {
            reply: InteractiveReply::ButtonReply {
                id: "COLOR_RED".into(),
                title: "Vermelho".into()
            }
        }
    );
    let batch = parse("postback");
    assert_eq!(batch.messages[0].provider_message_id, "m_AbC4-postback");
    assert_eq!(
        batch.messages[0].content,
        Content::Interactive {
            reply: InteractiveReply::ButtonReply {
                id: "HUMAN_AGENT".into(),
                title: "Falar com atendente".into()
            }
        }
    );
}

#[test]
fn a_reaction_and_its_removal_are_reactions_to_the_named_message() {
    let batch = parse("reaction");
    let contents: Vec<&Content> = batch.messages.iter().map(|m| &m.content).collect();
    assert_eq!(
        contents,
        [
            &Content::Reaction {
                message_id: "m_page-send-1".into(),
                emoji: Some("❤️".into())
            },
            &Content::Reaction {
                message_id: "m_page-send-1".into(),
                emoji: None
            }
        ]
    );
    assert_ne!(
        batch.messages[0].provider_message_id,
        batch.messages[1].provider_message_id
    );
}

#[test]
fn an_edit_replaces_the_stored_text_and_is_stored_if_never_seen() {
    let batch = parse("edit");
    assert_eq!(batch.edits.len(), 1);
    let edit = &batch.edits[0];
    assert_eq!(edit.provider_message_id, "m_AbC1-text");
    assert_eq!(edit.edited_at_ms, 1_717_600_004_999);
    assert_eq!(
        edit.content,
        Content::Text {
            body: "Ainda tem o tênis 43?".into()
        }
    );
    assert_eq!(batch.messages[0].provider_message_id, "m_AbC1-text");
}

#[test]
fn a_delivery_with_mids_is_a_status_per_message_and_without_them_a_watermark() {
    let batch = parse("delivery_mids");
    let statuses: Vec<(&str, DeliveryStatus, i64)> = batch
        .statuses
        .iter()
        .map(|s| (s.provider_message_id.as_str(), s.status, s.timestamp_ms))
        .collect();
    assert_eq!(
        statuses,
        [
            (
                "m_page-send-1",
                DeliveryStatus::Delivered,
                1_717_600_005_800
            ),
            (
                "m_page-send-2",
                DeliveryStatus::Delivered,
                1_717_600_005_800
            )
        ]
    );
    assert!(batch.watermarks.is_empty());
    let batch = parse("delivery_watermark");
    assert!(batch.statuses.is_empty());
    let [watermark] = batch.watermarks.as_slice() else {
        panic!("{:?}", batch.watermarks)
    };
    assert_eq!(watermark.status, DeliveryStatus::Delivered);
    assert_eq!(watermark.up_to_ms, 1_717_600_006_800);
    assert_eq!(watermark.contact.identity_keys(), [format!("psid:{USER}")]);
}

#[test]
fn a_read_is_a_watermark_of_the_contacts_conversation() {
    let batch = parse("read");
    let [watermark] = batch.watermarks.as_slice() else {
        panic!("{:?}", batch.watermarks)
    };
    assert_eq!(watermark.status, DeliveryStatus::Read);
    assert_eq!(watermark.up_to_ms, 1_717_600_007_500);
    assert!(batch.messages.is_empty() && batch.statuses.is_empty());
}

#[test]
fn an_echo_is_our_outbound_message_to_the_recipient() {
    let batch = parse("echo");
    let m = &batch.messages[0];
    assert_eq!(m.provider_message_id, "m_page-send-3");
    assert_eq!(m.direction, Direction::Outbound);
    assert_eq!(m.contact.identity_keys(), [format!("psid:{USER}")]);
}

#[test]
fn instagram_contacts_are_igsids_and_instagram_reads_and_unsends_are_applied() {
    let batch = parse("instagram_text");
    let m = &batch.messages[0];
    assert_eq!(m.contact.identity_keys(), [format!("igsid:{IG_USER}")]);
    assert_eq!(m.content.text(), Some("Oi, vi o post"));
    let seen = parse("instagram_seen");
    assert_eq!(seen.statuses[0].status, DeliveryStatus::Read);
    assert_eq!(
        seen.statuses[0].provider_message_id,
        "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQy"
    );
    assert_eq!(seen.watermarks[0].up_to_ms, 1_717_600_010_999);
    assert_eq!(
        seen.watermarks[0].contact.identity_keys(),
        [format!("igsid:{IG_USER}")]
    );
    let named_seen = String::from_utf8(fixture("instagram_seen"))
        .unwrap()
        .replace("\"read\"", "\"messaging_seen\"");
    let batch = channel()
        .normalize(&request(named_seen.as_bytes(), &[], &[]))
        .unwrap();
    assert_eq!(
        batch.statuses, seen.statuses,
        "messaging_seen reads as read"
    );
    let deleted = parse("instagram_deleted");
    assert_eq!(
        deleted.deletions,
        ["aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx"]
    );
    assert!(deleted.messages.is_empty());
}

#[test]
fn instagram_entries_must_name_the_linked_account_when_one_is_configured() {
    let without_instagram = provider("messenger")
        .unwrap()
        .open(
            json!({"page_id": PAGE}),
            json!({"page_access_token": "t", "app_secret": "s", "verify_token": "v"}),
        )
        .unwrap();
    let body = fixture("instagram_text");
    let batch = without_instagram
        .normalize(&request(&body, &[], &[]))
        .unwrap();
    assert!(batch.messages.is_empty());
    assert_eq!(batch.ignored.len(), 1, "{:?}", batch.ignored);
}

#[test]
fn several_entries_and_events_are_read_other_pages_ignored_and_a_bad_event_costs_only_itself() {
    let body = fixture("batched");
    let batch = channel().normalize(&request(&body, &[], &[])).unwrap();
    let ids: Vec<&str> = batch
        .messages
        .iter()
        .map(|m| m.provider_message_id.as_str())
        .collect();
    assert_eq!(ids, ["m_batch-1", "m_batch-2"]);
    assert_eq!(batch.unreadable.len(), 1, "{:?}", batch.unreadable);
    assert_eq!(batch.ignored.len(), 3, "{:?}", batch.ignored);
    assert!(batch.ignored.iter().any(|i| i.contains("optin")));
    assert!(batch.ignored.iter().any(|i| i.contains("9988776655")));
}

#[test]
fn what_is_not_a_messenger_webhook_is_malformed_or_ignored() {
    let channel = channel();
    assert!(channel.normalize(&request(b"not json", &[], &[])).is_err());
    let other = json!({"object": "whatsapp_business_account", "entry": []}).to_string();
    let batch = channel
        .normalize(&request(other.as_bytes(), &[], &[]))
        .unwrap();
    assert_eq!(batch.ignored.len(), 1);
}
