//! Downloading media through the WhatsApp Web gateways (Evolution API, Z-API, WPPConnect),
//! through the seam: the attachment each media fixture normalizes into becomes one plain `GET` of
//! the gateway's own copy of the file, or nothing when only WhatsApp's encrypted link is left;
//! and the sizes WhatsApp allows.

use std::path::PathBuf;

use ponte_core::media::{
    parse_sha256, WHATSAPP_AUDIO_LIMIT, WHATSAPP_DOCUMENT_LIMIT, WHATSAPP_IMAGE_LIMIT,
    WHATSAPP_VIDEO_LIMIT,
};
use ponte_core::model::Media;
use ponte_core::providers::{provider, Channel, HttpRequest, MediaFetch, WebhookRequest};
use serde_json::{json, Value};

const NOW_MS: i64 = 1_800_000_000_000;
const ZAPI_INSTANCE: &str = "3C67AB641C8AA0412F6A2242B4E23AC7";
const ZAPI_TOKEN: &str = "F0E1D2C3B4A5968778695A4B";
const ZAPI_CLIENT_TOKEN: &str = "Fe8d7c6b5a4f3e2d1c0b";
const EVOLUTION_KEY: &str = "B6D711FCDE4D4FD5936544120E713976";
const WPPCONNECT_TOKEN: &str = "$2b$10$Zk0uQeXamPle";

