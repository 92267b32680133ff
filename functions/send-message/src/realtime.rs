//! `GET /v1/realtime`: authorizes a browser's WebSocket and hands it to the tenant's hub.

use ponte_core::realtime::Subscription;
use ponte_edge::auth::{authenticate_credential, authenticate_header_or_query, Principal};
use ponte_edge::http::{query_pairs, query_param, ApiResult};
use ponte_edge::problem::ApiError;
use ponte_edge::realtime::{hub, HUB_CONNECT_URL};
use worker::{Env, Headers, Method, Request, RequestInit};

use crate::hub::{EXPIRES_HEADER, PROTOCOL_HEADER, SUBSCRIPTION_HEADER, TENANT_HEADER};

/// The subprotocol a browser offers, with its credential as a second one (`bearer.<token>`),
/// since it cannot set an `Authorization` header on a WebSocket.
pub const PROTOCOL: &str = "ponte";
const BEARER_PROTOCOL_PREFIX: &str = "bearer.";

struct Offered {
    ponte: bool,
    credential: Option<String>,
}

fn offered_protocols(req: &Request) -> Result<Offered, ApiError> {
    let header = req
        .headers()
        .get("sec-websocket-protocol")?
        .unwrap_or_default();
    let mut offered = Offered {
        ponte: false,
        credential: None,
    };
    for protocol in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if protocol == PROTOCOL {
            offered.ponte = true;
        } else if let Some(token) = protocol.strip_prefix(BEARER_PROTOCOL_PREFIX) {
            offered.credential = Some(token.to_string());
        }
    }
    Ok(offered)
}

pub async fn connect(req: &Request, env: &Env, now: i64) -> ApiResult {
    if req.method() != Method::Get {
        return Err(ApiError::MethodNotAllowed("GET".into()));
    }
    let upgrade = req.headers().get("upgrade")?.unwrap_or_default();
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(ApiError::UpgradeRequired(
            "open this endpoint as a WebSocket (Upgrade: websocket)".into(),
        ));
    }
    let offered = offered_protocols(req)?;
    let principal: Principal = match &offered.credential {
        Some(token) => authenticate_credential(token, env, now).await?,
        None => authenticate_header_or_query(req, env, now).await?,
    };
    // A browser drops a connection whose answer names none of the protocols it offered, and the
    // credential must never be echoed back.
    if offered.credential.is_some() && !offered.ponte {
        return Err(ApiError::BadRequest(format!(
            "offer the `{PROTOCOL}` subprotocol beside the `{BEARER_PROTOCOL_PREFIX}<token>` one"
        )));
    }
    let pairs = query_pairs(req)?;
    let subscription = Subscription::from_list(query_param(&pairs, "conversation_id"))
        .map_err(|e| ApiError::Unprocessable(format!("conversation_id: {e}")))?;

    let headers = Headers::new();
    headers.set("upgrade", "websocket")?;
    headers.set(
        SUBSCRIPTION_HEADER,
        &serde_json::to_string(&subscription).map_err(|e| ApiError::internal(e.to_string()))?,
    )?;
    headers.set(TENANT_HEADER, principal.tenant_id())?;
    // A socket opened with a token lives no longer than the token.
    if let Principal::Token(claims) = &principal {
        headers.set(
            EXPIRES_HEADER,
            &(claims.exp.saturating_mul(1000)).to_string(),
        )?;
    }
    if offered.ponte {
        headers.set(PROTOCOL_HEADER, PROTOCOL)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let request = Request::new_with_init(HUB_CONNECT_URL, &init)?;
    let response = hub(env, principal.tenant_id())?
        .fetch_with_request(request)
        .await?;
    match response.status_code() {
        101 => Ok(response),
        // The hub could not record in D1 that the tenant listens (see store::presence).
        503 => Err(ApiError::Unavailable(
            "the hub could not record the connection".into(),
        )),
        status => Err(ApiError::internal(format!(
            "the hub answered {status} to a connect"
        ))),
    }
}
