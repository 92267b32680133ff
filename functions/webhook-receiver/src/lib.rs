//! webhook-receiver: the provider-facing Worker. Verifies each provider's webhook, normalizes it
//! and stores it exactly once before answering 200.

mod meta;

use ponte_edge::http::segments;
use ponte_edge::problem::ApiError;
use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = segments(&req);
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let result = match (req.method(), path.as_slice()) {
        (Method::Get, ["webhooks", "meta", token]) => meta::handshake(&req, &env, token).await,
        (Method::Post, ["webhooks", "meta", token]) => meta::receive(&mut req, &env, token).await,
        (_, ["webhooks", "meta", _]) => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::NotFound(
            "no webhook endpoint at this path".into(),
        )),
    };
    Ok(result.unwrap_or_else(|e| e.to_response()))
}