fn open(name: &str, config: Value, secrets: Value) -> Box<dyn Channel> {
    provider(name)
        .unwrap_or_else(|| panic!("{name} is registered"))
        .open(config, secrets)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn evolution() -> Box<dyn Channel> {
    open(
        "evolution",
        json!({"base_url": "https://evo.example.com.br", "instance": "loja-centro"}),
        json!({"api_key": EVOLUTION_KEY}),
    )
}

fn zapi() -> Box<dyn Channel> {
    open(
        "zapi",
        json!({"instance_id": ZAPI_INSTANCE}),
        json!({"instance_token": ZAPI_TOKEN, "client_token": ZAPI_CLIENT_TOKEN}),
    )
}

fn wppconnect() -> Box<dyn Channel> {
    open(
        "wppconnect",
        json!({"base_url": "http://127.0.0.1:21465/", "session": "ponte-loja"}),
        json!({"token": WPPCONNECT_TOKEN}),
    )
}

fn channels() -> [(&'static str, Box<dyn Channel>); 3] {
    [
        ("evolution", evolution()),
        ("zapi", zapi()),
        ("wppconnect", wppconnect()),
    ]
}

/// The attachment of the one message `tests/fixtures/{dir}/{name}.json` holds, as the channel
/// normalizes it.
fn media_of(channel: &dyn Channel, dir: &str, name: &str) -> Media {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(dir)
        .join(format!("{name}.json"));
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let request = WebhookRequest {
        method: "POST",
        url: "https://ponte.example.com/webhooks/gateway/tok",
        rest: "",
        query: &[],
        headers: &[],
        body: &body,
        received_at_ms: NOW_MS,
    };
    let batch = channel
        .normalize(&request)
        .unwrap_or_else(|e| panic!("{dir}/{name}: {e}"));
    assert_eq!(batch.messages.len(), 1, "{dir}/{name}: {batch:?}");
    batch.messages[0]
        .content
        .media()
        .cloned()
        .unwrap_or_else(|| panic!("{dir}/{name} has no media"))
}

fn get(url: &str) -> Option<MediaFetch> {
    Some(MediaFetch::Direct(HttpRequest::get(url)))
}

fn with_url(url: Option<&str>) -> Media {
    Media {
        url: url.map(str::to_string),
        mime_type: Some("image/jpeg".into()),
        ..Media::default()
    }
}

#[test]
fn evolutions_s3_copy_is_one_plain_get_without_the_api_key() {
    let channel = evolution();
    let media = media_of(channel.as_ref(), "evolution", "image");
    let s3 = "https://s3.example.com.br/evolution/a7b3c1d2/5511987654321@s.whatsapp.net/\
              imageMessage/1717604327000_3EB0A1B2C3D4E5F60718.jpeg?X-Amz-Signature=4f2a";
    assert_eq!(channel.media_fetch(&media), get(s3));
    // The checksum kept with it is readable by the copy's check.
    assert!(media.sha256.as_deref().and_then(parse_sha256).is_some());
}

#[test]
fn evolution_media_without_an_s3_copy_is_nothing_to_fetch() {
    let channel = evolution();
    for name in [
        "audio_voice",
        "video",
        "ptv",
        "document",
        "document_with_caption",
        "sticker",
    ] {
        let media = media_of(channel.as_ref(), "evolution", name);
        let url = media.url.as_deref().unwrap_or_default();
        assert!(
            url.starts_with("https://mmg.whatsapp.net/"),
            "{name}: {url}"
        );
        assert_eq!(channel.media_fetch(&media), None, "{name}");
    }
}

#[test]
fn z_apis_storage_links_are_one_plain_get_without_its_tokens() {
    let channel = zapi();
    let storage = format!("https://storage.z-api.io/instances/{ZAPI_INSTANCE}");
    for (name, file) in [
        ("image", "3EB0IMAGE00000000001.jpeg"),
        ("audio_voice", "3EB0AUDIO00000000001.ogg"),
        ("video", "3EB0VIDEO00000000001.mp4"),
        ("document", "3EB0DOC0000000000001.pdf"),
        ("sticker", "3EB0STICKER000000001.webp"),
    ] {
        let media = media_of(channel.as_ref(), "zapi", name);
        let plan = channel.media_fetch(&media);
        assert_eq!(plan, get(&format!("{storage}/{file}")), "{name}");
        let shown = format!("{plan:?}");
        assert!(
            !shown.contains(ZAPI_TOKEN) && !shown.contains(ZAPI_CLIENT_TOKEN),
            "{shown}"
        );
    }
}

#[test]
fn wppconnects_s3_copy_is_one_plain_get_and_its_encrypted_fallback_is_nothing() {
    let channel = wppconnect();
    let video = media_of(channel.as_ref(), "wppconnect", "video_s3");
    assert_eq!(
        channel.media_fetch(&video),
        get("https://ponteloja.s3.amazonaws.com/9f2c1e7a4b3d5f60718293a4b5c6d7e8f9a0b1c2d3e4f506.mp4")
    );
    assert!(video.sha256.as_deref().and_then(parse_sha256).is_some());
    for name in ["image", "audio", "ptt", "document", "sticker"] {
        let media = media_of(channel.as_ref(), "wppconnect", name);
        let url = media.url.as_deref().unwrap_or_default();
        assert!(url.contains(".enc"), "{name}: {url}");
        assert_eq!(channel.media_fetch(&media), None, "{name}");
    }
}

#[test]
fn no_gateway_fetches_a_missing_inline_or_non_http_link() {
    for (name, channel) in channels() {
        for url in [
            None,
            Some(""),
            Some("data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ"),
            Some("ftp://files.example.com/a.jpg"),
            Some("file:///etc/passwd"),
            Some("s3.example.com/a.jpg"),
        ] {
            assert_eq!(channel.media_fetch(&with_url(url)), None, "{name}: {url:?}");
        }
    }
}

#[test]
fn no_gateway_copies_whatsapps_encrypted_files() {
    for (name, channel) in channels() {
        for url in [
            "https://mmg.whatsapp.net/v/t62.7118-24/24731519_n.enc?ccb=11-4&mms3=true",
            "https://mmg.whatsapp.net/d/f/AjQ6",
            "https://s3.example.com/bucket/file.enc",
        ] {
            assert_eq!(
                channel.media_fetch(&with_url(Some(url))),
                None,
                "{name}: {url}"
            );
        }
    }
}

#[test]
fn every_gateway_fetches_any_other_http_link_as_it_is() {
    for (name, channel) in channels() {
        for url in [
            "https://s3.example.com/bucket/a.jpg?X-Amz-Signature=ab&X-Amz-Expires=604800",
            "http://127.0.0.1:9000/media/a.ogg",
        ] {
            assert_eq!(
                channel.media_fetch(&with_url(Some(url))),
                get(url),
                "{name}: {url}"
            );
        }
    }
}

#[test]
fn every_gateway_holds_media_to_whatsapps_limits() {
    for (name, channel) in channels() {
        for (content_type, limit) in [
            ("image/jpeg", WHATSAPP_IMAGE_LIMIT),
            ("image/png", WHATSAPP_IMAGE_LIMIT),
            ("image/webp", WHATSAPP_IMAGE_LIMIT),
            ("audio/ogg; codecs=opus", WHATSAPP_AUDIO_LIMIT),
            ("audio/mpeg", WHATSAPP_AUDIO_LIMIT),
            ("video/mp4", WHATSAPP_VIDEO_LIMIT),
            ("application/pdf", WHATSAPP_DOCUMENT_LIMIT),
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                WHATSAPP_DOCUMENT_LIMIT,
            ),
            ("", WHATSAPP_DOCUMENT_LIMIT),
        ] {
            assert_eq!(
                channel.media_limit_bytes(content_type),
                Some(limit),
                "{name}: {content_type}"
            );
        }
    }
    assert_eq!(WHATSAPP_IMAGE_LIMIT, 5_242_880);
    assert_eq!(WHATSAPP_AUDIO_LIMIT, 16_777_216);
    assert_eq!(WHATSAPP_VIDEO_LIMIT, 16_777_216);
    assert_eq!(WHATSAPP_DOCUMENT_LIMIT, 104_857_600);
}
