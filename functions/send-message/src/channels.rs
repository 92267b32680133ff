//! `POST /v1/channels` and `GET /v1/channels`. Secrets go in, sealed, and never come out.

use ponte_core::ids::{new_id, new_token};
use ponte_core::providers::meta::{MetaConfig, MetaSecrets};
use ponte_edge::auth::Principal;
use ponte_edge::bindings::{master_key, PUBLIC_BASE_URL};
use ponte_edge::http::{json, read_json, ApiResult};
use ponte_edge::problem::ApiError;
use ponte_edge::store::channels::{self, ChannelRecord};
use ponte_edge::store::{self};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Env, Request};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewChannel {
    provider: String,
    name: String,
    config: Value,
    secrets: Value,
}

fn field<T: serde::de::DeserializeOwned>(name: &str, value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::Unprocessable(format!("{name}: {e}")))
}

pub async fn create(req: &mut Request, env: &Env, principal: &Principal, now: i64) -> ApiResult {
    principal.require_admin()?;
    let body: NewChannel = read_json(req).await?;
    if body.provider != "meta" {
        return Err(ApiError::Unprocessable(
            "provider must be one of: meta".into(),
        ));
    }
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::Unprocessable(
            "name must be 1 to 100 characters".into(),
        ));
    }
    let config: MetaConfig = field("config", body.config)?;
    config.check().map_err(ApiError::Unprocessable)?;
    let secrets: MetaSecrets = field("secrets", body.secrets)?;
    secrets.check().map_err(ApiError::Unprocessable)?;

    let id = new_id("chn");
    let secrets_json =
        serde_json::to_vec(&secrets).map_err(|e| ApiError::internal(e.to_string()))?;
    let record = ChannelRecord {
        secrets_sealed: master_key(env)?
            .secret_box()
            .seal(&secrets_json, id.as_bytes()),
        id,
        tenant_id: principal.tenant_id().to_string(),
        provider: body.provider,
        name,
        webhook_token: new_token(),
        config: serde_json::to_string(&config).map_err(|e| ApiError::internal(e.to_string()))?,
        created_at: now,
    };
    channels::insert(&store::db(env)?, &record).await?;
    json(201, &public_view(&record, &base_url(req, env)?))
}

pub async fn list(req: &Request, env: &Env, principal: &Principal) -> ApiResult {
    let base = base_url(req, env)?;
    let records = channels::list(&store::db(env)?, principal.tenant_id()).await?;
    let data: Vec<Value> = records.iter().map(|r| public_view(r, &base)).collect();
    json(200, &json!({ "data": data }))
}

fn public_view(record: &ChannelRecord, base_url: &str) -> Value {
    json!({
        "id": record.id,
        "provider": record.provider,
        "name": record.name,
        "config": serde_json::from_str::<Value>(&record.config).unwrap_or(Value::Null),
        "webhook_url": format!("{base_url}/webhooks/{}/{}", record.provider, record.webhook_token),
        "created_at": record.created_at,
    })
}

/// The public origin: configured, or the one this request came in on.
fn base_url(req: &Request, env: &Env) -> Result<String, ApiError> {
    if let Ok(configured) = env.var(PUBLIC_BASE_URL) {
        let configured = configured.to_string();
        if !configured.is_empty() {
            return Ok(configured.trim_end_matches('/').to_string());
        }
    }
    let url = req
        .url()
        .map_err(|_| ApiError::BadRequest("invalid URL".into()))?;
    Ok(url.origin().ascii_serialization())
}
