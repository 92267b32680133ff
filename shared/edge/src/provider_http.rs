//! Sends a provider call that `ponte-core` built as plain data, with a deadline.

use std::pin::pin;
use std::time::Duration;

use futures_util::future::{select, Either};
use ponte_core::providers::{HttpRequest, MediaUpload};
use worker::js_sys;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::web_sys;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

/// What the provider answered, raw: classifying it is the adapter's business.
pub struct ProviderAnswer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

/// The call never got an answer: worth retrying, since the provider may never have seen it.
#[derive(Debug)]
pub enum NoAnswer {
    TimedOut,
    Network(String),
}

impl NoAnswer {
    pub fn describe(&self) -> String {
        match self {
            Self::TimedOut => "the provider did not answer in time".into(),
            Self::Network(e) => format!("could not reach the provider: {e}"),
        }
    }
}

pub async fn send(request: &HttpRequest, timeout: Duration) -> Result<ProviderAnswer, NoAnswer> {
    let built = build(request).map_err(|e| NoAnswer::Network(e.to_string()))?;
    answered(built, timeout).await
}

/// Sends `built` and reads the whole answer, within `timeout`.
async fn answered(built: Request, timeout: Duration) -> Result<ProviderAnswer, NoAnswer> {
    let controller = AbortController::default();
    let signal = controller.signal();
    let call = pin!(async {
        let mut response = Fetch::Request(built).send_with_signal(&signal).await?;
        let status = response.status_code();
        let retry_after = response.headers().get("retry-after").ok().flatten();
        let body = response.bytes().await?;
        Ok::<_, worker::Error>(ProviderAnswer {
            status,
            retry_after,
            body,
        })
    });
    let deadline = pin!(Delay::from(timeout));
    match select(call, deadline).await {
        Either::Left((answer, _)) => answer.map_err(|e| NoAnswer::Network(e.to_string())),
        Either::Right(_) => {
            controller.abort();
            Err(NoAnswer::TimedOut)
        }
    }
}

/// Like [`send`], but hands back the response with its body unread, to be streamed: only the
/// wait for the headers has a deadline.
pub async fn open(request: &HttpRequest, timeout: Duration) -> Result<worker::Response, NoAnswer> {
    let built = build(request).map_err(|e| NoAnswer::Network(e.to_string()))?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(built);
    let call = pin!(fetch.send_with_signal(&signal));
    let deadline = pin!(Delay::from(timeout));
    match select(call, deadline).await {
        Either::Left((response, _)) => response.map_err(|e| NoAnswer::Network(e.to_string())),
        Either::Right(_) => {
            controller.abort();
            Err(NoAnswer::TimedOut)
        }
    }
}

/// A file to the provider's upload API: a multipart form of its text fields and the file. The
/// file is in memory here: a form's body needs the whole part (the providers' own limits keep it
/// within a Worker's).
pub async fn upload(
    upload: &MediaUpload,
    file: &[u8],
    content_type: &str,
    filename: &str,
    timeout: Duration,
) -> Result<ProviderAnswer, NoAnswer> {
    let built = build_upload(upload, file, content_type, filename)
        .map_err(|e| NoAnswer::Network(format!("{e:?}")))?;
    answered(built, timeout).await
}

fn build_upload(
    upload: &MediaUpload,
    file: &[u8],
    content_type: &str,
    filename: &str,
) -> Result<Request, JsValue> {
    let form = web_sys::FormData::new()?;
    for (name, value) in &upload.fields {
        form.append_with_str(name, value)?;
    }
    // `new Blob([bytes], {type})`: the part carries the file's own type.
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"type".into(), &content_type.into())?;
    let constructor: js_sys::Function =
        js_sys::Reflect::get(&js_sys::global(), &"Blob".into())?.dyn_into()?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(file));
    let blob = js_sys::Reflect::construct(&constructor, &js_sys::Array::of2(&parts, &options))?;
    form.append_with_blob_and_filename(upload.file_field, blob.unchecked_ref(), filename)?;
    // No content-type header: the form sets its own, with the boundary.
    let headers = Headers::new();
    for (name, value) in &upload.headers {
        headers
            .set(name, value)
            .map_err(|e| JsValue::from_str(&e.to_string()))?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(form.into()));
    Request::new_with_init(&upload.url, &init).map_err(|e| JsValue::from_str(&e.to_string()))
}

fn build(request: &HttpRequest) -> worker::Result<Request> {
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(request.method.to_string()))
        .with_headers(headers);
    // fetch refuses a GET with a body, even an empty one.
    if !request.body.is_empty() {
        init.with_body(Some(request.body.clone().into()));
    }
    Request::new_with_init(&request.url, &init)
}
