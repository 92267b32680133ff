//! Housekeeping on the router's cron triggers, each named by its schedule.

use ponte_edge::http::{json, ApiResult};
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use worker::{Env, Request};

use crate::{redrive, retention};

/// Every minute: settle sends nobody finished. Must match the root wrangler.toml's triggers.
pub const REDRIVE_CRON: &str = "* * * * *";
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
        REDRIVE_CRON => json(200, &redrive::run(env, now_ms()).await?),
        RETENTION_CRON => json(200, &retention::run(env, now_ms()).await?),
        _ => Err(ApiError::NotFound(format!(
            "no scheduled job runs on `{cron}`"
        ))),
    }
}
