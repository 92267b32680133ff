//! Files that came inside a webhook, base64 (Evolution and WPPConnect can send them so): decoded
//! into R2 right after the delivery is stored, never kept in a row. Only a message that was new
//! in this delivery has a pending attachment to fill; a redelivery's copy is removed again.

use crate::bindings::BLOBS;
use crate::now_ms;
use crate::store::channels::OpenedChannel;
use crate::store::inbound::InlineMedia;
use crate::store::media::{self, Copied};
use base64::Engine;
use ponte_core::media::{parse_sha256, sha256_matches};
use ponte_core::signature::{sha256, to_hex};
use worker::{D1Database, Env, HttpMetadata};

/// Stores each file; returns the ids of the messages whose attachment is now ready or failed.
/// Nothing here may fail the delivery: it is already stored.
pub async fn store(
    env: &Env,
    db: &D1Database,
    channel: &OpenedChannel,
    files: &[InlineMedia],
) -> Vec<String> {
    let mut settled = Vec::new();
    for file in files {
        match store_one(env, db, channel, file).await {
            Ok(true) => settled.push(file.message_id.clone()),
            Ok(false) => {}
            Err(e) => worker::console_error!("inline media {}: {e}", file.media_id),
        }
    }
    settled
}

async fn store_one(
    env: &Env,
    db: &D1Database,
    channel: &OpenedChannel,
    file: &InlineMedia,
) -> Result<bool, String> {
    let tenant_id = &channel.record.tenant_id;
    let content_type = file
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    let bytes = match decode(&file.base64) {
        Some(bytes) => bytes,
        None => return fail(db, tenant_id, file, "the inline file is not valid base64").await,
    };
    if let Some(max) = channel.channel.media_limit_bytes(&content_type) {
        if bytes.len() as u64 > max {
            let reason = format!(
                "the file is {} bytes; at most {max} bytes are taken for this type",
                bytes.len()
            );
            return fail(db, tenant_id, file, &reason).await;
        }
    }
    let hash = sha256(&bytes);
    let declared = file.sha256.as_deref().filter(|s| parse_sha256(s).is_some());
    if declared.is_some_and(|expected| !sha256_matches(expected, &hash)) {
        return fail(
            db,
            tenant_id,
            file,
            "sha256 mismatch: the inline file is not what the provider described",
        )
        .await;
    }
    let key = format!("media/{tenant_id}/{}", file.media_id);
    let bucket = env.bucket(BLOBS).map_err(|e| e.to_string())?;
    let size = bytes.len() as u64;
    let metadata = HttpMetadata {
        content_type: Some(content_type.clone()),
        ..Default::default()
    };
    bucket
        .put(&key, bytes)
        .http_metadata(metadata)
        .execute()
        .await
        .map_err(|e| e.to_string())?;
    let sha256_hex = to_hex(&hash);
    let copied = Copied {
        r2_key: &key,
        content_type: &content_type,
        size,
        sha256: &sha256_hex,
        filename: None,
    };
    let statement = media::ready_statement(db, tenant_id, &file.media_id, &copied, now_ms())
        .map_err(|e| format!("{e:?}"))?;
    let updated: Option<serde_json::Value> =
        statement.first(None).await.map_err(|e| e.to_string())?;
    if updated.is_none() {
        // A redelivery: its message, and so its attachment, was stored before.
        let _ = bucket.delete(&key).await;
        return Ok(false);
    }
    Ok(true)
}

async fn fail(
    db: &D1Database,
    tenant_id: &str,
    file: &InlineMedia,
    reason: &str,
) -> Result<bool, String> {
    let statement = media::failed_statement(db, tenant_id, &file.media_id, reason, now_ms())
        .map_err(|e| format!("{e:?}"))?;
    let result = statement.run().await.map_err(|e| e.to_string())?;
    let changed = result
        .meta()
        .ok()
        .flatten()
        .and_then(|meta| meta.changes)
        .unwrap_or(0);
    Ok(changed > 0)
}

/// Standard base64, with or without a `data:…;base64,` prefix, padding or line breaks.
fn decode(text: &str) -> Option<Vec<u8>> {
    let data = text.split_once(";base64,").map_or(text, |(_, data)| data);
    let compact: String = data.chars().filter(|c| !c.is_whitespace()).collect();
    let engine = base64::engine::general_purpose::STANDARD;
    engine
        .decode(&compact)
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(compact.trim_end_matches('='))
        })
        .ok()
        .filter(|bytes| !bytes.is_empty())
}
