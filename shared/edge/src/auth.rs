//! Who is calling: the operator, a tenant by API key, or a browser by short-lived JWT.

use ponte_core::auth::{
    hash_api_key, jwt_key_id, verify_jwt, Claims, Role, TokenError, API_KEY_PREFIX,
};
use ponte_core::signature::constant_time_eq;
use worker::{Env, Request};

use crate::bindings::{keyring, JWT_KEY_PURPOSE, OPERATOR_KEY};
use crate::problem::ApiError;
use crate::store::{self, tenants};

#[derive(Debug, Clone)]
pub enum Principal {
    ApiKey { tenant_id: String },
    Token(Claims),
}

impl Principal {
    pub fn tenant_id(&self) -> &str {
        match self {
            Self::ApiKey { tenant_id } => tenant_id,
            Self::Token(claims) => &claims.tenant,
        }
    }

    /// API keys act for the whole tenant; tokens for their role.
    pub fn is_admin(&self) -> bool {
        match self {
            Self::ApiKey { .. } => true,
            Self::Token(claims) => claims.role == Role::Admin,
        }
    }

    pub fn require_api_key(&self) -> Result<(), ApiError> {
        match self {
            Self::ApiKey { .. } => Ok(()),
            Self::Token(_) => Err(ApiError::Forbidden(
                "this endpoint needs a tenant API key, not a token".into(),
            )),
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "this endpoint needs an API key or an admin token".into(),
            ))
        }
    }
}

pub fn bearer(req: &Request) -> Option<String> {
    let header = req.headers().get("authorization").ok().flatten()?;
    let (scheme, credential) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| credential.trim().to_string())
        .filter(|c| !c.is_empty())
}

pub async fn authenticate(req: &Request, env: &Env, now_ms: i64) -> Result<Principal, ApiError> {
    let credential = bearer(req).ok_or_else(|| {
        ApiError::Unauthorized("send `Authorization: Bearer <API key or token>`".into())
    })?;
    authenticate_credential(&credential, env, now_ms).await
}

/// For what a browser opens without script-set headers (`<img>`, `<audio>`, WebSockets): the
/// `Authorization` header when present, else `?access_token=` with a short-lived token. A URL
/// ends up in logs, histories and referrers, so an API key, which lives until it is revoked, is
/// refused there.
pub async fn authenticate_header_or_query(
    req: &Request,
    env: &Env,
    now_ms: i64,
) -> Result<Principal, ApiError> {
    if bearer(req).is_some() {
        return authenticate(req, env, now_ms).await;
    }
    let url = req
        .url()
        .map_err(|_| ApiError::BadRequest("invalid URL".into()))?;
    let token = url
        .query_pairs()
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned());
    match token {
        Some(token) if token.starts_with(API_KEY_PREFIX) => Err(ApiError::Unauthorized(
            "an API key never goes in a URL: send it as `Authorization: Bearer`, or mint a \
             short-lived token (POST /v1/tokens) for `?access_token=`"
                .into(),
        )),
        Some(token) => authenticate_credential(&token, env, now_ms).await,
        None => Err(ApiError::Unauthorized(
            "send `Authorization: Bearer <token>` or `?access_token=<token>`".into(),
        )),
    }
}

pub async fn authenticate_credential(
    credential: &str,
    env: &Env,
    now_ms: i64,
) -> Result<Principal, ApiError> {
    if credential.starts_with(API_KEY_PREFIX) {
        let db = store::db(env)?;
        return match tenants::tenant_for_api_key(&db, &hash_api_key(credential)).await? {
            Some(tenant_id) => Ok(Principal::ApiKey { tenant_id }),
            None => Err(ApiError::Unauthorized("the API key is not valid".into())),
        };
    }
    verify_under_keyring(credential, env, now_ms / 1000).map(Principal::Token)
}

/// A JWT checked with the master key its `kid` names, or, for one made before tokens named
/// their key, with each key held: tokens minted before a rotation stay valid until they expire.
fn verify_under_keyring(token: &str, env: &Env, now_s: i64) -> Result<Claims, ApiError> {
    let keys = keyring(env)?;
    let mut outcome = Err(TokenError::BadSignature);
    for key in keys.candidates(jwt_key_id(token).as_deref()) {
        outcome = verify_jwt(token, &key.derive(JWT_KEY_PURPOSE), now_s);
        if outcome != Err(TokenError::BadSignature) {
            break;
        }
    }
    outcome.map_err(|e| {
        ApiError::Unauthorized(
            match e {
                TokenError::Expired => "the token has expired",
                TokenError::WrongAlgorithm => "the token must be signed with HS256",
                TokenError::BadSignature | TokenError::Malformed => "the token is not valid",
            }
            .into(),
        )
    })
}

/// The operator key creates tenants. Compared in constant time.
pub fn require_operator(req: &Request, env: &Env) -> Result<(), ApiError> {
    let expected = env
        .secret(OPERATOR_KEY)
        .map_err(|_| ApiError::internal(format!("secret {OPERATOR_KEY} is not set")))?
        .to_string();
    match bearer(req) {
        Some(given)
            if !expected.is_empty() && constant_time_eq(given.as_bytes(), expected.as_bytes()) =>
        {
            Ok(())
        }
        Some(_) => Err(ApiError::Unauthorized(
            "the operator key is not valid".into(),
        )),
        None => Err(ApiError::Unauthorized(
            "send `Authorization: Bearer <operator key>`".into(),
        )),
    }
}
