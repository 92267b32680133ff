//! Channels: created by tenants, found by webhook token on the hot path (KV cache, D1 fallback).

use ponte_core::identity::CallingCode;
use ponte_core::providers::{self, Channel, ConnectionUpdate};
use ponte_core::secrets::SecretError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{D1Database, D1PreparedStatement, Env};

use super::{int, text};
use crate::bindings::{keyring, CACHE, MASTER_KEY_PREVIOUS};
use crate::problem::ApiError;

/// A channel row as stored. `secrets_sealed` is only ever opened by the function that needs it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelRecord {
    pub id: String,
    pub tenant_id: String,
    pub provider: String,
    pub name: String,
    pub webhook_token: String,
    pub config: String,
    pub secrets_sealed: String,
    pub created_at: i64,
    /// A gateway session's state, `{state, qr}`, as last reported at `connection_at`.
    #[serde(default)]
    pub connection: Option<String>,
    #[serde(default)]
    pub connection_at: Option<i64>,
}

const CACHE_TTL_SECONDS: u64 = 300;

pub(crate) fn cache_key(token: &str) -> String {
    format!("channel-by-token:{token}")
}

pub async fn insert(db: &D1Database, c: &ChannelRecord) -> Result<(), ApiError> {
    db.prepare(
        "INSERT INTO channels (id, tenant_id, provider, name, webhook_token, config, secrets_sealed, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .bind(&[
        text(&c.id),
        text(&c.tenant_id),
        text(&c.provider),
        text(&c.name),
        text(&c.webhook_token),
        text(&c.config),
        text(&c.secrets_sealed),
        int(c.created_at),
    ])?
    .run()
    .await?;
    Ok(())
}

pub async fn list(db: &D1Database, tenant_id: &str) -> Result<Vec<ChannelRecord>, ApiError> {
    let result = db
        .prepare("SELECT * FROM channels WHERE tenant_id = ?1 ORDER BY created_at, id")
        .bind(&[text(tenant_id)])?
        .all()
        .await?;
    Ok(result.results()?)
}

pub async fn find_by_token(
    env: &Env,
    db: &D1Database,
    token: &str,
) -> Result<Option<ChannelRecord>, ApiError> {
    // The cache is an optimization: if KV fails or holds garbage, D1 still answers. A copy
    // sealed under another key than today's predates a rotation or a re-seal: D1 has the
    // channel as it is now, which may open where the copy no longer does.
    let kv = env.kv(CACHE).ok();
    if let Some(kv) = &kv {
        if let Ok(Some(cached)) = kv.get(&cache_key(token)).json::<ChannelRecord>().await {
            let current = keyring(env).is_ok_and(|keys| keys.is_current(&cached.secrets_sealed));
            if current {
                return Ok(Some(cached));
            }
        }
    }
    let found: Option<ChannelRecord> = db
        .prepare("SELECT * FROM channels WHERE webhook_token = ?1")
        .bind(&[text(token)])?
        .first(None)
        .await?;
    if let (Some(kv), Some(channel)) = (&kv, &found) {
        if let Ok(put) = kv.put(&cache_key(token), channel) {
            let _ = put.expiration_ttl(CACHE_TTL_SECONDS).execute().await;
        }
    }
    Ok(found)
}

