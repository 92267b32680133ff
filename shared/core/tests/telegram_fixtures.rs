//! The Telegram adapter against updates written from the Bot API's documented format
//! (`tests/fixtures/telegram/`, shared with the end-to-end tests), through the provider seam.

use std::path::PathBuf;

use ponte_core::model::{Content, Direction, InboundBatch, InteractiveReply};
use ponte_core::providers::{provider, Channel, Malformed, WebhookRequest};
use serde_json::{json, Value};

const NOW_MS: i64 = 1_800_000_000_000;
const SECRET: &str = "s3cret-Webhook_token";

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/telegram")
        .join(format!("{name}.json"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn channel(include_groups: bool) -> Box<dyn Channel> {
    provider("telegram")
        .expect("telegram is registered")
        .open(
            json!({"include_groups": include_groups}),
            json!({"bot_token": "123456:ABC-DEF1234ghIkl", "webhook_secret": SECRET}),
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

fn request<'a>(body: &'a [u8], headers: &'a [(&'static str, String)]) -> WebhookRequest<'a> {
    WebhookRequest {
        method: "POST",
        url: "https://ponte.example/webhooks/telegram/tok",
        rest: "",
        query: &[],
        headers,
        body,
        received_at_ms: NOW_MS,
    }
}

fn normalize(body: &[u8], include_groups: bool) -> Result<InboundBatch, Malformed> {
    channel(include_groups).normalize(&request(body, &[]))
}

fn parse_with(name: &str, include_groups: bool) -> InboundBatch {
    let batch = normalize(&fixture(name), include_groups).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        batch.unreadable.is_empty(),
        "{name}: {:?}",
        batch.unreadable
    );
    batch
}

fn parse(name: &str) -> InboundBatch {
    parse_with(name, false)
}

fn content(name: &str) -> Content {
    let batch = parse(name);
    assert_eq!(batch.messages.len(), 1, "{name}");
    batch.messages[0].content.clone()
}

#[test]
fn the_secret_header_is_required_and_must_match_exactly() {
    let channel = channel(false);
    let body = fixture("text_reply");
    let with = |value: &str| vec![("x-telegram-bot-api-secret-token", value.to_string())];
    assert!(channel.authenticate(&request(&body, &with(SECRET))).is_ok());
    for forged in ["", "s3cret", "s3cret-Webhook_tokem", "S3CRET-WEBHOOK_TOKEN"] {
        assert!(
            channel
                .authenticate(&request(&body, &with(forged)))
                .is_err(),
            "{forged:?}"
        );
    }
    assert!(channel.authenticate(&request(&body, &[])).is_err());
    let header = provider("telegram").unwrap().webhook_headers();
    assert_eq!(header, ["x-telegram-bot-api-secret-token"]);
}

#[test]
fn a_private_text_is_the_users_with_the_chat_scoped_id_and_its_quote() {
    let batch = parse("text_reply");
    let m = &batch.messages[0];
    assert_eq!(m.provider_message_id, "111:42");
    assert_eq!(m.direction, Direction::Inbound);
    assert_eq!(m.timestamp_ms, 1_717_600_000_000);
    assert_eq!(m.contact.identity_keys(), ["tg:111"]);
    assert_eq!(m.contact.name.as_deref(), Some("Ana Souza"));
    assert_eq!(m.contact.username.as_deref(), Some("ana"));
    assert_eq!(
        m.content,
        Content::Text {
            body: "oi, ainda tem?".into()
        }
    );
    let context = m.context.as_ref().expect("a reply");
    assert_eq!(context.message_id.as_deref(), Some("111:41"));
    assert!(m.sender.is_none());
    assert!(channel(false).reply(&batch).is_none());
}

