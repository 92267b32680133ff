//! `GET /media/{id}`: an attachment copied into R2, streamed to its tenant, by an API credential
//! or a signed link. Served bytes are a stranger's upload: never sniffed, sandboxed, and shown
//! inline only when they are an image, audio or video a browser renders safely.

use ponte_core::media::{content_disposition, disposition, parse_range};
use ponte_edge::auth::authenticate_header_or_query;
use ponte_edge::bindings::BLOBS;
use ponte_edge::http::{query_pairs, query_param, ApiResult};
use ponte_edge::media_links;
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use ponte_edge::store::{self, media};
use worker::{Env, Headers, Range, Request, Response};

pub async fn serve(req: &Request, env: &Env, media_id: &str) -> ApiResult {
    let valid_id = media_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_id {
        return Err(ApiError::BadRequest("invalid media id".into()));
    }
    let db = store::db(env)?;
    let query = query_pairs(req)?;
    let row = match (query_param(&query, "exp"), query_param(&query, "sig")) {
        (Some(exp), Some(sig)) => {
            check_link(media_id, exp, query_param(&query, "kid"), sig)?;
            media::find_signed(&db, media_id).await?
        }
        // <img> and <audio> cannot send headers, so a token may also come as ?access_token=.
        _ => {
            let principal = authenticate_header_or_query(req, env, now_ms()).await?;
            media::find(&db, principal.tenant_id(), media_id).await?
        }
    };
    let row = row
        .filter(|row| row.status == "ready")
        .ok_or_else(|| ApiError::NotFound(format!("no media {media_id}")))?;
    let (Some(key), Some(size)) = (row.r2_key.as_deref(), row.size) else {
        return Err(ApiError::NotFound(format!("no media {media_id}")));
    };
    let size = size.max(0) as u64;
    let etag = format!("\"{}\"", row.sha256.as_deref().unwrap_or(media_id));
    let content_type = row
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    let headers = Headers::new();
    headers.set("content-type", &content_type)?;
    headers.set("etag", &etag)?;
    headers.set("cache-control", "private, max-age=3600")?;
    headers.set("accept-ranges", "bytes")?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("content-security-policy", "default-src 'none'; sandbox")?;
    headers.set(
        "content-disposition",
        &content_disposition(
            disposition(&content_type),
            row.filename.as_deref(),
            media_id,
        ),
    )?;
    if req.headers().get("if-none-match")?.as_deref() == Some(etag.as_str()) {
        return Ok(Response::empty()?.with_status(304).with_headers(headers));
    }
    let range = match req.headers().get("range")? {
        Some(header) => parse_range(&header, size).map_err(|_| {
            let _ = headers.set("content-range", &format!("bytes */{size}"));
            ApiError::RangeNotSatisfiable(format!("the media has {size} bytes"))
        })?,
        None => None,
    };
    let bucket = env
        .bucket(BLOBS)
        .map_err(|e| ApiError::internal(format!("binding {BLOBS}: {e}")))?;
    let mut get = bucket.get(key);
    if let Some((start, end)) = range {
        get = get.range(Range::OffsetWithLength {
            offset: start,
            length: end - start + 1,
        });
    }
    let object = get
        .execute()
        .await?
        .ok_or_else(|| ApiError::internal(format!("media {media_id} is ready but not in R2")))?;
    let body = object
        .body()
        .ok_or_else(|| ApiError::internal(format!("media {media_id} has no body")))?
        .response_body()?;
    let status = match range {
        Some((start, end)) => {
            headers.set("content-range", &format!("bytes {start}-{end}/{size}"))?;
            headers.set("content-length", &(end - start + 1).to_string())?;
            206
        }
        None => {
            headers.set("content-length", &size.to_string())?;
            200
        }
    };
    Ok(Response::from_body(body)?
        .with_status(status)
        .with_headers(headers))
}

/// A media link signed by Ponte and not expired.
fn check_link(media_id: &str, exp: &str, key_id: Option<&str>, sig: &str) -> Result<(), ApiError> {
    let expires_at_s = exp
        .parse::<i64>()
        .map_err(|_| ApiError::BadRequest("exp must be a unix time in seconds".into()))?;
    media_links::verify(media_id, expires_at_s, key_id, sig, now_ms() / 1000)
        .ok_or_else(|| ApiError::internal("media links are not set up"))?
        .map_err(|_| ApiError::Forbidden("this media link is invalid or has expired".into()))
}
