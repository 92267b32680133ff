//! media-fetch: serves media copied into R2, scoped by tenant. (Copying provider media into R2
//! arrives with the media pipeline; until then nothing is stored and lookups answer 404.)

use ponte_edge::auth::authenticate_header_or_query;
use ponte_edge::bindings::BLOBS;
use ponte_edge::http::{segments, ApiResult};
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use worker::{event, Context, Env, Headers, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Ok(serve(&req, &env).await.unwrap_or_else(|e| e.to_response()))
}

async fn serve(req: &Request, env: &Env) -> ApiResult {
    let path = segments(req);
    let [prefix, media_id] = path.as_slice() else {
        return Err(ApiError::NotFound("no media endpoint at this path".into()));
    };
    if prefix != "media" {
        return Err(ApiError::NotFound("no media endpoint at this path".into()));
    }
    if req.method() != Method::Get {
        return Err(ApiError::MethodNotAllowed);
    }
    if !media_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return Err(ApiError::BadRequest("invalid media id".into()));
    }
    // <img> and <audio> cannot send headers, so a token may also come as ?access_token=.
    let principal = authenticate_header_or_query(req, env, now_ms()).await?;
    let bucket = env
        .bucket(BLOBS)
        .map_err(|e| ApiError::internal(format!("binding {BLOBS}: {e}")))?;
    let key = format!("media/{}/{media_id}", principal.tenant_id());
    let object = bucket
        .get(&key)
        .execute()
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no media {media_id}")))?;
    let headers = Headers::new();
    let content_type = object
        .http_metadata()
        .content_type
        .unwrap_or_else(|| "application/octet-stream".into());
    headers.set("content-type", &content_type)?;
    headers.set("cache-control", "private, max-age=3600")?;
    let body = object
        .body()
        .ok_or_else(|| ApiError::NotFound(format!("no media {media_id}")))?;
    Ok(Response::from_bytes(body.bytes().await?)?.with_headers(headers))
}
