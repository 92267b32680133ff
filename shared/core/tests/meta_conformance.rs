//! Every Meta payload of the conformance corpus (real bodies from pywa's test suite, read in place
//! from `../shared/conformance/`) is accepted: normalized, or cleanly ignored.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ponte_core::model::Content;
use ponte_core::providers::meta::parse_webhook;
use ponte_core::signature::verify_meta;
use serde_json::Value;

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

/// Every (file#case, body) in pywa's `tests/data/updates/*.json`.
fn payloads() -> Vec<(String, Value)> {
    let dir = corpus_dir().join("meta-whatsapp-cloud/pywa/tests/data/updates");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let cases: BTreeMap<String, Value> =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let stem = file.file_stem().unwrap().to_string_lossy().to_string();
        out.extend(
            cases
                .into_iter()
                .map(|(case, body)| (format!("{stem}#{case}"), body)),
        );
    }
    out
}

fn phone_number_id(body: &Value) -> String {
    body.pointer("/entry/0/changes/0/value/metadata/phone_number_id")
        .and_then(Value::as_str)
        .unwrap_or("none")
        .to_string()
}

#[test]
fn every_payload_is_normalized_or_cleanly_ignored() {
    let payloads = payloads();
    // The README says 77, but its own table sums to 74, which is what the files hold.
    assert_eq!(payloads.len(), 74);
    let (mut messages, mut statuses, mut ignored) = (0, 0, 0);
    for (name, body) in &payloads {
        let bytes = serde_json::to_vec(body).unwrap();
        let batch = parse_webhook(&bytes, &phone_number_id(body), 0)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            batch.unreadable.is_empty(),
            "{name}: {:?}",
            batch.unreadable
        );
        let events = batch.messages.len() + batch.statuses.len() + batch.ignored.len();
        assert!(events > 0, "{name}: neither normalized nor ignored");
        for m in &batch.messages {
            assert!(!m.provider_message_id.is_empty(), "{name}");
            assert!(m.timestamp_ms > 0, "{name}: provider timestamp lost");
            assert!(
                !m.contact.identity_keys().is_empty(),
                "{name}: no contact identity"
            );
        }
        messages += batch.messages.len();
        statuses += batch.statuses.len();
        ignored += batch.ignored.len();
    }
    // 39 payloads carry one message or echo each, 7 a message status; the rest are account,
    // template, call and preference events that Ponte accepts and ignores.
    assert_eq!((messages, statuses), (39, 7), "ignored: {ignored}");
}

#[test]
fn corpus_message_types_map_to_the_model() {
    let by_name: BTreeMap<String, Value> = payloads().into_iter().collect();
    let content = |name: &str| {
        let body = &by_name[name];
        let bytes = serde_json::to_vec(body).unwrap();
        parse_webhook(&bytes, &phone_number_id(body), 0)
            .unwrap()
            .messages[0]
            .content
            .clone()
    };
    assert!(matches!(content("message#text"), Content::Text { .. }));
    assert!(matches!(content("message#voice"), Content::Audio(m) if m.voice == Some(true)));
    assert!(
        matches!(content("message#animated_sticker"), Content::Sticker(m) if m.animated == Some(true))
    );
    assert!(matches!(content("message#media_with_url"), Content::Image(m) if m.url.is_some()));
    assert!(matches!(
        content("message#unreaction_no_emoji"),
        Content::Reaction { emoji: None, .. }
    ));
    assert!(matches!(
        content("message#unreaction_empty"),
        Content::Reaction { emoji: None, .. }
    ));
    assert!(matches!(content("message#order"), Content::Order { .. }));
    assert!(
        matches!(content("message#unsupported_with_type"), Content::Unsupported { original_type, errors } if original_type == "pool" && errors[0].code == 131051)
    );
    assert!(matches!(
        content("message#interactive_message_with_err"),
        Content::Unsupported { .. }
    ));
    assert!(matches!(
        content("flow_completion#completion"),
        Content::Interactive { .. }
    ));
    assert!(matches!(
        content("call_permission_update#accept"),
        Content::Interactive { .. }
    ));
    assert!(
        matches!(content("edited_message#image"), Content::Edit { content, .. } if matches!(*content, Content::Image(_)))
    );
    assert!(matches!(
        content("deleted_message#revoke"),
        Content::Revoke { .. }
    ));
    assert!(matches!(
        content("system#phone_number_change"),
        Content::System { .. }
    ));
    assert!(matches!(
        content("outgoing_message#edit"),
        Content::Edit { .. }
    ));
}

