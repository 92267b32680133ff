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
mod routes;
mod scheduled;
mod send;
mod sender;
mod tenants;
mod webhook_events;

use ponte_edge::auth::{authenticate, Principal};
use ponte_edge::http::{segments, ApiResult};
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use worker::{event, Context, Env, Method, Request, Response, Result};

use crate::routes::Route;

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
            _ => Err(ApiError::MethodNotAllowed("POST".into())),
        };
    }
    if let ["v1", "operator", "reseal"] = path.as_slice() {
        return match method {
            Method::Post => reseal::run(req, env).await,
            _ => Err(ApiError::MethodNotAllowed("POST".into())),
        };
    }
    let now = now_ms();
    // Browsers cannot set headers on a WebSocket, so this one authenticates its own way.
    if let ["v1", "realtime"] = path.as_slice() {
        return realtime::connect(req, env, now).await;
    }
    let principal = authenticate(req, env, now).await?;
    match routes::route(&method, &path) {
        Some(route) => dispatch(route, req, env, &principal, now).await,
        None => Err(match routes::allowed(&path) {
            Some(allow) => ApiError::MethodNotAllowed(allow),
            None => ApiError::NotFound("no API endpoint at this path".into()),
        }),
    }
}

async fn dispatch(
    route: Route<'_>,
    req: &mut Request,
    env: &Env,
    principal: &Principal,
    now: i64,
) -> ApiResult {
    match route {
        Route::MintToken => tenants::mint_token(req, env, principal, now).await,
        Route::CreateChannel => channels::create(req, env, principal, now).await,
        Route::ListChannels => channels::list(req, env, principal).await,
        Route::GetChannel(id) => channels::get(req, env, principal, id).await,
        Route::ChannelTemplates(id) => channels::templates(env, principal, id, now).await,
        Route::ConnectChannel(id) => channels::connect(req, env, principal, id, now).await,
        Route::ListConversations => conversations::list(req, env, principal).await,
        Route::ConversationCounts => conversations::counts(env, principal).await,
        Route::OpenConversation => conversations::open(req, env, principal, now).await,
        Route::GetConversation(id) => conversations::get(env, principal, id).await,
        Route::UpdateConversation(id) => agent_actions::update(req, env, principal, id).await,
        Route::MarkRead(id) => agent_actions::mark_read(env, principal, id).await,
        Route::ConversationMessages(id) => conversations::messages(req, env, principal, id).await,
        Route::Send => send::create(req, env, principal, now).await,
        Route::GetMessage(id) => conversations::message(env, principal, id).await,
        Route::Upload => media::upload(req, env, principal, now).await,
        Route::RetryMedia(id) => media::retry(env, principal, id, now).await,
        Route::DeadLetters => dead_letters::list(req, env, principal).await,
        Route::ListContacts => contacts::list(req, env, principal).await,
        Route::GetContact(id) => contacts::get(env, principal, id).await,
        Route::UpdateContact(id) => contacts::update(req, env, principal, id).await,
        Route::MergeContact(id) => contacts::merge(req, env, principal, id).await,
        Route::ContactConversations(id) => contacts::conversations(env, principal, id).await,
        Route::WebhookEvents => webhook_events::list(req, env, principal).await,
        Route::ReplayWebhookEvent(id) => webhook_events::replay(env, principal, id, now).await,
    }
}
