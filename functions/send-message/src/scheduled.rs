//! Housekeeping on the router's cron triggers, each named by its schedule.

use ponte_edge::http::{json, ApiResult};
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use ponte_edge::store::{self, search_index};
use serde::Serialize;
use worker::{Env, Request};

use crate::redrive::{self, Redriven};
use crate::retention;

/// Every minute: settle sends nobody finished, and index new messages' text for search. Must
/// match the root wrangler.toml's triggers.
pub const MINUTELY_CRON: &str = "* * * * *";
/// Daily, at a quiet hour: delete what has outlived its retention. Must match the triggers too.
pub const RETENTION_CRON: &str = "30 3 * * *";

pub async fn run(req: &Request, env: &Env) -> ApiResult {
    let url = req.url()?;
    let cron = url
        .query_pairs()
        .find(|(name, _)| name == "cron")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    match cron.as_str() {
        MINUTELY_CRON => json(200, &minutely(env).await?),
        RETENTION_CRON => json(200, &retention::run(env, now_ms()).await?),
        _ => Err(ApiError::NotFound(format!(
            "no scheduled job runs on `{cron}`"
        ))),
    }
}

#[derive(Serialize)]
struct Minutely {
    redrive: Redriven,
    /// How far the search index's mark moved, in message seqs.
    search_indexed: i64,
}

async fn minutely(env: &Env) -> Result<Minutely, ApiError> {
    // Each job runs whether or not the other failed; the run reports the first failure.
    let redrive = redrive::run(env, now_ms()).await;
    let search_indexed = match store::db(env) {
        Ok(db) => search_index::catch_up(&db).await,
        Err(e) => Err(e),
    };
    Ok(Minutely {
        redrive: redrive?,
        search_indexed: search_indexed?,
    })
}
