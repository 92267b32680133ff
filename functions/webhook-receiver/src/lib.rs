//! webhook-receiver: the provider-facing Worker. Every provider's webhooks take one pipeline:
//! find the channel, let its adapter authenticate and normalize the delivery, and store it
//! exactly once before answering.

mod pipeline;

use ponte_edge::http::segments;
use ponte_edge::problem::ApiError;
use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, ctx: Context) -> Result<Response> {
    let path = segments(&req);
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let result = match path.as_slice() {
        // Anything after the token is the provider's: Evolution appends the event's name.
        ["webhooks", provider, token, rest @ ..] => {
            let rest = rest.join("/");
            match req.method() {
                Method::Get => pipeline::handshake(&req, &env, provider, token, &rest).await,
                Method::Post => {
                    pipeline::receive(&mut req, &env, &ctx, provider, token, &rest).await
                }
                _ => Err(ApiError::MethodNotAllowed("GET, POST".into())),
            }
        }
        _ => Err(ApiError::NotFound(
            "no webhook endpoint at this path; webhooks go to /webhooks/{provider}/{token}".into(),
        )),
    };
    Ok(result.unwrap_or_else(|e| e.to_response()))
}
