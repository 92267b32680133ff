//! The benchmark's baselines, one Rust Worker built once and run under three configs:
//! - `wrangler.toml` (no bindings): reads the whole request body, as the webhook receiver must
//!   before it can verify a signature, and answers `{"ok":true}`. Whatever Ponte costs above this
//!   is Ponte's own work, not the runtime's.
//! - `wrangler.stored.toml` (a D1 binding): the same, and stores the body with one D1 batch of one
//!   `INSERT` before answering. Storing a webhook cannot cost less than this on the same runtime,
//!   so it tells how much of Ponte's cost is D1's.
//! - `wrangler.media.toml` (an R2 binding): moves attachments the least a Worker can.
//!   `POST /copy?url=…` fetches the URL and puts the response's body stream straight into R2
//!   (its length known from the answer's `Content-Length`), then answers the size stored;
//!   `GET /serve/{key}` streams the object back. No checksum, no limits, no D1: what Ponte's
//!   media copy and serving cost above this is Ponte's own.

use std::cell::OnceCell;

use worker::{
    event, js_sys, Bucket, Context, Env, Fetch, Headers, HttpMetadata, Method, Request, Response,
    ResponseBody, Result,
};

const DB: &str = "DB";
const BLOBS: &str = "BLOBS";

#[derive(Clone, Copy)]
enum Mode {
    Bare,
    Stores,
    Media,
}

thread_local! {
    /// Which config this is, looked up once per isolate so that the bare baseline's requests do
    /// not pay for failed binding lookups each.
    static MODE: OnceCell<Mode> = const { OnceCell::new() };
}

fn mode(env: &Env) -> Mode {
    MODE.with(|mode| {
        *mode.get_or_init(|| {
            if env.bucket(BLOBS).is_ok() {
                Mode::Media
            } else if env.d1(DB).is_ok() {
                Mode::Stores
            } else {
                Mode::Bare
            }
        })
    })
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    match mode(&env) {
        Mode::Bare => receive(req, None).await,
        Mode::Stores => receive(req, Some(&env)).await,
        Mode::Media => media(req, &env).await,
    }
}

/// A webhook's body read whole, and stored with one D1 batch when `stores` has the binding.
async fn receive(mut req: Request, stores: Option<&Env>) -> Result<Response> {
    if req.method() != Method::Post {
        return Response::error("method not allowed", 405);
    }
    // Read to the end so the body's transfer is part of what is measured.
    let body = req.bytes().await?;
    if let Some(env) = stores {
        let db = env.d1(DB)?;
        let text = String::from_utf8_lossy(&body);
        let insert = db
            .prepare("INSERT INTO deliveries (body) VALUES (?1)")
            .bind(&[text.as_ref().into()])?;
        db.batch(vec![insert]).await?;
    }
    let mut response = Response::from_bytes(br#"{"ok":true}"#.to_vec())?;
    response
        .headers_mut()
        .set("content-type", "application/json")?;
    Ok(response)
}

async fn media(req: Request, env: &Env) -> Result<Response> {
    let bucket = env.bucket(BLOBS)?;
    let path = req.path();
    match req.method() {
        Method::Post if path == "/copy" => match query_param(&req.inner().url(), "url") {
            Some(source) => copy(&bucket, &source).await,
            None => Response::error("?url= is required", 400),
        },
        Method::Get => match path.strip_prefix("/serve/") {
            Some(key) if !key.is_empty() => serve(&bucket, key).await,
            _ => Response::error("not found", 404),
        },
        _ => Response::error("not found", 404),
    }
}

/// The first `name=` of the URL's query, percent-decoded by the runtime. Parsed by hand, like
/// worker's own `path()`, so the url crate stays out of the baseline's wasm.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let value = query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))?;
    let value = value.replace('+', " ");
    js_sys::decode_uri_component(&value).ok().map(String::from)
}

/// An absolute URL's path without its leading slash, query or fragment.
fn key_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let path = &rest[rest.find('/')? + 1..];
    let key = &path[..path.find(['?', '#']).unwrap_or(path.len())];
    (!key.is_empty()).then_some(key)
}

/// The source's body into R2 under its URL's path, streamed by the runtime.
async fn copy(bucket: &Bucket, source: &str) -> Result<Response> {
    let Some(key) = key_of(source) else {
        return Response::error("?url= must be an absolute URL with a path", 400);
    };
    let fetched = match Request::new(source, Method::Get) {
        Ok(request) => Fetch::Request(request).send().await,
        Err(e) => return Response::error(format!("?url= is not a URL: {e}"), 400),
    };
    let response = match fetched {
        Ok(response) => response,
        Err(e) => return Response::error(format!("fetching: {e}"), 502),
    };
    if !(200..300).contains(&response.status_code()) {
        return Response::error(
            format!("the source answered {}", response.status_code()),
            502,
        );
    }
    let ResponseBody::Stream(body) = response.body() else {
        return Response::error("the source sent no body", 502);
    };
    let metadata = HttpMetadata {
        content_type: response.headers().get("content-type")?,
        ..Default::default()
    };
    match bucket
        .put(key, body.clone())
        .http_metadata(metadata)
        .execute()
        .await
    {
        Ok(Some(object)) => Response::ok(object.size().to_string()),
        Ok(None) => Response::error("R2 stored nothing", 502),
        Err(e) => Response::error(format!("storing into R2: {e}"), 502),
    }
}

/// The object at `key`, handed to the runtime to stream.
async fn serve(bucket: &Bucket, key: &str) -> Result<Response> {
    let Some(object) = bucket.get(key).execute().await? else {
        return Response::error("not found", 404);
    };
    let Some(body) = object.body() else {
        return Response::error("not found", 404);
    };
    let headers = Headers::new();
    if let Some(content_type) = object.http_metadata().content_type {
        headers.set("content-type", &content_type)?;
    }
    headers.set("content-length", &object.size().to_string())?;
    Ok(Response::from_body(body.response_body()?)?.with_headers(headers))
}