#[test]
fn media_keep_the_file_id_and_the_largest_photo() {
    let Content::Image(photo) = content("photo") else {
        panic!("an image")
    };
    // The most pixels, not the most bytes.
    assert_eq!(photo.id.as_deref(), Some("AgACAgEAAxkBAAMr-large"));
    assert_eq!(photo.caption.as_deref(), Some("esta aqui"));
    let Content::Audio(voice) = content("voice") else {
        panic!("audio")
    };
    assert_eq!(voice.voice, Some(true));
    assert_eq!(voice.mime_type.as_deref(), Some("audio/ogg"));
    let Content::Document(doc) = content("document") else {
        panic!("a document")
    };
    assert_eq!(doc.filename.as_deref(), Some("pedido.pdf"));
    assert_eq!(doc.caption.as_deref(), Some("meu pedido"));
    assert_eq!(doc.id.as_deref(), Some("BQACAgEAAxkBAAMt-doc"));
}

#[test]
fn locations_and_contacts_are_kept() {
    let Content::Location {
        latitude,
        longitude,
        ..
    } = content("location")
    else {
        panic!("a location")
    };
    assert_eq!((latitude, longitude), (-23.5, -46.6));
    let Content::Contacts { contacts } = content("contact") else {
        panic!("contacts")
    };
    assert_eq!(contacts[0]["phone_number"], "+5511987654321");
}

#[test]
fn groups_follow_include_groups_and_name_the_member() {
    let skipped = parse("group_text");
    assert!(skipped.messages.is_empty());
    assert!(
        skipped.ignored[0].contains("supergroup"),
        "{:?}",
        skipped.ignored
    );
    let kept = parse_with("group_text", true);
    let m = &kept.messages[0];
    assert_eq!(m.provider_message_id, "-1001234567890:7");
    assert_eq!(m.contact.identity_keys(), ["group:tg:-1001234567890"]);
    assert_eq!(m.contact.name.as_deref(), Some("Clientes VIP"));
    let sender = m.sender.as_ref().expect("the member who wrote");
    assert_eq!(
        (sender.id.as_str(), sender.name.as_deref()),
        ("111", Some("Ana"))
    );
}

#[test]
fn an_edit_is_the_message_as_it_now_is_and_an_edit_of_the_stored_one() {
    let batch = parse("edited_text");
    assert_eq!(batch.messages.len(), 1);
    assert_eq!(batch.messages[0].provider_message_id, "111:42");
    assert_eq!(batch.messages[0].timestamp_ms, 1_717_600_000_000);
    let edit = &batch.edits[0];
    assert_eq!(edit.provider_message_id, "111:42");
    assert_eq!(edit.edited_at_ms, 1_717_600_300_000);
    assert_eq!(
        edit.content,
        Content::Text {
            body: "oi, ainda tem a azul?".into()
        }
    );
}

#[test]
fn a_button_tap_is_a_button_reply_named_by_its_label_and_answered_in_the_response() {
    let batch = parse("callback_query");
    let m = &batch.messages[0];
    assert_eq!(m.provider_message_id, "callback:4382bfdwdsb323b2d9");
    assert_eq!(m.contact.identity_keys(), ["tg:111"]);
    assert_eq!(m.timestamp_ms, NOW_MS, "a callback has no date of its own");
    assert_eq!(
        m.content,
        Content::Interactive {
            reply: InteractiveReply::ButtonReply {
                id: "confirm:4521".into(),
                title: "Sim, confirmo".into()
            }
        }
    );
    assert_eq!(
        m.context.as_ref().and_then(|c| c.message_id.as_deref()),
        Some("111:48")
    );
    let reply = channel(false).reply(&batch).expect("answerCallbackQuery");
    let body: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(
        body,
        json!({"method": "answerCallbackQuery", "callback_query_id": "4382bfdwdsb323b2d9"})
    );
}

#[test]
fn other_update_kinds_are_ignored_by_name_and_garbage_is_malformed() {
    let batch = parse("inline_query");
    assert!(batch.messages.is_empty());
    assert_eq!(batch.ignored, ["update inline_query"]);
    assert!(normalize(b"not json", false).is_err());
    assert!(normalize(b"[1,2]", false).is_err());
    let unreadable = normalize(br#"{"update_id":1,"message":{"text":"no chat"}}"#, false)
        .expect("a signed update is kept");
    assert_eq!(unreadable.unreadable.len(), 1, "{unreadable:?}");
}
