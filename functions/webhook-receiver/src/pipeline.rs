//! `/webhooks/{provider}/{channel_token}[/{rest}]`: one pipeline for every provider. The
//! channel's adapter authenticates and normalizes; this stores the delivery exactly once (event
//! log, raw body, one D1 batch), then publishes what changed.

use ponte_core::ids::new_id;
use ponte_core::model::InboundBatch;
use ponte_core::providers::{self, Provider, Reply, WebhookRequest};
use std::rc::Rc;

use ponte_edge::bindings::BLOBS;
use ponte_edge::channel_cache;
use ponte_edge::http::{json, public_base_url, ApiResult};
use ponte_edge::ingest;
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use ponte_edge::store::channels::OpenedChannel;
use ponte_edge::store::inbound::{self, Target};
use ponte_edge::store::presence;
use ponte_edge::store::webhook_events::{self, NewEvent, Outcome};
use ponte_edge::store::{self};
use serde_json::json;
use worker::{Context, D1Database, Env, Request, ResponseBuilder};

/// Meta documents payloads of up to 3 MB; anything far beyond is no provider's.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Bodies up to this size are kept in the event log row; larger ones go to R2.
const INLINE_BODY_BYTES: usize = 256 * 1024;

fn known_provider(name: &str) -> Result<&'static dyn Provider, ApiError> {
    providers::provider(name).ok_or_else(|| {
        let known: Vec<&str> = providers::names().collect();
        ApiError::NotFound(format!(
            "no provider {name:?}; webhooks are taken for: {}",
            known.join(", ")
        ))
    })
}

async fn load_channel(
    env: &Env,
    db: &D1Database,
    provider: &dyn Provider,
    token: &str,
) -> Result<Rc<OpenedChannel>, ApiError> {
    channel_cache::by_token(env, db, provider.name(), token, now_ms())
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no {} channel has this webhook URL",
                provider.name()
            ))
        })
}

/// The parts of a request an adapter sees besides the body: the URL, its decoded query and the
/// headers the provider proves itself with.
struct RequestParts {
    url: String,
    query: Vec<(String, String)>,
    headers: Vec<(&'static str, String)>,
}

impl RequestParts {
    fn of(req: &Request, env: &Env, provider: &dyn Provider) -> Result<Self, ApiError> {
        let url = req
            .url()
            .map_err(|_| ApiError::BadRequest("invalid URL".into()))?;
        // What the provider called (and may have signed): PUBLIC_BASE_URL when configured.
        let public = providers::public_url(&public_base_url(req, env)?, url.as_str());
        let query = match url.query() {
            Some(_) => url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            None => Vec::new(),
        };
        let mut headers = Vec::new();
        for name in provider.webhook_headers() {
            if let Some(value) = req.headers().get(name).ok().flatten() {
                headers.push((*name, value));
            }
        }
        Ok(Self {
            url: public,
            query,
            headers,
        })
    }

    fn request<'a>(
        &'a self,
        method: &'a str,
        rest: &'a str,
        body: &'a [u8],
        received_at_ms: i64,
    ) -> WebhookRequest<'a> {
        WebhookRequest {
            method,
            url: &self.url,
            rest,
            query: &self.query,
            headers: &self.headers,
            body,
            received_at_ms,
        }
    }
}

fn reply_response(reply: Reply) -> ApiResult {
    Ok(ResponseBuilder::new()
        .with_status(reply.status)
        .with_header("content-type", reply.content_type)?
        .fixed(reply.body.into_bytes()))
}

/// A `GET` to a webhook URL: the provider's subscription handshake, where it has one.
pub async fn handshake(
    req: &Request,
    env: &Env,
    provider: &str,
    token: &str,
    rest: &str,
) -> ApiResult {
    let provider = known_provider(provider)?;
    let db = store::db(env)?;
    let channel = load_channel(env, &db, provider, token).await?;
    let parts = RequestParts::of(req, env, provider)?;
    match channel
        .channel
        .handshake(&parts.request("GET", rest, &[], now_ms()))
    {
        // A provider without a handshake is only posted to.
        None => Err(ApiError::MethodNotAllowed("POST".into())),
        Some(Ok(reply)) => reply_response(reply),
        Some(Err(refused)) => Err(ApiError::Forbidden(refused.0)),
    }
}

