//! `POST /v1/tenants` (operator) and `POST /v1/tokens` (tenant API key → browser JWT).

use ponte_core::auth::{new_api_key, sign_jwt_with_key_id, Claims, Role};
use ponte_core::ids::new_id;
use ponte_edge::auth::{require_operator, Principal};
use ponte_edge::bindings::{keyring, JWT_KEY_PURPOSE};
use ponte_edge::http::{json, read_json, ApiResult};
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use ponte_edge::store::{self, tenants};
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Request};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTenant {
    name: String,
}

pub async fn create(req: &mut Request, env: &Env) -> ApiResult {
    require_operator(req, env)?;
    let body: NewTenant = read_json(req).await?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::Unprocessable(
            "name must be 1 to 200 characters".into(),
        ));
    }
    let (id, api_key, now) = (new_id("ten"), new_api_key(), now_ms());
    tenants::create(&store::db(env)?, &id, name, &api_key, now).await?;
    json(
        201,
        &json!({"id": id, "name": name, "api_key": api_key, "created_at": now}),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    sub: String,
    #[serde(default = "default_role")]
    role: Role,
    #[serde(default = "default_ttl")]
    ttl_seconds: i64,
}

fn default_role() -> Role {
    Role::Agent
}

fn default_ttl() -> i64 {
    3600
}

const MAX_TTL_SECONDS: i64 = 24 * 3600;

pub async fn mint_token(
    req: &mut Request,
    env: &Env,
    principal: &Principal,
    now: i64,
) -> ApiResult {
    // A token must not mint tokens: it would outlive its own expiry.
    principal.require_api_key()?;
    let body: NewToken = read_json(req).await?;
    if body.sub.trim().is_empty() || body.sub.len() > 200 {
        return Err(ApiError::Unprocessable(
            "sub must be 1 to 200 characters".into(),
        ));
    }
    if !(60..=MAX_TTL_SECONDS).contains(&body.ttl_seconds) {
        return Err(ApiError::Unprocessable(format!(
            "ttl_seconds must be from 60 to {MAX_TTL_SECONDS}"
        )));
    }
    let iat = now / 1000;
    let claims = Claims {
        tenant: principal.tenant_id().to_string(),
        sub: body.sub,
        role: body.role,
        iat,
        exp: iat + body.ttl_seconds,
    };
    let keys = keyring(env)?;
    let token = sign_jwt_with_key_id(
        &claims,
        &keys.current().derive(JWT_KEY_PURPOSE),
        keys.current_id(),
    );
    json(
        201,
        &json!({"token": token, "token_type": "Bearer", "expires_at": claims.exp * 1000, "claims": claims}),
    )
}
