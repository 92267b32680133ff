//! Opened channels kept in the isolate's memory for a minute, by webhook token and by id.
//!
//! An isolate serves many requests; finding a channel (KV, else D1) and opening its secrets
//! (AES-GCM) on each of them was the largest fixed cost of a webhook after D1 itself. A changed
//! channel is seen within [`TTL_MS`]. Tokens that named no channel are remembered too, briefly
//! and in a bounded set, so junk traffic to webhook URLs costs no KV or D1 read; a token is
//! random and exists before anyone can know it, so remembering its absence hides no channel.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;

use worker::{D1Database, Env};

use crate::problem::ApiError;
use crate::store::channels::{self, ChannelRecord, OpenedChannel};

pub const TTL_MS: i64 = 60_000;
const MAX_ENTRIES: usize = 1024;
const UNKNOWN_TTL_MS: i64 = 30_000;
const MAX_UNKNOWN: usize = 4096;

thread_local! {
    static OPENED: RefCell<HashMap<String, (Rc<OpenedChannel>, i64)>> = RefCell::new(HashMap::new());
    static UNKNOWN_TOKENS: RefCell<HashMap<String, i64>> = RefCell::new(HashMap::new());
}

fn known_unknown(token: &str, now: i64) -> bool {
    UNKNOWN_TOKENS.with(|u| u.borrow().get(token).is_some_and(|expires| *expires > now))
}

fn remember_unknown(token: &str, now: i64) {
    UNKNOWN_TOKENS.with(|u| {
        let mut unknown = u.borrow_mut();
        if unknown.len() >= MAX_UNKNOWN {
            unknown.retain(|_, expires| *expires > now);
        }
        // Still full of fresh junk: forgetting it all keeps memory bounded; it costs reads only.
        if unknown.len() >= MAX_UNKNOWN {
            unknown.clear();
        }
        unknown.insert(token.to_string(), now + UNKNOWN_TTL_MS);
    });
}

fn cached(key: &str, now: i64) -> Option<Rc<OpenedChannel>> {
    OPENED.with(|c| {
        c.borrow()
            .get(key)
            .filter(|(_, expires)| *expires > now)
            .map(|(channel, _)| Rc::clone(channel))
    })
}

fn remember(key: String, channel: &Rc<OpenedChannel>, now: i64) {
    OPENED.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= MAX_ENTRIES {
            cache.retain(|_, (_, expires)| *expires > now);
        }
        if cache.len() < MAX_ENTRIES {
            cache.insert(key, (Rc::clone(channel), now + TTL_MS));
        }
    });
}

/// The `provider` channel whose webhook URL ends in `token`, or `None` when there is none: a
/// token of another provider's channel is no channel at this provider's URL.
pub async fn by_token(
    env: &Env,
    db: &D1Database,
    provider: &str,
    token: &str,
    now: i64,
) -> Result<Option<Rc<OpenedChannel>>, ApiError> {
    if known_unknown(token, now) {
        return Ok(None);
    }
    let channel = opened(
        env,
        format!("token:{token}"),
        now,
        channels::find_by_token(env, db, token),
    )
    .await?;
    if channel.is_none() {
        remember_unknown(token, now);
    }
    Ok(channel.filter(|c| c.record.provider == provider))
}

/// The tenant's channel with this id, or `None` when there is none.
pub async fn by_id(
    env: &Env,
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<Option<Rc<OpenedChannel>>, ApiError> {
    let key = format!("id:{tenant_id}:{id}");
    opened(env, key, now, channels::find(db, tenant_id, id)).await
}

/// From the cache, else found by `find` (only awaited on a miss), opened and remembered.
async fn opened(
    env: &Env,
    key: String,
    now: i64,
    find: impl Future<Output = Result<Option<ChannelRecord>, ApiError>>,
) -> Result<Option<Rc<OpenedChannel>>, ApiError> {
    if let Some(channel) = cached(&key, now) {
        return Ok(Some(channel));
    }
    let Some(record) = find.await? else {
        return Ok(None);
    };
    let channel = Rc::new(channels::open(env, record)?);
    remember(key, &channel, now);
    Ok(Some(channel))
}