pub async fn receive(
    req: &mut Request,
    env: &Env,
    ctx: &Context,
    provider: &str,
    token: &str,
    rest: &str,
) -> ApiResult {
    let received_at = now_ms();
    let provider = known_provider(provider)?;
    let db = store::db(env)?;
    let channel = load_channel(env, &db, provider, token).await?;
    let parts = RequestParts::of(req, env, provider)?;
    // Refused on its word, before a byte of it is read.
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|length| length.trim().parse::<usize>().ok());
    let mut event = NewEvent {
        id: new_id("whe"),
        tenant_id: &channel.record.tenant_id,
        channel_id: &channel.record.id,
        provider: provider.name(),
        received_at,
        signature_ok: false,
        outcome: Outcome::Rejected,
        http_status: 401,
        counts: (0, 0, 0),
        error: None,
        body_bytes: declared.unwrap_or(0),
        body: None,
        body_r2_key: None,
        path_rest: rest,
    };
    if let Some(length) = declared.filter(|length| *length > MAX_BODY_BYTES) {
        let error = ApiError::PayloadTooLarge(format!(
            "Content-Length {length} is over the limit: webhook bodies are limited to \
             {MAX_BODY_BYTES} bytes"
        ));
        return reject(&db, event, error).await;
    }
    let body = req
        .bytes()
        .await
        .map_err(|_| ApiError::BadRequest("could not read the request body".into()))?;
    event.body_bytes = body.len();
    if body.len() > MAX_BODY_BYTES {
        let error = ApiError::PayloadTooLarge(format!(
            "webhook bodies are limited to {MAX_BODY_BYTES} bytes"
        ));
        return reject(&db, event, error).await;
    }

    let request = parts.request("POST", rest, &body, received_at);
    if let Err(refused) = channel.channel.authenticate(&request) {
        // The body of an unauthenticated request is not kept: anyone can send one.
        worker::console_warn!(
            "webhook for channel {} refused: {}",
            channel.record.id,
            refused.0
        );
        return reject(&db, event, ApiError::Unauthorized(refused.0)).await;
    }
    event.signature_ok = true;

    let normalized = channel.channel.normalize(&request);
    // Authenticated bytes are kept, whatever happens next: in the event row when small, else in
    // R2, and in R2 too when they carry a file inline (files never go into a row).
    // Decoded only when kept inline.
    let carries_files = normalized.as_ref().is_ok_and(carries_inline_media);
    let text;
    if body.len() <= INLINE_BODY_BYTES && !carries_files {
        text = String::from_utf8_lossy(&body);
        event.body = Some(&text);
    } else {
        let key = format!(
            "webhook-bodies/{}/{}.json",
            channel.record.tenant_id, event.id
        );
        let bucket = env
            .bucket(BLOBS)
            .map_err(|e| ApiError::internal(format!("binding {BLOBS}: {e}")))?;
        bucket.put(&key, body.clone()).execute().await?;
        event.body_r2_key = Some(key);
    }

    match normalized {
        Ok(batch) => store_batch(env, ctx, &db, event, Rc::clone(&channel), batch).await,
        Err(e) => unprocessable(&db, event, e.to_string()).await,
    }
}

/// A genuine delivery that cannot be read is answered `200`: a provider retries any other
/// answer for days, and the same bytes will never read better. It is kept, with the reason,
/// until a fixed adapter replays it (`POST /v1/webhook-events/{id}/replay`).
async fn unprocessable(db: &D1Database, mut event: NewEvent<'_>, reason: String) -> ApiResult {
    event.outcome = Outcome::Unprocessable;
    event.http_status = 200;
    event.error = Some(reason.clone());
    let logged = match webhook_events::insert(db, &event) {
        Ok(statement) => statement.run().await.map(|_| ()).map_err(ApiError::from),
        Err(e) => Err(e),
    };
    if let Err(e) = logged {
        // Not kept, so the provider must send it again.
        let failure = ApiError::Unavailable(format!("logging webhook {}: {e:?}", event.id));
        event.outcome = Outcome::StorageFailed;
        return reject(db, event, failure).await;
    }
    worker::console_warn!("webhook {} could not be read: {reason}", event.id);
    json(
        200,
        &json!({"received": true, "unprocessable": reason, "event_id": event.id}),
    )
}

