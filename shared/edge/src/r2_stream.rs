//! A provider's response body into R2 without holding it whole: chunk by chunk through a
//! fixed-length stream (R2 needs the length up front), hashed on the way. Memory stays flat
//! whatever the file's size.

use futures_util::future::join;
use futures_util::StreamExt;
use ponte_core::signature::{sha256, Sha256Stream};
use worker::js_sys::{BigInt, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{ReadableStream, TransformStream};
use worker::{Bucket, ByteStream, HttpMetadata, ResponseBody};

/// What landed in R2.
pub struct Stored {
    pub key: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: [u8; 32],
    pub filename: Option<String>,
}

/// Why bytes did not land in R2.
#[derive(Debug)]
pub enum StreamError {
    /// More bytes than allowed: will not fit however often it is tried.
    TooLarge { size: u64, max: u64 },
    /// Reading or storing failed; another try may succeed.
    Failed(String),
}

impl StreamError {
    pub fn describe(&self) -> String {
        match self {
            Self::TooLarge { size, max } => {
                format!("the file is {size} bytes; at most {max} bytes are taken for this type")
            }
            Self::Failed(reason) => reason.clone(),
        }
    }
}

/// A body on its way in: a provider's download or a client's upload.
pub struct Incoming {
    pub body: Option<ReadableStream>,
    /// From `Content-Length`, when the sender gave it.
    pub length: Option<u64>,
    pub content_type: String,
}

impl Incoming {
    /// A provider's answer; `fallback_type` stands in for a missing `Content-Type`.
    pub fn of_response(response: &worker::Response, fallback_type: Option<&str>) -> Self {
        let header = |name: &str| response.headers().get(name).ok().flatten();
        let body = match response.body() {
            ResponseBody::Stream(stream) => Some(stream.clone()),
            _ => None,
        };
        Self::new(
            body,
            header("content-length"),
            header("content-type"),
            fallback_type,
        )
    }

    pub fn new(
        body: Option<ReadableStream>,
        length: Option<String>,
        content_type: Option<String>,
        fallback_type: Option<&str>,
    ) -> Self {
        Self {
            body,
            length: length.and_then(|l| l.trim().parse::<u64>().ok()),
            content_type: content_type
                .filter(|t| !t.trim().is_empty())
                .or_else(|| fallback_type.map(str::to_string))
                .unwrap_or_else(|| "application/octet-stream".to_string()),
        }
    }
}

/// Streams `incoming` into `bucket` at `key`. `limit(content_type)` is the most bytes allowed.
/// A body of unknown length is read in full, up to the limit: R2 takes a stream only when its
/// length is known.
pub async fn into_r2(
    bucket: &Bucket,
    key: &str,
    incoming: Incoming,
    limit: impl Fn(&str) -> u64,
) -> Result<Stored, StreamError> {
    let Incoming {
        body,
        length,
        content_type,
    } = incoming;
    let max = limit(&content_type);
    if let Some(length) = length.filter(|l| *l > max) {
        return Err(StreamError::TooLarge { size: length, max });
    }
    let metadata = HttpMetadata {
        content_type: Some(content_type.clone()),
        ..Default::default()
    };
    let (size, sha256) = match (length, body) {
        (Some(length), Some(body)) => {
            let sha256 = streamed(bucket, key, body, length, metadata).await?;
            (length, sha256)
        }
        (_, body) => {
            let bytes = read_up_to(body, max).await?;
            let sha256 = sha256(&bytes);
            let size = bytes.len() as u64;
            bucket
                .put(key, bytes)
                .http_metadata(metadata)
                .execute()
                .await
                .map_err(|e| StreamError::Failed(format!("storing into R2: {e}")))?;
            (size, sha256)
        }
    };
    Ok(Stored {
        key: key.to_string(),
        content_type,
        size,
        sha256,
        filename: None,
    })
}

/// The body, chunk by chunk, into the writable half of a fixed-length stream whose readable half
/// R2 takes, hashing each chunk on the way. Each write waits for R2 to take the chunk before the
/// next is read, so only a chunk or two is ever in memory.
async fn streamed(
    bucket: &Bucket,
    key: &str,
    body: ReadableStream,
    length: u64,
    metadata: HttpMetadata,
) -> Result<[u8; 32], StreamError> {
    let js = |what: &'static str| move |e: JsValue| StreamError::Failed(format!("{what}: {e:?}"));
    let fixed = worker::worker_sys::FixedLengthStream::new_big_int(BigInt::from(length))
        .map_err(js("sizing the upload"))?;
    let fixed: &TransformStream = fixed.unchecked_ref();
    let writer = fixed
        .writable()
        .get_writer()
        .map_err(js("opening the upload"))?;
    let put = bucket
        .put(key, fixed.readable())
        .http_metadata(metadata)
        .execute();
    let pump = async {
        let mut chunks = ByteStream::from(body);
        let mut hash = Sha256Stream::default();
        while let Some(chunk) = chunks.next().await {
            let chunk =
                chunk.map_err(|e| StreamError::Failed(format!("reading the download: {e}")))?;
            hash.update(&chunk);
            JsFuture::from(writer.write_with_chunk(&Uint8Array::from(chunk.as_slice())))
                .await
                .map_err(js("streaming into R2"))?;
        }
        JsFuture::from(writer.close())
            .await
            .map_err(js("finishing the upload"))?;
        Ok::<_, StreamError>(hash.finish())
    };
    let (hashed, stored) = join(pump, put).await;
    // A body shorter or longer than it said fails the fixed-length stream, and so the put.
    stored.map_err(|e| StreamError::Failed(format!("storing into R2: {e}")))?;
    hashed
}

/// A body of unknown length, read whole but never past `max`.
async fn read_up_to(body: Option<ReadableStream>, max: u64) -> Result<Vec<u8>, StreamError> {
    let mut bytes = Vec::new();
    let Some(body) = body else {
        return Ok(bytes);
    };
    let mut chunks = ByteStream::from(body);
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| StreamError::Failed(format!("reading the body: {e}")))?;
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > max {
            return Err(StreamError::TooLarge {
                size: bytes.len() as u64,
                max,
            });
        }
    }
    Ok(bytes)
}
