//! send-message: the client-facing API. Tenants, tokens and channels (admin), the read API, and
//! sending, and the realtime hub that inbox WebSockets connect to.

mod agent_actions;
mod channels;
mod contacts;
mod conversations;
mod dead_letters;
mod hub;
mod media;
mod outcome;
mod queue;
mod realtime;
mod redrive;
mod reseal;
mod retention;
mod scheduled;
mod send;
mod sender;
mod tenants;
mod webhook_events;

use ponte_edge::auth::authenticate;
use ponte_edge::http::{segments, ApiResult};
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Ok(route(&mut req, &env)
        .await
        .unwrap_or_else(|e| e.to_response()))
}

async fn route(req: &mut Request, env: &Env) -> ApiResult {
    // Messages carry signed links to their media.
    ponte_edge::media_links::install(env);
    let path = segments(req);
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let method = req.method();
    // The router's cron triggers (router/index.js). Only a service binding reaches this Worker,
    // and the router never forwards this path from outside.
    if let ["internal", "scheduled"] = path.as_slice() {
        return scheduled::run(req, env).await;
    }
    // The operator's endpoints are the only ones not authorized by a tenant credential.
    if let ["v1", "tenants"] = path.as_slice() {
        return match method {
            Method::Post => tenants::create(req, env).await,
            _ => Err(ApiError::MethodNotAllowed),
        };
    }
    if let ["v1", "operator", "reseal"] = path.as_slice() {
        return match method {
            Method::Post => reseal::run(req, env).await,
            _ => Err(ApiError::MethodNotAllowed),
        };
    }
    let now = now_ms();
    // Browsers cannot set headers on a WebSocket, so this one authenticates its own way.
    if let ["v1", "realtime"] = path.as_slice() {
        return realtime::connect(req, env, now).await;
    }
    let principal = authenticate(req, env, now).await?;
    match (method, path.as_slice()) {
        (Method::Post, ["v1", "tokens"]) => tenants::mint_token(req, env, &principal, now).await,
        (Method::Post, ["v1", "channels"]) => channels::create(req, env, &principal, now).await,
        (Method::Get, ["v1", "channels"]) => channels::list(req, env, &principal).await,
        (Method::Get, ["v1", "channels", id]) => channels::get(req, env, &principal, id).await,
        (Method::Get, ["v1", "channels", id, "templates"]) => {
            channels::templates(env, &principal, id, now).await
        }
        (Method::Post, ["v1", "channels", id, "connect"]) => {
            channels::connect(req, env, &principal, id, now).await
        }
        (Method::Get, ["v1", "conversations"]) => conversations::list(req, env, &principal).await,
        (Method::Get, ["v1", "conversations", "counts"]) => {
            conversations::counts(env, &principal).await
        }
        (Method::Get, ["v1", "conversations", id]) => conversations::get(env, &principal, id).await,
        (Method::Patch, ["v1", "conversations", id]) => {
            agent_actions::update(req, env, &principal, id).await
        }
        (Method::Post, ["v1", "conversations", id, "read"]) => {
            agent_actions::mark_read(env, &principal, id).await
        }
        (Method::Post, ["v1", "messages"]) => send::create(req, env, &principal, now).await,
        (Method::Get, ["v1", "messages", id]) => conversations::message(env, &principal, id).await,
        (Method::Post, ["v1", "media"]) => media::upload(req, env, &principal, now).await,
        (Method::Post, ["v1", "messages", id, "media", "retry"]) => {
            media::retry(env, &principal, id, now).await
        }
        (Method::Get, ["v1", "dead-letters"]) => dead_letters::list(req, env, &principal).await,
        (Method::Get, ["v1", "conversations", id, "messages"]) => {
            conversations::messages(req, env, &principal, id).await
        }
        (Method::Get, ["v1", "contacts"]) => contacts::list(req, env, &principal).await,
        (Method::Get, ["v1", "contacts", id]) => contacts::get(env, &principal, id).await,
        (Method::Patch, ["v1", "contacts", id]) => contacts::update(req, env, &principal, id).await,
        (Method::Post, ["v1", "contacts", id, "merge"]) => {
            contacts::merge(req, env, &principal, id).await
        }
        (Method::Get, ["v1", "contacts", id, "conversations"]) => {
            contacts::conversations(env, &principal, id).await
        }
        (Method::Post, ["v1", "conversations"]) => {
            conversations::open(req, env, &principal, now).await
        }
        (Method::Get, ["v1", "webhook-events"]) => webhook_events::list(req, env, &principal).await,
        (Method::Post, ["v1", "webhook-events", id, "replay"]) => {
            webhook_events::replay(env, &principal, id, now).await
        }
        (
            _,
            ["v1", "tokens" | "channels" | "conversations" | "contacts" | "webhook-events" | "messages"
            | "dead-letters" | "media", ..],
        ) => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::NotFound("no API endpoint at this path".into())),
    }
}