#[test]
fn edits_and_revokes_also_change_the_message_they_name() {
    let by_name: BTreeMap<String, Value> = payloads().into_iter().collect();
    let batch = |name: &str| {
        let body = &by_name[name];
        parse_webhook(
            &serde_json::to_vec(body).unwrap(),
            &phone_number_id(body),
            0,
        )
        .unwrap()
    };
    let edited = batch("edited_message#image");
    let Content::Edit {
        original_message_id,
        content,
    } = &edited.messages[0].content
    else {
        panic!("not an edit: {:?}", edited.messages[0].content);
    };
    assert_eq!(edited.edits.len(), 1);
    assert_eq!(&edited.edits[0].provider_message_id, original_message_id);
    assert_eq!(&edited.edits[0].content, content.as_ref());
    assert_eq!(
        edited.edits[0].edited_at_ms,
        edited.messages[0].timestamp_ms
    );

    let revoked = batch("deleted_message#revoke");
    let Content::Revoke {
        original_message_id,
    } = &revoked.messages[0].content
    else {
        panic!("not a revoke: {:?}", revoked.messages[0].content);
    };
    assert_eq!(revoked.deletions, vec![original_message_id.clone()]);
    assert!(batch("message#text").edits.is_empty() && batch("message#text").deletions.is_empty());
}

#[test]
fn signature_vectors_verify_over_the_raw_bytes() {
    let vectors: Value =
        serde_json::from_slice(&std::fs::read(corpus_dir().join("signatures.json")).unwrap())
            .unwrap();
    let list = vectors["meta_x_hub_signature_256"]["vectors"]
        .as_array()
        .unwrap();
    assert_eq!(list.len(), 2);
    for v in list {
        let secret = v["app_secret"].as_str().unwrap().as_bytes();
        let header = v["expected_header"].as_str().unwrap();
        let body = v
            .get("raw_body")
            .or(v.get("hmac_input_utf8"))
            .and_then(Value::as_str)
            .unwrap();
        assert_eq!(
            verify_meta(secret, body.as_bytes(), Some(header)),
            Ok(()),
            "{}",
            v["id"]
        );
        if let Some(unescaped) = v["body_as_written_in_test"].as_str() {
            assert!(
                verify_meta(secret, unescaped.as_bytes(), Some(header)).is_err(),
                "re-serialized body must not verify"
            );
        }
    }
    // The transcribed file holds the same signed bytes, byte for byte.
    let file = std::fs::read(
        corpus_dir().join("meta-whatsapp-cloud/pywa/transcribed/test_server_signed_message.json"),
    )
    .unwrap();
    let header = list[0]["expected_header"].as_str().unwrap();
    assert_eq!(
        verify_meta(
            list[0]["app_secret"].as_str().unwrap().as_bytes(),
            &file,
            Some(header)
        ),
        Ok(())
    );
}

#[test]
fn handshake_vectors() {
    use ponte_core::providers::meta::verify_handshake;
    let vectors: Value =
        serde_json::from_slice(&std::fs::read(corpus_dir().join("signatures.json")).unwrap())
            .unwrap();
    for v in vectors["meta_webhook_verification_handshake"]["vectors"]
        .as_array()
        .unwrap()
    {
        let token = v["configured_verify_token"].as_str().unwrap();
        let pairs = |q: &Value| -> Vec<(String, String)> {
            q.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        };
        let ok = pairs(&v["query"]);
        let got = verify_handshake(ok.iter().map(|(k, v)| (k.as_str(), v.as_str())), token);
        assert_eq!(got, Ok(v["expected_response_body"].as_str().unwrap()));
        for negative in v["negative_cases"].as_array().unwrap() {
            let q = pairs(&negative["query"]);
            assert!(
                verify_handshake(q.iter().map(|(k, v)| (k.as_str(), v.as_str())), token).is_err(),
                "{negative}"
            );
        }
    }
}
