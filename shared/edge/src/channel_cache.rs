//! Opened channels kept in the isolate's memory for a minute, keyed by webhook token.
//!
//! An isolate serves many requests; finding a channel (KV, else D1) and opening its secrets
//! (AES-GCM) on each of them was the largest fixed cost of a webhook after D1 itself. A changed
//! channel is seen within [`TTL_MS`]; unknown tokens are never cached, so junk traffic cannot
//! fill the memory.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use worker::{D1Database, Env};

use crate::problem::ApiError;
use crate::store::channels::{self, MetaChannel};

pub const TTL_MS: i64 = 60_000;
const MAX_ENTRIES: usize = 1024;

thread_local! {
    static OPENED: RefCell<HashMap<String, (Rc<MetaChannel>, i64)>> = RefCell::new(HashMap::new());
}

/// The Meta channel whose webhook URL ends in `token`, or `None` when there is none.
pub async fn meta_by_token(
    env: &Env,
    db: &D1Database,
    token: &str,
    now: i64,
) -> Result<Option<Rc<MetaChannel>>, ApiError> {
    let cached = OPENED.with(|c| {
        c.borrow()
            .get(token)
            .filter(|(_, expires)| *expires > now)
            .map(|(channel, _)| Rc::clone(channel))
    });
    if cached.is_some() {
        return Ok(cached);
    }
    let Some(record) = channels::find_by_token(env, db, token)
        .await?
        .filter(|c| c.provider == channels::META)
    else {
        return Ok(None);
    };
    let channel = Rc::new(channels::open_meta(env, record)?);
    OPENED.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= MAX_ENTRIES {
            cache.retain(|_, (_, expires)| *expires > now);
        }
        if cache.len() < MAX_ENTRIES {
            cache.insert(token.to_string(), (Rc::clone(&channel), now + TTL_MS));
        }
    });
    Ok(Some(channel))
}
