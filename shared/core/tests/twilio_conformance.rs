//! Every Twilio payload of the conformance corpus (form bodies from Bot Builder's Twilio
//! adapters, read in place from `../shared/conformance/twilio/`) is accepted: stored, or cleanly
//! ignored; and every Twilio signature vector of `signatures.json` verifies, through the channel.

use std::path::{Path, PathBuf};

use ponte_core::model::{Content, InboundBatch};
use ponte_core::providers::twilio::{params, Twilio};
use ponte_core::providers::{Channel, Provider, WebhookRequest};
use ponte_core::signature::{sign_twilio, verify_twilio, SignatureError};
use ponte_core::status::DeliveryStatus;
use serde_json::{json, Value};

const URL: &str = "https://ponte.example.com/webhooks/twilio/twl_tok3n";

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

fn channel(token: &str) -> Box<dyn Channel> {
    Twilio
        .open(
            json!({"account_sid": "AC1a03647d811fab342c0ad608e382fab2", "from": "whatsapp:+14123456789"}),
            json!({"auth_token": token}),
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Each corpus file as the form body Twilio posts: `.txt` files are raw bodies; `.json` files
/// hold the same parameters as an object (values as given, numbers written out).
fn bodies() -> Vec<(String, Vec<u8>)> {
    let root = corpus_dir().join("twilio");
    let mut paths = Vec::new();
    files(&root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path.strip_prefix(&root).unwrap().display().to_string();
            let bytes = std::fs::read(&path).unwrap();
            let body = match path.extension().and_then(|e| e.to_str()) {
                Some("txt") => bytes,
                Some("json") => {
                    let object: serde_json::Map<String, Value> =
                        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
                    let mut form = form_urlencoded::Serializer::new(String::new());
                    for (key, value) in &object {
                        let value = match value {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        form.append_pair(key, &value);
                    }
                    form.finish().into_bytes()
                }
                other => panic!("{name}: unexpected file type {other:?}"),
            };
            (name, body)
        })
        .collect()
}

/// Signed as Twilio would sign it, checked and normalized through the channel.
fn accept(body: &[u8]) -> InboundBatch {
    let channel = channel("corpus-token");
    let headers = vec![(
        "x-twilio-signature",
        sign_twilio(b"corpus-token", URL, &params(body)),
    )];
    let request = WebhookRequest {
        method: "POST",
        url: URL,
        rest: "",
        query: &[],
        headers: &headers,
        body,
        received_at_ms: 1_800_000_000_000,
    };
    channel.authenticate(&request).expect("signed");
    channel.normalize(&request).expect("accepted")
}

#[test]
fn every_corpus_payload_is_accepted() {
    let bodies = bodies();
    assert_eq!(bodies.len(), 16, "the corpus README lists 16 Twilio files");
    for (name, body) in &bodies {
        let batch = accept(body);
        assert!(batch.unreadable.is_empty(), "{name}: {batch:?}");
        let outcomes = batch.messages.len() + batch.statuses.len() + batch.ignored.len();
        assert_eq!(outcomes, 1, "{name}: {batch:?}");
        let stem = Path::new(name).file_name().unwrap().to_string_lossy();
        let stem = stem.split('.').next().unwrap();
        match stem {
            // Bot Builder's placeholders (`From=+2222`) are no phone number anyone has.
            "NoMediaPayload" | "MediaPayload" | "DictionaryPayload" | "DictionaryMediaPayload" => {
                assert!(
                    batch.ignored[0].contains("not a phone number"),
                    "{name}: {batch:?}"
                )
            }
            "whatsapp_inbound_text" => {
                assert_eq!(
                    batch.messages[0].content,
                    Content::Text {
                        body: "test".into()
                    }
                );
                assert_eq!(
                    batch.messages[0].contact.key_of("wa").as_deref(),
                    Some("31612345678")
                );
            }
            "whatsapp_inbound_image" => {
                let Content::Image(media) = &batch.messages[0].content else {
                    panic!("{name}: {batch:?}")
                };
                assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
                assert!(media
                    .url
                    .as_deref()
                    .unwrap()
                    .starts_with("https://api.twilio.com/"));
            }
            "whatsapp_inbound_location" => assert!(
                matches!(&batch.messages[0].content, Content::Location { name: Some(label), .. } if label == "Microsoft"),
                "{name}: {batch:?}"
            ),
            "whatsapp_status_sent" => assert_eq!(batch.statuses[0].status, DeliveryStatus::Sent),
            "whatsapp_status_delivered" => {
                assert_eq!(batch.statuses[0].status, DeliveryStatus::Delivered)
            }
            other => panic!("{name}: no expectation for {other}"),
        }
    }
}

/// A vector's parameters: an object (one value per name) or `[name, value]` pairs.
fn vector_params(vector: &Value) -> Vec<(String, String)> {
    match &vector["params"] {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect(),
        Value::Array(pairs) => pairs
            .iter()
            .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
            .collect(),
        other => panic!("params {other}"),
    }
}

#[test]
fn every_twilio_signature_vector_verifies_through_the_channel() {
    let path = corpus_dir().join("signatures.json");
    let all: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let vectors = all["twilio_x_twilio_signature"]["vectors"]
        .as_array()
        .unwrap();
    assert_eq!(vectors.len(), 13);
    for vector in vectors {
        let id = vector["id"].as_str().unwrap();
        let token = vector["auth_token"].as_str().unwrap();
        let url = vector["url"].as_str().unwrap();
        let signature = vector["expected_signature"].as_str().unwrap();
        let params = vector_params(vector);
        assert_eq!(
            verify_twilio(token.as_bytes(), url, &params, Some(signature)),
            Ok(()),
            "{id}"
        );
        // Through the adapter, as the pipeline hands it over: the body, the decoded query.
        let body = match vector.get("raw_body").and_then(Value::as_str) {
            Some(raw) => raw.as_bytes().to_vec(),
            None => {
                let mut form = form_urlencoded::Serializer::new(String::new());
                form.extend_pairs(&params);
                form.finish().into_bytes()
            }
        };
        let query: Vec<(String, String)> = url
            .split_once('?')
            .map(|(_, q)| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let headers = vec![("x-twilio-signature", signature.to_string())];
        let request = WebhookRequest {
            method: "POST",
            url,
            rest: "",
            query: &query,
            headers: &headers,
            body: &body,
            received_at_ms: 0,
        };
        let channel = channel(token);
        assert_eq!(channel.authenticate(&request), Ok(()), "{id}");
        // The same request with another token, or a body that no longer matches, is refused.
        assert!(
            self::channel("12346").authenticate(&request).is_err(),
            "{id}"
        );
        let mut altered = body.clone();
        altered.extend_from_slice(b"&Extra=1");
        let altered = WebhookRequest {
            body: &altered,
            ..request
        };
        assert!(channel.authenticate(&altered).is_err(), "{id}");
        // One flipped bit of the signature is a mismatch, not an accident of decoding.
        let mut flipped = signature.as_bytes().to_vec();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            verify_twilio(token.as_bytes(), url, &params, Some(&flipped)),
            Err(SignatureError::Mismatch),
            "{id}"
        );
    }
}
