//! The templates a business may send outside WhatsApp's 24-hour window. Meta keeps them on the
//! WhatsApp Business Account, not on the phone number, so listing them needs the account's id
//! (`config.business_account_id`).
//!
//! Format: <https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/message_templates/>
//! (`GET /{waba_id}/message_templates` answers `{"data": [{"name", "language", "status",
//! "category", "components", "id"}], "paging": {…}}`).

use serde::Deserialize;
use serde_json::Value;

use super::send::classify_failure;
use super::MetaConfig;
use crate::providers::{HttpRequest, SendOutcome, Template};

/// One page is plenty for an agent's picker; Meta allows up to 250 templates per account.
const PAGE_SIZE: u32 = 250;

/// `GET {graph}/{business_account_id}/message_templates`, or why the channel cannot ask.
pub fn templates_request(config: &MetaConfig, access_token: &str) -> Result<HttpRequest, String> {
    let account = config.business_account_id.as_deref().ok_or_else(|| {
        "config.business_account_id is needed to list templates: the WhatsApp Business Account's id"
            .to_string()
    })?;
    Ok(HttpRequest {
        method: "GET",
        url: format!(
            "{}/{account}/message_templates?fields=name,language,status,category,components&limit={PAGE_SIZE}",
            config.graph_base_url()
        ),
        headers: vec![("Authorization", format!("Bearer {access_token}"))],
        body: String::new(),
        secret_in_url: false,
    })
}

#[derive(Deserialize)]
struct Page {
    data: Vec<Listed>,
}

#[derive(Deserialize)]
struct Listed {
    name: String,
    language: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    components: Vec<Value>,
}

/// The approved templates: one pending review or rejected cannot be sent.
pub fn parse_templates(
    http_status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Result<Vec<Template>, SendOutcome> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if !(200..300).contains(&http_status) {
        return Err(classify_failure(http_status, retry_after, json.as_ref()));
    }
    let page: Page = json
        .and_then(|j| serde_json::from_value(j).ok())
        .ok_or_else(|| SendOutcome::Permanent {
            code: None,
            title: "Meta answered the template list in an unknown shape".into(),
        })?;
    Ok(page
        .data
        .into_iter()
        .filter(|t| {
            t.status
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case("APPROVED"))
        })
        .map(|t| Template {
            name: t.name,
            language: t.language,
            category: t.category,
            components: t.components,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(account: Option<&str>) -> MetaConfig {
        MetaConfig {
            phone_number_id: "1065".into(),
            graph_base_url: Some("http://127.0.0.1:8790".into()),
            business_account_id: account.map(str::to_string),
        }
    }

    #[test]
    fn the_list_is_asked_of_the_business_account_with_the_token() {
        let request = templates_request(&config(Some("102290129340398")), "EAAG").expect("asks");
        assert_eq!(request.method, "GET");
        assert!(request
            .url
            .starts_with("http://127.0.0.1:8790/102290129340398/message_templates?"));
        assert!(request
            .url
            .contains("fields=name,language,status,category,components"));
        assert_eq!(
            request.headers,
            vec![("Authorization", "Bearer EAAG".to_string())]
        );
        let missing = templates_request(&config(None), "EAAG").expect_err("needs the account");
        assert!(missing.contains("config.business_account_id"), "{missing}");
    }

    #[test]
    fn only_approved_templates_are_listed_with_their_components() {
        let body = json!({"data": [
            {"name": "order_update", "language": "pt_BR", "status": "APPROVED", "category": "UTILITY", "id": "1",
             "components": [{"type": "BODY", "text": "Seu pedido {{1}} saiu para entrega"}]},
            {"name": "promo", "language": "pt_BR", "status": "REJECTED", "category": "MARKETING", "id": "2"},
            {"name": "welcome", "language": "en_US", "status": "PENDING", "category": "MARKETING", "id": "3"}
        ], "paging": {"cursors": {"before": "a", "after": "b"}}});
        let listed = parse_templates(200, None, body.to_string().as_bytes()).expect("a list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].name, "order_update");
        assert_eq!(listed[0].language, "pt_BR");
        assert_eq!(listed[0].category.as_deref(), Some("UTILITY"));
        assert_eq!(listed[0].components.len(), 1);
    }

    #[test]
    fn meta_errors_keep_their_reason_and_class() {
        let expired = json!({"error": {"message": "Error validating access token", "type": "OAuthException", "code": 190}});
        assert!(matches!(
            parse_templates(401, None, expired.to_string().as_bytes()),
            Err(SendOutcome::Permanent {
                code: Some(190),
                ..
            })
        ));
        let throttled =
            json!({"error": {"message": "Application request limit reached", "code": 4}});
        assert!(matches!(
            parse_templates(400, None, throttled.to_string().as_bytes()),
            Err(SendOutcome::Transient { .. })
        ));
        assert!(matches!(
            parse_templates(200, None, b"<html>"),
            Err(SendOutcome::Permanent { code: None, .. })
        ));
    }
}
