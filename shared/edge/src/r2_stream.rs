//! A provider's response body or a client's upload into R2 without holding it whole: chunk by
//! chunk through a fixed-length stream when the length is known (R2 needs it up front), else as
//! a multipart upload of fixed-size parts; hashed on the way. Memory stays flat whatever the
//! file's size.

use futures_util::future::join;
use futures_util::stream::LocalBoxStream;
use futures_util::StreamExt;
use ponte_core::signature::Sha256Stream;
use worker::js_sys::{BigInt, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{ReadableStream, TransformStream};
use worker::{Bucket, ByteStream, HttpMetadata, MultipartUpload, ResponseBody};

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
    /// The body could not be read to its end: a dropped connection, or a malformed form.
    Unreadable(String),
    /// Storing failed; another try may succeed.
    Failed(String),
}

impl StreamError {
    pub fn describe(&self) -> String {
        match self {
            Self::TooLarge { size, max } => {
                format!("the file is {size} bytes; at most {max} bytes are taken for this type")
            }
            Self::Unreadable(reason) | Self::Failed(reason) => reason.clone(),
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

/// Bytes on their way in, chunk by chunk; an error says what failed to read.
pub type Chunks = LocalBoxStream<'static, Result<Vec<u8>, String>>;

/// A body's chunks as [`Chunks`]; no body is no chunks.
pub fn chunks_of(body: Option<ReadableStream>) -> Chunks {
    match body {
        Some(body) => ByteStream::from(body)
            .map(|chunk| chunk.map_err(|e| format!("reading the body: {e}")))
            .boxed_local(),
        None => futures_util::stream::empty().boxed_local(),
    }
}

/// Streams `incoming` into `bucket` at `key`. `limit(content_type)` is the most bytes allowed.
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
    chunks_into_r2(bucket, key, chunks_of(body), length, content_type, max).await
}

/// How much of a request body declared too large is read and thrown away before the refusal.
pub const DISCARD_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// Reads up to `limit` bytes of a refused request body. A caller still sending it (the router's
/// hop to this Worker) then takes the answer instead of seeing its request cut off, which would
/// turn the 413 into a bare 500; past `limit` the body is cut off all the same.
pub async fn discard(mut chunks: Chunks, limit: u64) {
    let mut read = 0u64;
    while read < limit {
        match chunks.next().await {
            Some(Ok(chunk)) => read += chunk.len() as u64,
            _ => break,
        }
    }
}

/// Streams `chunks` into `bucket` at `key`, `length` bytes if known. A known length streams
/// through one put; an unknown one goes up in parts of [`PART_BYTES`] (R2 takes a single stream
/// only when its length is known), so neither is ever held whole.
pub async fn chunks_into_r2(
    bucket: &Bucket,
    key: &str,
    chunks: Chunks,
    length: Option<u64>,
    content_type: String,
    max: u64,
) -> Result<Stored, StreamError> {
    if let Some(length) = length.filter(|l| *l > max) {
        return Err(StreamError::TooLarge { size: length, max });
    }
    let metadata = HttpMetadata {
        content_type: Some(content_type.clone()),
        ..Default::default()
    };
    let (size, sha256) = match length {
        Some(length) => {
            let sha256 = streamed(bucket, key, chunks, length, metadata).await?;
            (length, sha256)
        }
        None => in_parts(bucket, key, chunks, max, metadata).await?,
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
    mut chunks: Chunks,
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
        let mut hash = Sha256Stream::default();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(StreamError::Unreadable)?;
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

/// R2's parts must all be one size but the last, and at least 5 MiB.
pub const PART_BYTES: usize = 8 * 1024 * 1024;

/// A body of unknown length: a small one in one put, a larger one as a multipart upload of
/// [`PART_BYTES`] parts, so at most one part is held. Over `max` it stops, and nothing is kept.
async fn in_parts(
    bucket: &Bucket,
    key: &str,
    mut chunks: Chunks,
    max: u64,
    metadata: HttpMetadata,
) -> Result<(u64, [u8; 32]), StreamError> {
    let failed = |what: &str, e: worker::Error| StreamError::Failed(format!("{what}: {e}"));
    let mut hash = Sha256Stream::default();
    let mut size = 0u64;
    let mut part = Vec::new();
    let mut upload: Option<MultipartUpload> = None;
    let mut uploaded = Vec::new();
    let result = async {
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(StreamError::Unreadable)?;
            size += chunk.len() as u64;
            if size > max {
                return Err(StreamError::TooLarge { size, max });
            }
            hash.update(&chunk);
            let mut rest = chunk.as_slice();
            while !rest.is_empty() {
                let take = (PART_BYTES - part.len()).min(rest.len());
                part.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                if part.len() == PART_BYTES {
                    if upload.is_none() {
                        let created = bucket
                            .create_multipart_upload(key)
                            .http_metadata(metadata.clone())
                            .execute()
                            .await
                            .map_err(|e| failed("starting the upload into R2", e))?;
                        upload = Some(created);
                    }
                    if let Some(upload) = &upload {
                        let number = u16::try_from(uploaded.len() + 1).map_err(|_| {
                            StreamError::Failed("the file has too many parts for R2".into())
                        })?;
                        let full = std::mem::replace(&mut part, Vec::with_capacity(PART_BYTES));
                        uploaded.push(
                            upload
                                .upload_part(number, full)
                                .await
                                .map_err(|e| failed("storing a part into R2", e))?,
                        );
                    }
                }
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        if let Some(upload) = upload {
            let _ = upload.abort().await;
        }
        return Err(e);
    }
    match upload {
        None => {
            bucket
                .put(key, part)
                .http_metadata(metadata)
                .execute()
                .await
                .map_err(|e| failed("storing into R2", e))?;
        }
        Some(upload) => {
            if !part.is_empty() {
                let number = u16::try_from(uploaded.len() + 1).map_err(|_| {
                    StreamError::Failed("the file has too many parts for R2".into())
                })?;
                match upload.upload_part(number, part).await {
                    Ok(last) => uploaded.push(last),
                    Err(e) => {
                        let _ = upload.abort().await;
                        return Err(failed("storing a part into R2", e));
                    }
                }
            }
            upload
                .complete(uploaded)
                .await
                .map_err(|e| failed("finishing the upload into R2", e))?;
        }
    }
    Ok((size, hash.finish()))
}
