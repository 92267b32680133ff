//! media-fetch: copies provider media into R2 (the media queue's consumer, `copy.rs`, streaming
//! through `stream.rs`) and serves it (`serve.rs`).

mod copy;
mod serve;

use ponte_edge::http::segments;
use ponte_edge::media_links;
use ponte_edge::problem::ApiError;
use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    media_links::install(&env);
    let path = segments(&req);
    let result = match (req.method(), path.as_slice()) {
        (Method::Get, [prefix, id]) if prefix == "media" => serve::serve(&req, &env, id).await,
        (_, [prefix, _]) if prefix == "media" => Err(ApiError::MethodNotAllowed("GET".into())),
        _ => Err(ApiError::NotFound("no media endpoint at this path".into())),
    };
    Ok(result.unwrap_or_else(|e| e.to_response()))
}
