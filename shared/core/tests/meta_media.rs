//! Downloading Cloud API media: the attachment each media fixture normalizes into
//! (`tests/fixtures/meta/`) becomes Meta's documented two steps, a Graph lookup by id and a
//! download of the URL it names, both with the channel's token; and the sizes WhatsApp allows.

use std::path::PathBuf;

use ponte_core::media::{
    parse_sha256, whatsapp_media_limit, WHATSAPP_AUDIO_LIMIT, WHATSAPP_DOCUMENT_LIMIT,
    WHATSAPP_IMAGE_LIMIT, WHATSAPP_VIDEO_LIMIT,
};
use ponte_core::model::Media;
use ponte_core::providers::meta::{
    media_request, parse_webhook, MetaConfig, DEFAULT_GRAPH_BASE_URL, MEDIA_URL_FIELD,
};
use ponte_core::providers::{HttpRequest, MediaFetch};
use serde_json::json;

const PHONE_NUMBER_ID: &str = "110200340056789";
const TOKEN: &str = "EAAGm0PX4ZCpsBA";
const NOW_MS: i64 = 1_800_000_000_000;

fn config(graph_base_url: Option<&str>) -> MetaConfig {
    MetaConfig {
        phone_number_id: PHONE_NUMBER_ID.into(),
        graph_base_url: graph_base_url.map(str::to_string),
        business_account_id: None,
    }
}

/// The attachment of the one message a fixture holds, as normalize stores it.
fn media_of(name: &str) -> Media {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/meta")
        .join(format!("{name}.json"));
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let batch =
        parse_webhook(&body, PHONE_NUMBER_ID, NOW_MS).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(batch.messages.len(), 1, "{name}");
    batch.messages[0]
        .content
        .media()
        .cloned()
        .unwrap_or_else(|| panic!("{name} has no media"))
}

fn bearer() -> (&'static str, String) {
    ("Authorization", format!("Bearer {TOKEN}"))
}

fn resolve(lookup_url: &str) -> MediaFetch {
    MediaFetch::Resolve {
        lookup: HttpRequest {
            method: "GET",
            url: lookup_url.into(),
            headers: vec![bearer()],
            body: String::new(),
            secret_in_url: false,
        },
        url_field: "/url",
        relative_to: None,
        download_headers: vec![bearer()],
    }
}

#[test]
fn every_media_fixture_is_looked_up_by_its_id_with_the_token() {
    for (name, id) in [
        ("image", "1480000000000001"),
        ("audio_voice", "1480000000000002"),
        ("audio_file", "1480000000000003"),
        ("video", "1480000000000004"),
        ("document", "1480000000000005"),
        ("sticker", "1480000000000006"),
    ] {
        let media = media_of(name);
        assert_eq!(media.id.as_deref(), Some(id), "{name}");
        assert_eq!(
            media_request(&config(None), TOKEN, &media),
            Some(resolve(&format!("https://graph.facebook.com/v23.0/{id}"))),
            "{name}"
        );
    }
}

#[test]
fn the_lookup_goes_to_the_configured_graph_without_a_trailing_slash() {
    assert_eq!(
        media_request(
            &config(Some("http://127.0.0.1:8790/")),
            TOKEN,
            &media_of("image")
        ),
        Some(resolve("http://127.0.0.1:8790/1480000000000001"))
    );
    assert_eq!(DEFAULT_GRAPH_BASE_URL, "https://graph.facebook.com/v23.0");
}

#[test]
fn the_url_field_is_where_metas_documented_lookup_answer_has_it() {
    // The answer's shape in Meta's media reference.
    let answer = json!({
        "messaging_product": "whatsapp",
        "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1480000000000001&ext=1717600000&hash=ATu",
        "mime_type": "image/jpeg",
        "sha256": "3ba2b8dd2d0e01c4c8a6ff7c05b4ef59f3bdeb6a3a9b1f4a6a7c1e0d9c8b7a6f",
        "file_size": "303833",
        "id": "1480000000000001"
    });
    let Some(MediaFetch::Resolve { url_field, .. }) =
        media_request(&config(None), TOKEN, &media_of("image"))
    else {
        panic!("an id resolves")
    };
    assert_eq!(url_field, MEDIA_URL_FIELD);
    let download = MediaFetch::located(&answer, url_field, None, &[]).expect("a URL");
    assert!(download.url.starts_with("https://"));
    assert!(!download.secret_in_url);
    // Its `sha256` is hex, which the copy's checksum check reads.
    assert!(answer["sha256"].as_str().and_then(parse_sha256).is_some());
}

