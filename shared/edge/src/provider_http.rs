//! Sends a provider call that `ponte-core` built as plain data, with a deadline.

use std::pin::pin;
use std::time::Duration;

use futures_util::future::{select, Either};
use ponte_core::providers::HttpRequest;
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
