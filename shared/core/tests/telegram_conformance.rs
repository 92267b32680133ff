//! Every Telegram update of the conformance corpus (nutgram's fixtures, read in place from
//! `../shared/conformance/`) is accepted: stored, or cleanly ignored, never unreadable.

use std::path::PathBuf;

use ponte_core::model::Content;
use ponte_core::providers::{provider, Channel, WebhookRequest};
use serde_json::{json, Value};

fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("PONTE_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
        });
    assert!(
        dir.is_dir(),
        "conformance corpus not found at {} (set PONTE_CONFORMANCE_DIR)",
        dir.display()
    );
    dir.join("telegram/nutgram/tests/Fixtures/Updates")
}

fn updates() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let name = f.file_stem().unwrap().to_string_lossy().to_string();
            (name, std::fs::read(&f).unwrap())
        })
        .collect()
}

fn channel(include_groups: bool) -> Box<dyn Channel> {
    provider("telegram")
        .unwrap()
        .open(
            json!({"include_groups": include_groups}),
            json!({"bot_token": "1:a", "webhook_secret": "s"}),
        )
        .unwrap()
}

fn normalize(channel: &dyn Channel, body: &[u8]) -> ponte_core::model::InboundBatch {
    let request = WebhookRequest {
        method: "POST",
        url: "https://ponte.example/webhooks/telegram/tok",
        rest: "",
        query: &[],
        headers: &[],
        body,
        received_at_ms: 1_800_000_000_000,
    };
    channel
        .normalize(&request)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_update_is_stored_or_cleanly_ignored() {
    let updates = updates();
    assert_eq!(updates.len(), 105, "the README counts 105 files");
    for include_groups in [false, true] {
        let channel = channel(include_groups);
        let (mut stored, mut ignored) = (0, 0);
        for (name, body) in &updates {
            let batch = normalize(channel.as_ref(), body);
            assert!(
                batch.unreadable.is_empty(),
                "{name}: {:?}",
                batch.unreadable
            );
            assert_eq!(
                batch.messages.len() + batch.ignored.len(),
                1,
                "{name}: one update is one message or one reason"
            );
            for m in &batch.messages {
                assert!(m.provider_message_id.contains(':'), "{name}");
                assert!(!m.contact.identity_keys().is_empty(), "{name}");
                assert!(m.timestamp_ms > 0, "{name}");
            }
            stored += batch.messages.len();
            ignored += batch.ignored.len();
        }
        assert_eq!(stored + ignored, 105);
        // Groups add messages, never take one away.
        assert!(stored >= 60, "{include_groups}: {stored} stored");
    }
}

/// The file's expected type when groups are stored: the kinds of content Ponte models.
#[test]
fn the_corpus_media_and_kinds_land_on_their_types() {
    let channel = channel(true);
    let updates = updates();
    let type_of = |name: &str| {
        let (_, body) = updates.iter().find(|(n, _)| n == name).expect(name);
        let batch = normalize(channel.as_ref(), body);
        batch.messages.first().map(|m| m.content.clone())
    };
    let expected = [
        ("text", "text"),
        ("photo", "image"),
        ("voice", "audio"),
        ("audio", "audio"),
        ("video", "video"),
        ("video_note", "video"),
        ("animation", "video"),
        ("document", "document"),
        ("sticker", "sticker"),
        ("location", "location"),
        ("venue", "location"),
        ("contact", "contacts"),
        ("message_poll", "unsupported"),
        ("dice", "unsupported"),
        ("new_chat_members", "system"),
        ("pinned_message", "system"),
        ("callback_query", "interactive"),
        ("callback_query_without_message", "interactive"),
        ("message_reaction", "reaction"),
        ("edited_message", "text"),
        ("channel_post", "text"),
    ];
    for (name, kind) in expected {
        let content = type_of(name).unwrap_or_else(|| panic!("{name} stored"));
        assert_eq!(content.type_name(), kind, "{name}: {content:?}");
    }
    let Some(Content::Image(photo)) = type_of("photo") else {
        panic!("photo")
    };
    // nutgram's photo: 720×960 is the largest picture though 600×800 has more bytes.
    assert_eq!(photo.id.as_deref(), Some("SAAS"));
    for ignored in ["inline_query", "poll", "chat_member", "business_connection"] {
        let (_, body) = updates.iter().find(|(n, _)| n == ignored).unwrap();
        let batch = normalize(channel.as_ref(), body);
        assert!(batch.messages.is_empty(), "{ignored}");
        assert!(
            batch.ignored[0].contains(ignored),
            "{ignored}: {:?}",
            batch.ignored
        );
    }
    let edited: Value = serde_json::from_slice(
        &updates
            .iter()
            .find(|(n, _)| n == "edited_message")
            .unwrap()
            .1,
    )
    .unwrap();
    let batch = normalize(channel.as_ref(), edited.to_string().as_bytes());
    assert_eq!(batch.edits.len(), 1);
    assert_eq!(batch.edits[0].provider_message_id, "999999999:23762");
}
