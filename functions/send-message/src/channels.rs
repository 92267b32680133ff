//! `POST /v1/channels` and `GET /v1/channels`. Secrets go in, sealed, and never come out.

use ponte_core::ids::{new_id, new_token};
use ponte_core::providers;
use ponte_core::providers::endpoints::check_endpoint;
use ponte_edge::auth::Principal;
use ponte_edge::bindings::{allows_local_providers, keyring};
use ponte_edge::channel_cache;
use ponte_edge::http::{json, public_base_url, read_json, ApiResult};
use ponte_edge::problem::ApiError;
use ponte_edge::realtime::Events;
use ponte_edge::store::channels::{self, public_view, ChannelRecord};
use ponte_edge::store::{self};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Env, Request};

use crate::agent_actions::tell_provider;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewChannel {
    provider: String,
    name: String,
    config: Value,
    secrets: Value,
}

pub async fn create(req: &mut Request, env: &Env, principal: &Principal, now: i64) -> ApiResult {
    principal.require_admin()?;
    let body: NewChannel = read_json(req).await?;
    let Some(provider) = providers::provider(&body.provider) else {
        let known: Vec<&str> = providers::names().collect();
        return Err(ApiError::InvalidField {
            field: "provider".into(),
            reason: format!("must be one of: {}", known.join(", ")),
        });
    };
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::Unprocessable(
            "name must be 1 to 100 characters".into(),
        ));
    }
    // Parsed once, here: what is stored is what the adapter made of it, so it opens again.
    let channel = provider
        .open(body.config, body.secrets)
        .map_err(|e| ApiError::InvalidField {
            field: e.field,
            reason: e.reason,
        })?;
    let allow_local = allows_local_providers(env);
    for (field, url) in channel.endpoints() {
        check_endpoint(url, allow_local).map_err(|reason| ApiError::InvalidField {
            field: field.into(),
            reason,
        })?;
    }

    let id = new_id("chn");
    let secrets_json =
        serde_json::to_vec(&channel.secrets()).map_err(|e| ApiError::internal(e.to_string()))?;
    let record = ChannelRecord {
        secrets_sealed: keyring(env)?.seal(&secrets_json, id.as_bytes()),
        id,
        tenant_id: principal.tenant_id().to_string(),
        provider: provider.name().to_string(),
        name,
        webhook_token: new_token(),
        config: channel.config().to_string(),
        created_at: now,
        connection: None,
        connection_at: None,
    };
    channels::insert(&store::db(env)?, &record).await?;
    json(
        201,
        &public_view(&record, Some(&public_base_url(req, env)?), None),
    )
}

/// Where webhooks go is shown to admins only: the URL holds the channel's token.
fn webhook_base(
    req: &Request,
    env: &Env,
    principal: &Principal,
) -> Result<Option<String>, ApiError> {
    Ok(if principal.is_admin() {
        Some(public_base_url(req, env)?)
    } else {
        None
    })
}

pub async fn list(req: &Request, env: &Env, principal: &Principal) -> ApiResult {
    let base = webhook_base(req, env, principal)?;
    let records = channels::list(&store::db(env)?, principal.tenant_id()).await?;
    let data: Vec<Value> = records
        .iter()
        .map(|r| public_view(r, base.as_deref(), None))
        .collect();
    json(200, &json!({ "data": data }))
}

pub async fn get(req: &Request, env: &Env, principal: &Principal, id: &str) -> ApiResult {
    let record = channels::find(&store::db(env)?, principal.tenant_id(), id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no channel {id}")))?;
    let base = webhook_base(req, env, principal)?;
    json(200, &public_view(&record, base.as_deref(), None))
}

/// `POST /v1/channels/{id}/connect`: asks a gateway for a new session or QR code. The answer
/// is the channel with the session as the gateway now reports it, also pushed as
/// `channel.updated`.
pub async fn connect(
    req: &Request,
    env: &Env,
    principal: &Principal,
    id: &str,
    now: i64,
) -> ApiResult {
    principal.require_admin()?;
    let tenant_id = principal.tenant_id();
    let db = store::db(env)?;
    let channel = channel_cache::by_id(env, &db, tenant_id, id, now)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no channel {id}")))?;
    let provider = channel.channel.provider().name();
    let base = public_base_url(req, env)?;
    let webhook_url = channels::webhook_url(&base, &channel.record);
    let call = channel.channel.connect(&webhook_url).ok_or_else(|| {
        ApiError::Unprocessable(format!("{provider} channels have no session to connect"))
    })?;
    let update = tell_provider(env, &channel.channel.request(&call), |answer| {
        channel.channel.classify_connect(answer)
    })
    .await?;
    db.batch(vec![channels::connection_statement(
        &db, tenant_id, id, &update, now,
    )?])
    .await?;
    let record = channels::find(&db, tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no channel {id}")))?;
    // Every socket of the tenant gets the event, agents' too: it carries no webhook URL.
    let mut events = Events::default();
    events.channel_updated(id, &public_view(&record, None, None));
    events.publish(env, tenant_id).await;
    json(200, &public_view(&record, Some(&base), None))
}

/// `GET /v1/channels/{id}/templates`: the templates the business may send on this channel, as
/// its provider lists them now (only approved ones). A provider without templates is 422.
pub async fn templates(env: &Env, principal: &Principal, id: &str, now: i64) -> ApiResult {
    let db = store::db(env)?;
    let channel = channel_cache::by_id(env, &db, principal.tenant_id(), id, now)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no channel {id}")))?;
    let request = channel
        .channel
        .templates_request()
        .map_err(ApiError::Unprocessable)?;
    let listed = tell_provider(env, &request, |answer| {
        channel.channel.parse_templates(answer)
    })
    .await?;
    json(200, &json!({ "data": listed }))
}