pub async fn find(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ChannelRecord>, ApiError> {
    Ok(db
        .prepare("SELECT * FROM channels WHERE id = ?1 AND tenant_id = ?2")
        .bind(&[text(id), text(tenant_id)])?
        .first(None)
        .await?)
}

/// A gateway session's state; an older report never overwrites a newer one. Returns the state
/// only when it was written.
const SET_CONNECTION: &str = "UPDATE channels SET connection = ?3, connection_at = ?4 \
     WHERE id = ?1 AND tenant_id = ?2 AND (connection_at IS NULL OR connection_at <= ?4) \
     RETURNING connection, connection_at";

/// Records the session state `update` reported at `at`, unless a later report is stored.
pub fn connection_statement(
    db: &D1Database,
    tenant_id: &str,
    channel_id: &str,
    update: &ConnectionUpdate,
    at: i64,
) -> Result<D1PreparedStatement, ApiError> {
    let state = serde_json::json!({"state": update.state, "qr": update.qr}).to_string();
    Ok(db.prepare(SET_CONNECTION).bind(&[
        text(channel_id),
        text(tenant_id),
        text(&state),
        int(at),
    ])?)
}

/// A channel with its configuration parsed and its secrets opened, by its provider's adapter.
pub struct OpenedChannel {
    pub record: ChannelRecord,
    pub channel: Box<dyn Channel>,
}

/// Opens a stored channel with its provider's adapter. What was stored by Ponte itself must open;
/// failing to is a bug, or a master key rotated without keeping the previous one, never the
/// caller's fault.
pub fn open(env: &Env, record: ChannelRecord) -> Result<OpenedChannel, ApiError> {
    let provider = providers::provider(&record.provider).ok_or_else(|| {
        ApiError::internal(format!(
            "channel {} has unknown provider {}",
            record.id, record.provider
        ))
    })?;
    let config: Value = serde_json::from_str(&record.config)
        .map_err(|e| ApiError::internal(format!("channel {} config: {e}", record.id)))?;
    let opened = keyring(env)?
        .open(&record.secrets_sealed, record.id.as_bytes())
        .map_err(|e| match e {
            SecretError::UnknownKey => ApiError::Misconfigured(format!(
                "channel {} cannot be used: its credentials were sealed under a master key this \
                 deployment no longer holds; its operator must set {MASTER_KEY_PREVIOUS} to the \
                 key that was replaced",
                record.id
            )),
            _ => ApiError::internal(format!("channel {} secrets do not decrypt", record.id)),
        })?;
    let secrets: Value = serde_json::from_slice(&opened.plaintext).map_err(|_| {
        ApiError::internal(format!("channel {} secrets are not readable", record.id))
    })?;
    let channel = provider.open(config, secrets).map_err(|e| {
        ApiError::internal(format!("channel {} does not open: {}", record.id, e.field))
    })?;
    Ok(OpenedChannel { record, channel })
}

/// Where the channel's provider posts its webhooks; it holds the channel's token.
pub fn webhook_url(base_url: &str, record: &ChannelRecord) -> String {
    format!(
        "{base_url}/webhooks/{}/{}",
        record.provider, record.webhook_token
    )
}

/// A channel as the API shows it: no secrets; for an admin (`webhook_base` given), the URL its
/// provider posts webhooks to, which holds the channel's token; and, for providers with a session
/// on a phone, the session's state (`connection`, with its QR code when one waits to be scanned).
/// `connection` overrides the record's with a fresher `({state, qr}, at)`.
pub fn public_view(
    record: &ChannelRecord,
    webhook_base: Option<&str>,
    connection: Option<(&Value, i64)>,
) -> Value {
    let mut view = serde_json::json!({
        "id": record.id,
        "provider": record.provider,
        "name": record.name,
        "config": serde_json::from_str::<Value>(&record.config).unwrap_or(Value::Null),
        "created_at": record.created_at,
    });
    if let Some(base_url) = webhook_base {
        view["webhook_url"] = webhook_url(base_url, record).into();
    }
    // A provider without a session may still have been connected (Telegram's `setWebhook`):
    // its state then says so.
    let has_session = record.connection.is_some()
        || providers::provider(&record.provider).is_some_and(|p| p.capabilities().session);
    if has_session {
        let stored = record
            .connection
            .as_deref()
            .and_then(|c| serde_json::from_str::<Value>(c).ok());
        let (state, at) = match connection {
            Some((state, at)) => (Some(state.clone()), Some(at)),
            None => (stored, record.connection_at),
        };
        // Until the gateway first reports, the session is taken as down: connecting it is the
        // next step either way.
        let state = state.unwrap_or_else(|| serde_json::json!({"state": "disconnected"}));
        view["connection"] = serde_json::json!({
            "state": state.get("state").cloned().unwrap_or(Value::Null),
            "qr": state.get("qr").cloned().unwrap_or(Value::Null),
            "updated_at": at,
        });
    }
    view
}

/// The default countries the tenant's channels name (`config.default_country`), for reading a
/// number written nationally where no channel is given (a contact search).
pub async fn default_countries(
    db: &D1Database,
    tenant_id: &str,
) -> Result<Vec<CallingCode>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        code: String,
    }
    let rows: Vec<Row> = db
        .prepare(
            "SELECT DISTINCT json_extract(config, '$.default_country') AS code FROM channels \
             WHERE tenant_id = ?1 AND json_extract(config, '$.default_country') IS NOT NULL",
        )
        .bind(&[text(tenant_id)])?
        .all()
        .await?
        .results()?;
    // Stored codes were checked when the channel was created; one that no longer reads is skipped.
    Ok(rows
        .iter()
        .filter_map(|r| CallingCode::parse(&r.code).ok())
        .collect())
}
