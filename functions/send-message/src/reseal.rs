//! `POST /v1/operator/reseal` (operator): seals every channel's secrets again under the current
//! master key, a page at a time, so that the previous key can be retired. Running it again
//! changes nothing: channels already sealed under the current key are only counted.

use ponte_core::cursor;
use ponte_edge::auth::require_operator;
use ponte_edge::bindings::keyring;
use ponte_edge::http::{json, limit_param, query_pairs, query_param, ApiResult};
use ponte_edge::problem::ApiError;
use ponte_edge::store::{self, reseal};
use serde_json::json;
use worker::{console_error, Env, Request};

/// Channels per call by default; each costs a read, a decryption and at most one write.
const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 500;

pub async fn run(req: &Request, env: &Env) -> ApiResult {
    require_operator(req, env)?;
    let q = query_pairs(req)?;
    let limit = limit_param(&q, DEFAULT_PAGE, MAX_PAGE)?;
    let after = match query_param(&q, "cursor") {
        Some(c) => Some(cursor::decode::<String>(c).ok_or_else(|| {
            ApiError::BadRequest("cursor is not one this endpoint returned".into())
        })?),
        None => None,
    };
    let keys = keyring(env)?;
    let db = store::db(env)?;
    let mut channels = reseal::page(&db, after.as_deref(), limit + 1).await?;
    let more = channels.len() > limit as usize;
    channels.truncate(limit as usize);

    let (mut resealed, mut current, mut failed) = (0u32, 0u32, Vec::new());
    for channel in &channels {
        if keys.is_current(&channel.secrets_sealed) {
            current += 1;
            continue;
        }
        let opened = match keys.open(&channel.secrets_sealed, channel.id.as_bytes()) {
            Ok(opened) => opened,
            Err(e) => {
                console_error!("reseal: channel {} does not open: {e:?}", channel.id);
                failed.push(channel.id.clone());
                continue;
            }
        };
        let sealed = keys.seal(&opened.plaintext, channel.id.as_bytes());
        if reseal::replace(&db, channel, &sealed).await? {
            reseal::forget_cached(env, channel).await;
            resealed += 1;
        } else {
            // Only a re-seal rewrites a channel's secrets, so another run got there first.
            current += 1;
        }
    }
    let next_cursor = more
        .then(|| channels.last().map(|c| cursor::encode(&c.id)))
        .flatten();
    json(
        200,
        &json!({
            "key_id": keys.current_id(),
            "resealed": resealed,
            "already_current": current,
            "failed": failed.len(),
            "failed_channels": failed,
            "next_cursor": next_cursor,
        }),
    )
}
