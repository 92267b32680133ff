//! Small request and response helpers.

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Env, Request, Response, ResponseBuilder};

use crate::bindings::PUBLIC_BASE_URL;
use crate::problem::ApiError;

pub type ApiResult = Result<Response, ApiError>;

pub fn json<T: Serialize>(status: u16, value: &T) -> ApiResult {
    let body = serde_json::to_vec(value).map_err(|e| ApiError::internal(e.to_string()))?;
    // One Headers object, set once: each is a call into JS, and this runs on every answer.
    Ok(ResponseBuilder::new()
        .with_status(status)
        .with_header("content-type", "application/json")?
        .fixed(body))
}

/// Reads a JSON body into `T`, saying which field was wrong when it does not fit.
pub async fn read_json<T: DeserializeOwned>(req: &mut Request) -> Result<T, ApiError> {
    let bytes = req
        .bytes()
        .await
        .map_err(|_| ApiError::BadRequest("could not read the request body".into()))?;
    if bytes.is_empty() {
        return Err(ApiError::BadRequest(
            "the request body is empty; expected JSON".into(),
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        if e.is_data() {
            ApiError::Unprocessable(format!("invalid request body: {e}"))
        } else {
            ApiError::BadRequest(format!("the request body is not valid JSON: {e}"))
        }
    })
}

/// The decoded query string as owned pairs.
pub fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, ApiError> {
    let url = req
        .url()
        .map_err(|_| ApiError::BadRequest("invalid URL".into()))?;
    Ok(url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

pub fn query_param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `?limit=` between 1 and `max`, `default` when absent.
pub fn limit_param(pairs: &[(String, String)], default: u32, max: u32) -> Result<u32, ApiError> {
    match query_param(pairs, "limit") {
        None => Ok(default),
        Some(raw) => match raw.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::BadRequest(format!(
                "limit must be an integer from 1 to {max}"
            ))),
        },
    }
}

/// The path split into segments, without empty ones.
pub fn segments(req: &Request) -> Vec<String> {
    req.path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A list page: `{"data": [...], "next_cursor": ...}`. `rows` holds up to `limit + 1` items, the
/// extra one only saying that there is more; the cursor is the position of the last item shown.
pub fn page<T: Serialize>(
    mut rows: Vec<T>,
    limit: u32,
    position: impl Fn(&T) -> String,
) -> ApiResult {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(position)
    } else {
        None
    };
    json(
        200,
        &serde_json::json!({ "data": rows, "next_cursor": next_cursor }),
    )
}

/// The public origin that webhook URLs are built on: configured, or the one this request came in
/// on.
pub fn public_base_url(req: &Request, env: &Env) -> Result<String, ApiError> {
    if let Ok(configured) = env.var(PUBLIC_BASE_URL) {
        let configured = configured.to_string();
        if !configured.is_empty() {
            return Ok(configured.trim_end_matches('/').to_string());
        }
    }
    let url = req
        .url()
        .map_err(|_| ApiError::BadRequest("invalid URL".into()))?;
    Ok(url.origin().ascii_serialization())
}
