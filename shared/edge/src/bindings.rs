//! Binding and secret names, as declared in the wrangler configs.

/// D1: the source of truth.
pub const DB: &str = "DB";
/// KV: a cache of channel lookups by webhook token; nothing exact lives here.
pub const CACHE: &str = "CACHE";
/// R2: media and raw webhook bodies too large for a D1 row.
pub const BLOBS: &str = "BLOBS";

/// Durable Object namespace: one realtime hub per tenant (defined in send-message).
pub const TENANT_HUB: &str = "TENANT_HUB";
/// Fault injection for the tests only: the hub waits this long before taking a publish, as a
/// slow or distant hub would. Unset (0) in every real deployment.
pub const FAULT_HUB_DELAY_MS: &str = "PONTE_FAULT_HUB_DELAY_MS";

/// Queue: send attempts after a transient failure, each delayed by its backoff.
pub const SEND_QUEUE: &str = "SEND_QUEUE";
/// Queue: sends that exhausted their attempts (its consumer records them in `dead_letters`).
pub const SEND_DLQ: &str = "SEND_DLQ";
/// Queue names, as the consumer sees them in a batch.
pub const SEND_QUEUE_NAME: &str = "ponte-send";
pub const SEND_DLQ_NAME: &str = "ponte-send-dlq";

/// Variables: the send retry policy (all optional, with defaults in send-message).
pub const SEND_MAX_ATTEMPTS: &str = "SEND_MAX_ATTEMPTS";
pub const SEND_RETRY_BASE_SECONDS: &str = "SEND_RETRY_BASE_SECONDS";
pub const SEND_RETRY_CAP_SECONDS: &str = "SEND_RETRY_CAP_SECONDS";
pub const SEND_TIMEOUT_MS: &str = "SEND_TIMEOUT_MS";
/// Statements per D1 batch when a delivery is stored (`ingest::commit`).
pub const D1_BATCH_MAX_STATEMENTS: &str = "D1_BATCH_MAX_STATEMENTS";

/// Secret: authorizes tenant creation.
pub const OPERATOR_KEY: &str = "PONTE_OPERATOR_KEY";
/// Secret: the root of the AES key for provider secrets and of the JWT signing key.
pub const MASTER_KEY: &str = "PONTE_MASTER_KEY";
/// Secret, during a rotation only: the master key being replaced, which still opens what it
/// sealed and verifies what it signed ("none" or empty when there is none).
pub const MASTER_KEY_PREVIOUS: &str = "PONTE_MASTER_KEY_PREVIOUS";
/// Optional variable: the public origin used in webhook URLs (defaults to the request's).
pub const PUBLIC_BASE_URL: &str = "PUBLIC_BASE_URL";
/// "1" lets channels point at loopback, private hosts and plain http: a local run and the tests.
pub const ALLOW_LOCAL_PROVIDERS: &str = "PONTE_ALLOW_LOCAL_PROVIDERS";

/// A numeric variable, or `default` when it is unset or not a number.
pub fn number_var(env: &worker::Env, name: &str, default: u64) -> u64 {
    env.var(name)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u64>().ok())
        .unwrap_or(default)
}

/// The largest attachment copied or uploaded, `MEDIA_MAX_BYTES` (100 MiB unless set); each
/// provider's own limit applies below it.
pub fn media_max_bytes(env: &worker::Env) -> u64 {
    number_var(env, MEDIA_MAX_BYTES, 100 * 1024 * 1024)
}

/// Whether this deployment lets channels call local providers (see [`ALLOW_LOCAL_PROVIDERS`]).
pub fn allows_local_providers(env: &worker::Env) -> bool {
    env.var(ALLOW_LOCAL_PROVIDERS)
        .map(|v| matches!(v.to_string().trim(), "1" | "true"))
        .unwrap_or(false)
}

pub const JWT_KEY_PURPOSE: &str = "ponte/jwt/v1";
pub const MEDIA_LINK_KEY_PURPOSE: &str = "ponte/media-link/v1";

/// Queue: attachments to copy into R2 (media-fetch consumes it; its dead letters end `failed`).
pub const MEDIA_QUEUE: &str = "MEDIA_QUEUE";
pub const MEDIA_QUEUE_NAME: &str = "ponte-media";
pub const MEDIA_DLQ_NAME: &str = "ponte-media-dlq";
/// Variables: media copy policy (all optional, with defaults in media-fetch).
pub const MEDIA_MAX_BYTES: &str = "MEDIA_MAX_BYTES";
pub const MEDIA_MAX_ATTEMPTS: &str = "MEDIA_MAX_ATTEMPTS";
/// How long one copy holds its attachment before another may take it over.
pub const MEDIA_LEASE_SECONDS: &str = "MEDIA_LEASE_SECONDS";
pub const MEDIA_RETRY_BASE_SECONDS: &str = "MEDIA_RETRY_BASE_SECONDS";
/// How long a signed media link stays valid, in seconds.
pub const MEDIA_LINK_TTL_SECONDS: &str = "MEDIA_LINK_TTL_SECONDS";

use ponte_core::keyring::Keyring;
use ponte_core::secrets::MasterKey;
use worker::Env;

use crate::problem::ApiError;

/// The current master key: what seals and signs everything new.
pub fn master_key(env: &Env) -> Result<MasterKey, ApiError> {
    let secret = env
        .secret(MASTER_KEY)
        .map_err(|_| ApiError::internal(format!("secret {MASTER_KEY} is not set")))?;
    MasterKey::new(&secret.to_string())
        .map_err(|_| ApiError::internal(format!("secret {MASTER_KEY} is too short")))
}

/// The current master key and, during a rotation, the previous one.
pub fn keyring(env: &Env) -> Result<Keyring, ApiError> {
    let previous = env
        .secret(MASTER_KEY_PREVIOUS)
        .map(|s| s.to_string())
        .ok()
        .filter(|s| !matches!(s.trim(), "" | "none"));
    let previous = match previous {
        // A previous key too short to be one is a mistake to report, not to ignore: the values
        // it sealed would stop opening without a word.
        Some(secret) => Some(MasterKey::new(&secret).map_err(|_| {
            ApiError::internal(format!("secret {MASTER_KEY_PREVIOUS} is too short"))
        })?),
        None => None,
    };
    Ok(Keyring::new(master_key(env)?, previous))
}
