//! The benchmark's baseline Worker: reads the whole request body, as the webhook receiver must
//! before it can verify a signature, and answers `{"ok":true}`. Whatever Ponte costs above this
//! is Ponte's own work, not the runtime's.

use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(mut req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    if req.method() != Method::Post {
        return Response::error("method not allowed", 405);
    }
    // Read to the end so the body's transfer is part of what is measured, then discard it.
    let _body = req.bytes().await?;
    let mut response = Response::from_bytes(br#"{"ok":true}"#.to_vec())?;
    response
        .headers_mut()
        .set("content-type", "application/json")?;
    Ok(response)
}
