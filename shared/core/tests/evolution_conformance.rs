//! Every Evolution payload of the conformance corpus (an Evolution client library's test
//! fixtures, read in place from `../shared/conformance/`) meets what the corpus README's
//! Evolution table asks of it.

use std::path::{Path, PathBuf};

use ponte_core::model::{Content, Direction, InboundBatch};
use ponte_core::providers::evolution::Evolution;
use ponte_core::providers::{Channel, Malformed, Provider, WebhookRequest};
use serde_json::{json, Value};

const RECEIVED_AT_MS: i64 = 1_800_000_000_000;

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
    dir
}

/// Every `evolution/**/fixtures/*.json`, by file stem.
fn payloads() -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "json")
                && path
                    .parent()
                    .and_then(Path::file_name)
                    .is_some_and(|d| d == "fixtures")
            {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&corpus_dir().join("evolution"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, std::fs::read(&path).unwrap())
        })
        .collect()
}

/// A channel for the fixture's own instance, so that its events are this channel's.
fn channel_for(body: &[u8]) -> Box<dyn Channel> {
    let instance = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("instance")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "test-instance".into());
    Evolution
        .open(
            json!({"base_url": "http://127.0.0.1:8080", "instance": instance}),
            json!({"api_key": "conformance-key"}),
        )
        .unwrap()
}

fn normalize(name: &str, body: &[u8]) -> Result<InboundBatch, Malformed> {
    let channel = channel_for(body);
    let request = WebhookRequest {
        method: "POST",
        url: "https://ponte.example.com/webhooks/evolution/whk_conformance",
        rest: "",
        query: &[],
        headers: &[],
        body,
        received_at_ms: RECEIVED_AT_MS,
    };
    channel
        .authenticate(&request)
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    channel.normalize(&request)
}

fn nothing_stored(batch: &InboundBatch) -> bool {
    batch.messages.is_empty()
        && batch.statuses.is_empty()
        && batch.deletions.is_empty()
        && batch.connection.is_none()
}

#[test]
fn every_payload_meets_the_corpus_table() {
    let payloads = payloads();
    assert_eq!(payloads.len(), 7, "the corpus changed: review the table");
    for (name, body) in &payloads {
        let outcome = normalize(name, body);
        match name.as_str() {
            "valid_message_upsert" => {
                let batch = outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(batch.messages.len(), 1, "{name}: {batch:?}");
                let m = &batch.messages[0];
                assert_eq!(m.provider_message_id, "3EB0ABCD1234567890");
                assert_eq!(m.direction, Direction::Inbound);
                assert_eq!(
                    m.content,
                    Content::Text {
                        body: "Olá, gostaria de mais informações".into()
                    }
                );
                assert_eq!(
                    m.contact.identity_keys(),
                    ["phone:+5531999887766", "wa:5531999887766"]
                );
                assert_eq!(m.contact.name.as_deref(), Some("João Silva"));
                assert_eq!(m.timestamp_ms, 1_702_000_000_000);
            }
            "missing_from_field" => {
                let batch = outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(batch.messages.len(), 1, "{name}: {batch:?}");
                let m = &batch.messages[0];
                assert_eq!(m.provider_message_id, "MSG123");
                assert_eq!(m.direction, Direction::Inbound);
                assert_eq!(
                    m.content,
                    Content::Text {
                        body: "Hello".into()
                    }
                );
                assert_eq!(m.contact.name, None);
            }
            "incomplete_message_data" | "null_required_fields" | "unknown_event" => {
                let batch = outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(nothing_stored(&batch), "{name}: {batch:?}");
                assert_eq!(batch.ignored.len(), 1, "{name}: {batch:?}");
                if name == "unknown_event" {
                    assert_eq!(batch.ignored, ["event some.future.event"]);
                }
            }
            "empty_payload" | "malformed_random" => match outcome {
                Ok(batch) => {
                    assert!(nothing_stored(&batch), "{name}: {batch:?}");
                    assert!(!batch.ignored.is_empty(), "{name}: nothing said why");
                }
                Err(Malformed(reason)) => assert!(!reason.is_empty(), "{name}"),
            },
            other => panic!("{other}: not in the corpus table; say what it must do"),
        }
    }
}