#[test]
fn without_an_id_there_is_nothing_to_look_up() {
    // Some webhooks carry a `url` too; it wants the token and lapses, so only the id is used.
    let url_only = Media {
        url: Some("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1".into()),
        mime_type: Some("image/jpeg".into()),
        ..Media::default()
    };
    assert_eq!(media_request(&config(None), TOKEN, &url_only), None);
    assert_eq!(media_request(&config(None), TOKEN, &Media::default()), None);
    let blank = Media {
        id: Some("".into()),
        ..Media::default()
    };
    assert_eq!(media_request(&config(None), TOKEN, &blank), None);
}

#[test]
fn an_id_cannot_steer_the_token_to_another_graph_path() {
    for id in [
        "../me",
        "1480/messages",
        "1480?fields=access_token",
        "1480#x",
    ] {
        let media = Media {
            id: Some(id.into()),
            ..Media::default()
        };
        assert_eq!(media_request(&config(None), TOKEN, &media), None, "{id}");
    }
}

#[test]
fn the_token_never_shows_in_a_logged_lookup() {
    let Some(MediaFetch::Resolve { lookup, .. }) =
        media_request(&config(None), TOKEN, &media_of("document"))
    else {
        panic!("an id resolves")
    };
    let shown = format!("{lookup:?}");
    assert!(shown.contains("1480000000000005"), "{shown}");
    assert!(!shown.contains(TOKEN), "{shown}");
}

#[test]
fn each_fixtures_type_gets_whatsapps_limit_for_it() {
    for (name, limit) in [
        ("image", WHATSAPP_IMAGE_LIMIT),
        ("audio_voice", WHATSAPP_AUDIO_LIMIT),
        ("audio_file", WHATSAPP_AUDIO_LIMIT),
        ("video", WHATSAPP_VIDEO_LIMIT),
        ("document", WHATSAPP_DOCUMENT_LIMIT),
        // A sticker's type is an image's too: the larger limit lets both through.
        ("sticker", WHATSAPP_IMAGE_LIMIT),
    ] {
        let media = media_of(name);
        let content_type = media.mime_type.as_deref().unwrap_or_default();
        assert_eq!(
            whatsapp_media_limit(content_type),
            Some(limit),
            "{name}: {content_type}"
        );
    }
    assert_eq!(WHATSAPP_IMAGE_LIMIT, 5 * 1024 * 1024);
    assert_eq!(WHATSAPP_AUDIO_LIMIT, 16 * 1024 * 1024);
    assert_eq!(WHATSAPP_VIDEO_LIMIT, 16 * 1024 * 1024);
    assert_eq!(WHATSAPP_DOCUMENT_LIMIT, 100 * 1024 * 1024);
}

#[test]
fn the_channel_plans_metas_two_steps_through_the_seam() {
    use ponte_core::providers::{MediaFetch, Provider};
    let channel = ponte_core::providers::meta::Meta
        .open(
            serde_json::json!({"phone_number_id": "1065", "graph_base_url": "http://127.0.0.1:9/v23.0"}),
            serde_json::json!({"access_token": "EAAG-x", "app_secret": "s", "verify_token": "v"}),
        )
        .unwrap();
    let media = ponte_core::model::Media {
        id: Some("1480000000000001".into()),
        ..Default::default()
    };
    let Some(MediaFetch::Resolve {
        lookup,
        url_field,
        download_headers,
        ..
    }) = channel.media_fetch(&media)
    else {
        panic!("a Resolve plan")
    };
    assert_eq!(lookup.url, "http://127.0.0.1:9/v23.0/1480000000000001");
    assert_eq!(lookup.method, "GET");
    assert_eq!(lookup.header("authorization"), Some("Bearer EAAG-x"));
    assert_eq!(url_field, "/url");
    assert_eq!(
        download_headers,
        vec![("Authorization", "Bearer EAAG-x".to_string())]
    );
    assert_eq!(
        channel.media_limit_bytes("image/jpeg"),
        Some(5 * 1024 * 1024)
    );
    let printed = format!("{:?}", channel.media_fetch(&media));
    assert!(!printed.contains("EAAG-x"), "{printed}");
}
