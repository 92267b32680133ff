//! Sends a provider call that `ponte-core` built as plain data, with a deadline.

use std::pin::pin;
use std::time::Duration;

use futures_util::future::{join, select, Either};
use futures_util::StreamExt;
use ponte_core::ids::new_id;
use ponte_core::multipart;
use ponte_core::providers::{HttpRequest, MediaUpload};
use worker::js_sys::{self, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{ReadableStream, TransformStream};
use worker::{
    AbortController, AbortSignal, ByteStream, Delay, Fetch, Headers, Method, Request, RequestInit,
};

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
    within(timeout, |signal| async move {
        let mut response = Fetch::Request(built).send_with_signal(&signal).await?;
        let status = response.status_code();
        let retry_after = response.headers().get("retry-after").ok().flatten();
        let body = response.bytes().await?;
        Ok(ProviderAnswer {
            status,
            retry_after,
            body,
        })
    })
    .await
}

/// Runs `call` with an abort signal; past `timeout` it is aborted and the call timed out.
async fn within<T, F: std::future::Future<Output = worker::Result<T>>>(
    timeout: Duration,
    call: impl FnOnce(AbortSignal) -> F,
) -> Result<T, NoAnswer> {
    let controller = AbortController::default();
    let call = pin!(call(controller.signal()));
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
    within(timeout, |signal| async move {
        Fetch::Request(built).send_with_signal(&signal).await
    })
    .await
}

/// A file to the provider's upload API: a multipart form of its text fields and the file,
/// streamed from `file` (`size` bytes, an R2 object's body) between the form's head and tail,
/// so that a file of any size passes without being held.
pub async fn upload(
    upload: &MediaUpload,
    file: ReadableStream,
    size: u64,
    content_type: &str,
    filename: &str,
    timeout: Duration,
) -> Result<ProviderAnswer, NoAnswer> {
    let network = |e: JsValue| NoAnswer::Network(format!("{e:?}"));
    let boundary = new_id("----PonteFormBoundary");
    let form = multipart::envelope(
        &boundary,
        &upload.fields,
        upload.file_field,
        filename,
        content_type,
    );
    let length = form.head.len() as u64 + size + form.tail.len() as u64;
    let fixed = worker::worker_sys::FixedLengthStream::new_big_int(js_sys::BigInt::from(length))
        .map_err(network)?;
    let fixed: &TransformStream = fixed.unchecked_ref();
    let writer = fixed.writable().get_writer().map_err(network)?;
    let headers = Headers::new();
    for (name, value) in &upload.headers {
        headers
            .set(name, value)
            .map_err(|e| NoAnswer::Network(e.to_string()))?;
    }
    headers
        .set("content-type", &form.content_type)
        .map_err(|e| NoAnswer::Network(e.to_string()))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(fixed.readable().into()));
    let built =
        Request::new_with_init(&upload.url, &init).map_err(|e| NoAnswer::Network(e.to_string()))?;
    let write = |bytes: &[u8]| JsFuture::from(writer.write_with_chunk(&Uint8Array::from(bytes)));
    let pump = async {
        write(&form.head).await?;
        let mut chunks = ByteStream::from(file);
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| JsValue::from_str(&e.to_string()))?;
            write(&chunk).await?;
        }
        write(&form.tail).await?;
        JsFuture::from(writer.close()).await
    };
    let (pumped, answer) = join(pump, answered(built, timeout)).await;
    let answer = answer?;
    // An answer before the whole file was sent is the provider's refusal; keep it.
    if pumped.is_err() && is_success(answer.status) {
        return Err(NoAnswer::Network(
            "the file could not be read to its end".into(),
        ));
    }
    Ok(answer)
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
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
