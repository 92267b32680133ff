//! `/webhooks/meta/{channel_token}`: the WhatsApp Cloud API's handshake and deliveries.

use ponte_core::ids::new_id;
use ponte_core::model::InboundBatch;
use ponte_core::providers::meta::{parse_webhook, verify_handshake};
use ponte_core::signature::verify_meta;
use std::rc::Rc;

use ponte_edge::bindings::BLOBS;
use ponte_edge::channel_cache;
use ponte_edge::http::{json, query_pairs, ApiResult};
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use ponte_edge::realtime::Events;
use ponte_edge::store::channels::{self, MetaChannel};
use ponte_edge::store::inbound::{self, Target};
use ponte_edge::store::presence;
use ponte_edge::store::webhook_events::{self, NewEvent, Outcome};
use ponte_edge::store::{self};
use serde_json::json;
use worker::{D1Database, Env, Headers, Request, Response};

const PROVIDER: &str = channels::META;
/// Meta documents payloads of up to 3 MB; anything far beyond is not Meta.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Bodies up to this size are kept in the event log row; larger ones go to R2.
const INLINE_BODY_BYTES: usize = 256 * 1024;

async fn load_channel(
    env: &Env,
    db: &D1Database,
    token: &str,
) -> Result<Rc<MetaChannel>, ApiError> {
    channel_cache::meta_by_token(env, db, token, now_ms())
        .await?
        .ok_or_else(|| ApiError::NotFound("no Meta channel has this webhook URL".into()))
}

pub async fn handshake(req: &Request, env: &Env, token: &str) -> ApiResult {
    let db = store::db(env)?;
    let channel = load_channel(env, &db, token).await?;
    let pairs = query_pairs(req)?;
    match verify_handshake(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &channel.secrets.verify_token,
    ) {
        Ok(challenge) => {
            let headers = Headers::new();
            headers.set("content-type", "text/plain")?;
            Ok(Response::ok(challenge)?.with_headers(headers))
        }
        Err(_) => Err(ApiError::Forbidden(
            "hub.mode must be subscribe and hub.verify_token must match".into(),
        )),
    }
}

pub async fn receive(req: &mut Request, env: &Env, token: &str) -> ApiResult {
    let received_at = now_ms();
    let db = store::db(env)?;
    let channel = load_channel(env, &db, token).await?;
    let body = req
        .bytes()
        .await
        .map_err(|_| ApiError::BadRequest("could not read the request body".into()))?;
    let event_id = new_id("whe");
    let mut event = NewEvent {
        id: event_id.clone(),
        tenant_id: &channel.record.tenant_id,
        channel_id: &channel.record.id,
        provider: PROVIDER,
        received_at,
        signature_ok: false,
        outcome: Outcome::Rejected,
        http_status: 401,
        counts: (0, 0, 0),
        error: None,
        body_bytes: body.len(),
        body: None,
        body_r2_key: None,
    };
    if body.len() > MAX_BODY_BYTES {
        let error = ApiError::PayloadTooLarge(format!(
            "webhook bodies are limited to {MAX_BODY_BYTES} bytes"
        ));
        return reject(&db, event, error).await;
    }

    let signature = req.headers().get("x-hub-signature-256").ok().flatten();
    if let Err(e) = verify_meta(
        channel.secrets.app_secret.as_bytes(),
        &body,
        signature.as_deref(),
    ) {
        // The body of an unsigned request is not kept: anyone can send one.
        return reject(
            &db,
            event,
            ApiError::Unauthorized(format!("X-Hub-Signature-256: {}", e.describe())),
        )
        .await;
    }
    event.signature_ok = true;

    // Verified bytes from Meta are kept, whatever happens next.
    // Decoded only when kept inline; a large body goes to R2 as bytes.
    let text;
    if body.len() <= INLINE_BODY_BYTES {
        text = String::from_utf8_lossy(&body);
        event.body = Some(&text);
    } else {
        let key = format!(
            "webhook-bodies/{}/{}.json",
            channel.record.tenant_id, event_id
        );
        let bucket = env
            .bucket(BLOBS)
            .map_err(|e| ApiError::internal(format!("binding {BLOBS}: {e}")))?;
        bucket.put(&key, body.clone()).execute().await?;
        event.body_r2_key = Some(key);
    }

    let batch = match parse_webhook(&body, &channel.config.phone_number_id, received_at) {
        Ok(batch) => batch,
        Err(e) => {
            event.outcome = Outcome::Malformed;
            return reject(&db, event, ApiError::BadRequest(e.to_string())).await;
        }
    };
    store_batch(env, &db, event, &channel, &batch).await
}

async fn store_batch(
    env: &Env,
    db: &D1Database,
    mut event: NewEvent<'_>,
    channel: &MetaChannel,
    batch: &InboundBatch,
) -> ApiResult {
    let counts = (
        batch.messages.len(),
        batch.statuses.len(),
        batch.ignored.len(),
    );
    event.outcome = Outcome::Stored;
    event.http_status = 200;
    event.counts = counts;
    let target = Target {
        tenant_id: &channel.record.tenant_id,
        channel_id: &channel.record.id,
        received_at: event.received_at,
    };
    let tenant_id = &channel.record.tenant_id;
    // Rows are read back only for events; a tenant that had no socket at its last webhook is
    // most likely still without one, so its batch returns only ids and reads rows only if needed.
    let mut write =
        inbound::statements(db, &target, batch, presence::probably_listening(tenant_id))?;
    // The event row also reads the presence flag, in the same transaction as the writes: see
    // store::presence for why that is enough.
    let mut statements = vec![webhook_events::insert_reading_presence(db, &event)?];
    statements.append(&mut write.statements);
    let results = match db.batch(statements).await {
        Ok(results) => results,
        Err(e) => {
            // Nothing of the batch was written. Tell Meta to retry, and log it if storage lets us.
            event.outcome = Outcome::StorageFailed;
            event.error = Some("storage failed; the provider will retry".into());
            let failure = ApiError::Unavailable(format!(
                "webhook batch for channel {}: {e}",
                channel.record.id
            ));
            return reject(db, event, failure).await;
        }
    };
    // Committed: from here on nothing may turn the answer into an error, or Meta would retry a
    // delivery that is already stored.
    // If the flag cannot be read, publishing costs a round trip; skipping could lose an event.
    let listening = results
        .first()
        .map_or(Ok(true), presence::listening)
        .unwrap_or(true);
    presence::remember(tenant_id, listening);
    if !listening {
        return json(200, &received(counts));
    }
    let changes = write
        .changes(db, tenant_id, results.get(1..).unwrap_or_default())
        .await;
    match changes {
        Ok(changes) => {
            let mut events = Events::default();
            for message in &changes.created {
                let conversation = changes
                    .conversations
                    .iter()
                    .find(|c| c.id == message.conversation_id);
                events.message_created(message, conversation);
            }
            for message in &changes.updated {
                events.message_updated(message);
            }
            events.publish(env, &channel.record.tenant_id).await;
        }
        Err(e) => worker::console_error!("reading back webhook {} changes: {e:?}", event.id),
    }
    json(200, &received(counts))
}

fn received(counts: (usize, usize, usize)) -> serde_json::Value {
    json!({"received": true, "messages": counts.0, "statuses": counts.1, "ignored": counts.2})
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
