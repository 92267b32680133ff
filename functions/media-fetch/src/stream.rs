//! A provider's response body into R2 without holding it whole: the body is teed, one branch
//! through a fixed-length stream into R2 (which needs the length up front), the other through
//! the runtime's SHA-256 digest stream. Memory stays flat whatever the file's size.

use futures_util::future::join3;
use ponte_core::signature::sha256;
use worker::crypto::{DigestStream, DigestStreamAlgorithm};
use worker::js_sys::{BigInt, Uint8Array};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{ReadableStream, TransformStream};
use worker::{Bucket, HttpMetadata, ResponseBody};

use crate::copy::CopyError;

/// What landed in R2.
pub struct Stored {
    pub key: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: [u8; 32],
    pub filename: Option<String>,
}

/// Streams `response` into `bucket` at `key`. `limit(content_type)` is the most bytes allowed.
/// A body of unknown length is read in full, up to the limit: R2 takes a stream only when its
/// length is known.
pub async fn into_r2(
    bucket: &Bucket,
    key: &str,
    mut response: worker::Response,
    fallback_type: Option<&str>,
    limit: impl Fn(&str) -> u64,
) -> Result<Stored, CopyError> {
    let content_type = response
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| fallback_type.map(str::to_string))
        .unwrap_or_else(|| "application/octet-stream".to_string());
    let max = limit(&content_type);
    let length = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|l| l.trim().parse::<u64>().ok());
    if let Some(length) = length.filter(|l| *l > max) {
        return Err(too_large(length, max));
    }
    let metadata = HttpMetadata {
        content_type: Some(content_type.clone()),
        ..Default::default()
    };
    let (size, sha256) = match (length, response.body()) {
        (Some(length), ResponseBody::Stream(body)) => {
            let body = body.clone();
            let sha256 = streamed(bucket, key, &body, length, metadata).await?;
            (length, sha256)
        }
        _ => {
            let bytes = response
                .bytes()
                .await
                .map_err(|e| CopyError::Transient(format!("reading the download: {e}")))?;
            if bytes.len() as u64 > max {
                return Err(too_large(bytes.len() as u64, max));
            }
            let sha256 = sha256(&bytes);
            let size = bytes.len() as u64;
            bucket
                .put(key, bytes)
                .http_metadata(metadata)
                .execute()
                .await
                .map_err(|e| CopyError::Transient(format!("storing into R2: {e}")))?;
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

async fn streamed(
    bucket: &Bucket,
    key: &str,
    body: &ReadableStream,
    length: u64,
    metadata: HttpMetadata,
) -> Result<[u8; 32], CopyError> {
    let js = |what: &str| {
        let what = what.to_string();
        move |e: worker::wasm_bindgen::JsValue| CopyError::Transient(format!("{what}: {e:?}"))
    };
    let branches = body.tee();
    let (to_r2, to_digest): (ReadableStream, ReadableStream) = (
        branches.get(0).unchecked_into(),
        branches.get(1).unchecked_into(),
    );
    let fixed = worker::worker_sys::FixedLengthStream::new_big_int(BigInt::from(length))
        .map_err(js("sizing the upload"))?;
    let fixed: &TransformStream = fixed.unchecked_ref();
    let digest = DigestStream::new(DigestStreamAlgorithm::Sha256);
    let into_fixed = JsFuture::from(to_r2.pipe_to(&fixed.writable()));
    let into_digest = JsFuture::from(to_digest.pipe_to(digest.raw().unchecked_ref()));
    let put = bucket
        .put(key, fixed.readable())
        .http_metadata(metadata)
        .execute();
    let (piped, hashed, stored) = join3(into_fixed, into_digest, put).await;
    stored.map_err(|e| {
        // A body shorter or longer than it said fails the fixed-length stream, and so the put.
        CopyError::Transient(format!("storing into R2: {e}"))
    })?;
    piped.map_err(js("streaming the download"))?;
    hashed.map_err(js("hashing the download"))?;
    let digest: Uint8Array = digest
        .digest()
        .await
        .map_err(|e| CopyError::Transient(format!("hashing the download: {e}")))?;
    let mut sha256 = [0u8; 32];
    if digest.length() as usize != sha256.len() {
        return Err(CopyError::Transient("the digest is not SHA-256".into()));
    }
    digest.copy_to(&mut sha256);
    Ok(sha256)
}

fn too_large(size: u64, max: u64) -> CopyError {
    CopyError::Permanent(format!(
        "the file is {size} bytes; at most {max} bytes are copied for this type"
    ))
}