async fn store_batch(
    env: &Env,
    ctx: &Context,
    db: &D1Database,
    mut event: NewEvent<'_>,
    channel: Rc<OpenedChannel>,
    batch: InboundBatch,
) -> ApiResult {
    let counts = (
        batch.messages.len(),
        batch.status_count(),
        batch.ignored.len(),
    );
    event.http_status = 200;
    event.counts = counts;
    event.outcome = Outcome::Stored;
    if !batch.unreadable.is_empty() {
        // The rest is stored; the event says what was not, for a replay.
        event.outcome = Outcome::Unprocessable;
        event.error = Some(unreadable_summary(&batch.unreadable));
    }
    let target = Target {
        tenant_id: &channel.record.tenant_id,
        channel_id: &channel.record.id,
        received_at: event.received_at,
    };
    let tenant_id = channel.record.tenant_id.as_str();
    // Rows are read back only for events; a tenant that had no socket at its last webhook is
    // most likely still without one, so its batch returns only ids and reads rows only if needed.
    let write = inbound::statements(db, &target, &batch, presence::probably_listening(tenant_id))?;
    // The event row also reads the presence flag, in the same transaction as the (last) writes:
    // see store::presence for why that is enough.
    let lead = webhook_events::insert_reading_presence(db, &event)?;
    let committed = match ingest::commit(db, write, lead, ingest::max_statements(env)).await {
        Ok(committed) => committed,
        Err(e) => {
            // The event row was not written: it goes with the last batch. Tell the provider to
            // retry (what did commit is stored once, again), and log it if storage lets us.
            event.outcome = Outcome::StorageFailed;
            event.error = Some("storage failed; the provider will retry".into());
            let failure = ApiError::Unavailable(format!(
                "webhook batch for channel {}: {e}",
                channel.record.id
            ));
            return reject(db, event, failure).await;
        }
    };
    // Committed: from here on nothing may turn the answer into an error, or the provider would
    // retry a delivery that is already stored.
    // If the flag cannot be read, publishing costs a round trip; skipping could lose an event.
    let listening = presence::listening(&committed.lead).unwrap_or(true);
    presence::remember(tenant_id, listening);
    let answer = answer(&channel, &batch, counts);
    let label = format!("webhook {}", event.id);
    ctx.wait_until(ingest::finish(
        env.clone(),
        channel,
        committed,
        listening,
        label,
    ));
    answer
}

/// At most a few reasons, each at most a line: the body itself is kept for the details.
fn unreadable_summary(reasons: &[String]) -> String {
    let shown: Vec<String> = reasons
        .iter()
        .take(3)
        .map(|r| r.chars().take(200).collect())
        .collect();
    let more = reasons.len().saturating_sub(shown.len());
    let mut summary = format!(
        "{} part(s) could not be read: {}",
        reasons.len(),
        shown.join("; ")
    );
    if more > 0 {
        summary.push_str(&format!("; and {more} more"));
    }
    summary
}

fn carries_inline_media(batch: &InboundBatch) -> bool {
    batch.messages.iter().any(|m| {
        m.content
            .media()
            .is_some_and(|media| media.inline_base64.is_some())
    })
}

/// What the provider expects to read, else Ponte's receipt with what the delivery held.
fn answer(
    channel: &OpenedChannel,
    batch: &InboundBatch,
    counts: (usize, usize, usize),
) -> ApiResult {
    if let Some(reply) = channel.channel.reply(batch) {
        return reply_response(reply);
    }
    let mut receipt = json!({
        "received": true, "messages": counts.0, "statuses": counts.1, "ignored": counts.2,
    });
    if !batch.unreadable.is_empty() {
        receipt["unprocessable"] = json!(batch.unreadable.len());
    }
    json(200, &receipt)
}

/// Logs a delivery that is not stored and answers with `error`.
async fn reject(db: &D1Database, mut event: NewEvent<'_>, error: ApiError) -> ApiResult {
    event.http_status = error.status();
    if event.error.is_none() {
        event.error = Some(error.detail());
    }
    if let Ok(statement) = webhook_events::insert(db, &event) {
        if let Err(e) = statement.run().await {
            worker::console_error!("could not log webhook event {}: {e}", event.id);
        }
    }
    Err(error)
}
