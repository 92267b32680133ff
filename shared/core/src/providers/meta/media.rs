//! Downloading what a Cloud API webhook referred to: Meta names media by id, and only a Graph
//! lookup with the channel's token gives the short-lived URL the bytes are at, which wants the
//! same token.
//!
//! Format: <https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media>
//! (`GET /{media_id}` answers `{"messaging_product", "url", "mime_type", "sha256", "file_size",
//! "id"}`).

use super::MetaConfig;
use crate::model::Media;
use crate::providers::{HttpRequest, MediaFetch};

/// Where in the lookup's answer the download URL is (a JSON pointer).
pub const MEDIA_URL_FIELD: &str = "/url";

/// `GET {graph}/{media.id}` with the channel's bearer token, then the URL it names with the same
/// token. `None` without a usable id: the `url` some webhooks now carry is not used, since it
/// wants the token too and may have lapsed by the time the copy runs, while the id can be
/// looked up again.
///
/// Meta's ids are digits; anything but letters, digits, `_` and `-` is refused, so that a
/// webhook's id can never steer the token to another Graph path (`../me`, `x?fields=`).
pub fn media_request(config: &MetaConfig, access_token: &str, media: &Media) -> Option<MediaFetch> {
    let id = media.id.as_deref().map(str::trim)?;
    let path_safe = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !path_safe {
        return None;
    }
    let bearer = ("Authorization", format!("Bearer {access_token}"));
    Some(MediaFetch::Resolve {
        lookup: HttpRequest {
            method: "GET",
            url: format!("{}/{id}", config.graph_base_url()),
            headers: vec![bearer.clone()],
            body: String::new(),
            secret_in_url: false,
        },
        url_field: MEDIA_URL_FIELD,
        relative_to: None,
        download_headers: vec![bearer],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(graph_base_url: Option<&str>) -> MetaConfig {
        MetaConfig {
            phone_number_id: "1065".into(),
            graph_base_url: graph_base_url.map(str::to_string),
            business_account_id: None,
        }
    }

    fn with_id(id: &str) -> Media {
        Media {
            id: Some(id.into()),
            ..Media::default()
        }
    }

    #[test]
    fn the_lookup_goes_to_the_configured_graph() {
        let Some(MediaFetch::Resolve { lookup, .. }) = media_request(
            &config(Some("http://127.0.0.1:8790/")),
            "t",
            &with_id("148"),
        ) else {
            panic!("a media id resolves")
        };
        assert_eq!(lookup.url, "http://127.0.0.1:8790/148");
    }

    #[test]
    fn an_id_that_would_leave_the_media_path_is_refused() {
        for id in [
            "",
            "  ",
            "../me",
            "1/2",
            "1?fields=x",
            "1#x",
            "1 2",
            "1%2F2",
            "..",
            "ü",
        ] {
            assert_eq!(
                media_request(&config(None), "t", &with_id(id)),
                None,
                "{id:?}"
            );
        }
        assert!(media_request(&config(None), "t", &with_id(" 148 ")).is_some());
        assert!(media_request(&config(None), "t", &with_id("wamid_A-1")).is_some());
    }
}
