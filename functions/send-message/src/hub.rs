//! `TenantHub`: one Durable Object per tenant holding its inbox WebSockets with the hibernation
//! API. Publishers (the webhook path, the send path) POST events; the hub numbers them and fans
//! them out. The protocol itself lives in `ponte_core::realtime`.

use ponte_core::realtime::{ready_frame, stamp, ClientCommand, PublishRequest, Subscription};
use ponte_edge::bindings::{number_var, FAULT_HUB_DELAY_MS};
use ponte_edge::now_ms;
use ponte_edge::problem::ApiError;
use ponte_edge::store::{self, presence};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::cell::Cell;
use wasm_bindgen::prelude::{wasm_bindgen, JsValue};
use wasm_bindgen::JsCast;
use worker::js_sys::JsString;
use worker::{
    durable_object, Delay, DurableObject, Env, Headers, Request, Response, Result, ScheduledTime,
    SqlStorageValue, State, WebSocket, WebSocketIncomingMessage, WebSocketPair,
    WebSocketRequestResponsePair,
};

/// The tenant's last event number, in the object's own SQLite: a synchronous statement per
/// publish costs a fraction of an asynchronous key-value write.
const CREATE_SEQ: &str =
    "CREATE TABLE IF NOT EXISTS hub_seq (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL)";
const READ_SEQ: &str = "SELECT seq FROM hub_seq WHERE id = 1";
const ADVANCE_SEQ: &str = "INSERT INTO hub_seq (id, seq) VALUES (1, ?) \
     ON CONFLICT (id) DO UPDATE SET seq = seq + excluded.seq RETURNING seq";

#[derive(Deserialize)]
struct SeqRow {
    seq: i64,
}

/// The tenant this hub serves and the last version of the presence flag it wrote to D1.
const CREATE_PRESENCE: &str = "CREATE TABLE IF NOT EXISTS hub_presence \
     (id INTEGER PRIMARY KEY CHECK (id = 1), tenant_id TEXT NOT NULL, version INTEGER NOT NULL)";
const READ_TENANT: &str = "SELECT tenant_id FROM hub_presence WHERE id = 1";
const NEXT_VERSION: &str = "INSERT INTO hub_presence (id, tenant_id, version) VALUES (1, ?, 1) \
     ON CONFLICT (id) DO UPDATE SET version = version + 1, tenant_id = excluded.tenant_id \
     RETURNING version";

#[derive(Deserialize)]
struct TenantRow {
    tenant_id: String,
}

#[derive(Deserialize)]
struct VersionRow {
    version: i64,
}

/// What this instance knows of the tenant's flag in D1 (`store::presence`). Writes carry
/// increasing versions, so whichever of two racing writes was decided last wins in D1.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Presence {
    /// A fresh instance: the flag may be either.
    Unknown,
    Raising(i64),
    Up,
    Lowering(i64),
    Down,
}

/// Headers by which the connecting Worker (which has authenticated the client) tells the hub
/// about the socket.
pub const SUBSCRIPTION_HEADER: &str = "x-ponte-subscription";
pub const PROTOCOL_HEADER: &str = "x-ponte-protocol";
pub const TENANT_HEADER: &str = "x-ponte-tenant";
/// When the socket's token expires (unix ms); absent for an API key, which does not.
pub const EXPIRES_HEADER: &str = "x-ponte-expires";
/// The tag a socket opened with a token carries: `exp:<unix ms>`.
const EXPIRES_TAG: &str = "exp:";
/// The close code of a socket whose token expired: the client reconnects with a fresh one.
const TOKEN_EXPIRED_CODE: u16 = 4001;

#[durable_object]
pub struct TenantHub {
    state: State,
    env: Env,
    presence: Cell<Presence>,
    /// Test-only fault injection (`PONTE_FAULT_HUB_DELAY_MS`), read once per instance: 0 in
    /// every real deployment.
    fault_delay_ms: u64,
}

impl DurableObject for TenantHub {
    fn new(state: State, env: Env) -> Self {
        // Keep-alive pings are answered by the runtime without waking the object.
        if let Ok(pair) = WebSocketRequestResponsePair::new("ping", "pong") {
            state.set_websocket_auto_response(&pair);
        }
        for create in [CREATE_SEQ, CREATE_PRESENCE] {
            if let Err(e) = state.storage().sql().exec(create, None) {
                worker::console_error!("hub: creating its tables failed: {e}");
            }
        }
        let fault_delay_ms = number_var(&env, FAULT_HUB_DELAY_MS, 0).min(30_000);
        Self {
            fault_delay_ms,
            state,
            env,
            presence: Cell::new(Presence::Unknown),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match req.path().as_str() {
            "/connect" => self.accept_socket(&req).await,
            "/publish" => self.fan_out(req).await,
            _ => Response::error("not found", 404),
        }
    }

    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> Result<()> {
        let WebSocketIncomingMessage::String(text) = message else {
            return send_error(&ws, "send JSON text frames");
        };
        let subscription = match ClientCommand::parse(&text) {
            Ok(ClientCommand::Subscribe {
                conversation_ids: None,
            }) => Ok(Subscription::all()),
            Ok(ClientCommand::Subscribe {
                conversation_ids: Some(ids),
            }) => Subscription::only(ids),
            Err(e) => Err(e),
        };
        match subscription {
            Ok(subscription) => {
                let frame = ready_frame("subscribed", self.current_seq()?, &subscription);
                // The subscription is the socket's attachment: it survives hibernation.
                ws.serialize_attachment(subscription)?;
                ws.send_with_str(frame)
            }
            Err(detail) => send_error(&ws, &detail),
        }
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        _code: usize,
        _reason: String,
        _was_clean: bool,
    ) -> Result<()> {
        // Completes the closing handshake; the socket may already be gone, which is fine.
        let _ = ws.close(Some(1000), Some("closing"));
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        Ok(())
    }

    /// Closes the sockets whose token has expired, then waits for the next one to.
    async fn alarm(&self) -> Result<Response> {
        let now = now_ms();
        let mut next: Option<i64> = None;
        for ws in self.state.get_websockets() {
            let Some(expires_at) = self.expiry_of(&ws) else {
                continue;
            };
            if expires_at <= now {
                let _ = ws.close(Some(TOKEN_EXPIRED_CODE), Some("the token has expired"));
            } else {
                next = Some(next.map_or(expires_at, |n| n.min(expires_at)));
            }
        }
        if let Some(at) = next {
            self.state.storage().set_alarm(at_time(at)).await?;
        }
        Response::ok("")
    }
}

impl TenantHub {
    /// The rows of a statement on the object's own SQLite (synchronous).
    fn rows<T: DeserializeOwned>(
        &self,
        query: &str,
        params: Vec<SqlStorageValue>,
    ) -> Result<Vec<T>> {
        self.state.storage().sql().exec(query, params)?.to_array()
    }

    /// The one row a statement must return.
    fn one<T: DeserializeOwned>(&self, query: &str, params: Vec<SqlStorageValue>) -> Result<T> {
        self.state.storage().sql().exec(query, params)?.one()
    }

    fn current_seq(&self) -> Result<u64> {
        let rows: Vec<SeqRow> = self.rows(READ_SEQ, vec![])?;
        Ok(rows.first().map_or(0, |r| r.seq.max(0) as u64))
    }

    /// Reserves `count` numbers and returns the last one. Stored before anything is sent, so a
    /// number is never given twice, even after the object is evicted.
    fn advance_seq(&self, count: u64) -> Result<u64> {
        let row: SeqRow = self.one(ADVANCE_SEQ, vec![SqlStorageValue::from(count as i64)])?;
        Ok(row.seq.max(0) as u64)
    }

    /// Before a socket gets `ready`, D1 must say that someone listens.
    async fn raise_presence(&self, tenant_id: &str) -> std::result::Result<(), ApiError> {
        if self.presence.get() == Presence::Up {
            return Ok(());
        }
        self.write_presence(tenant_id, true).await
    }

    /// Called by a publish that found no socket. A connect that is raising the flag meanwhile
    /// has not accepted its socket yet, so lowering then is left to a later publish.
    async fn lower_presence(&self) {
        if !matches!(self.presence.get(), Presence::Up | Presence::Unknown) {
            return;
        }
        let tenant_id = match self.served_tenant() {
            Ok(Some(tenant_id)) => tenant_id,
            Ok(None) => {
                // Never raised: nothing to lower.
                self.presence.set(Presence::Down);
                return;
            }
            // A later publish tries again.
            Err(_) => return,
        };
        if let Err(e) = self.write_presence(&tenant_id, false).await {
            worker::console_error!(
                "hub: recording that tenant {tenant_id} has no socket failed: {e:?}"
            );
        }
    }

    /// Writes the flag under a new version; this instance's view settles only if no other write
    /// was decided meanwhile.
    async fn write_presence(
        &self,
        tenant_id: &str,
        listening: bool,
    ) -> std::result::Result<(), ApiError> {
        let version = self.next_presence_version(tenant_id)?;
        let pending = if listening {
            Presence::Raising(version)
        } else {
            Presence::Lowering(version)
        };
        self.presence.set(pending);
        let written = match store::db(&self.env) {
            Ok(db) => presence::set(&db, tenant_id, listening, version, now_ms()).await,
            Err(e) => Err(e),
        };
        if self.presence.get() == pending {
            self.presence.set(match (&written, listening) {
                (Ok(()), true) => Presence::Up,
                (Ok(()), false) => Presence::Down,
                (Err(_), _) => Presence::Unknown,
            });
        }
        written
    }

    fn served_tenant(&self) -> Result<Option<String>> {
        let rows: Vec<TenantRow> = self.rows(READ_TENANT, vec![])?;
        Ok(rows.into_iter().next().map(|r| r.tenant_id))
    }

    fn next_presence_version(&self, tenant_id: &str) -> Result<i64> {
        let row: VersionRow = self.one(NEXT_VERSION, vec![SqlStorageValue::from(tenant_id)])?;
        Ok(row.version)
    }

    async fn accept_socket(&self, req: &Request) -> Result<Response> {
        let Some(tenant_id) = req.headers().get(TENANT_HEADER)? else {
            return Response::error("the connecting Worker must name the tenant", 400);
        };
        if let Err(e) = self.raise_presence(&tenant_id).await {
            worker::console_error!("hub: recording that tenant {tenant_id} listens failed: {e:?}");
            return Response::error("realtime is unavailable, try again", 503);
        }
        let subscription = req
            .headers()
            .get(SUBSCRIPTION_HEADER)?
            .and_then(|s| serde_json::from_str::<Subscription>(&s).ok())
            .unwrap_or_default();
        let pair = WebSocketPair::new()?;
        let expires_at = req
            .headers()
            .get(EXPIRES_HEADER)?
            .and_then(|e| e.parse::<i64>().ok());
        match expires_at {
            Some(at) => {
                let tag = format!("{EXPIRES_TAG}{at}");
                self.state
                    .accept_websocket_with_tags(&pair.server, &[tag.as_str()]);
                self.alarm_by(at).await?;
            }
            None => self.state.accept_web_socket(&pair.server),
        }
        pair.server.serialize_attachment(&subscription)?;
        pair.server
            .send_with_str(ready_frame("ready", self.current_seq()?, &subscription))?;
        let response = Response::from_websocket(pair.client)?;
        match req.headers().get(PROTOCOL_HEADER)? {
            Some(protocol) => {
                let headers = Headers::new();
                headers.set("sec-websocket-protocol", &protocol)?;
                Ok(response.with_headers(headers))
            }
            None => Ok(response),
        }
    }

    fn expiry_of(&self, ws: &WebSocket) -> Option<i64> {
        self.state
            .get_tags(ws)
            .iter()
            .find_map(|tag| tag.strip_prefix(EXPIRES_TAG)?.parse().ok())
    }

    /// Makes sure the alarm goes off by `at`, when a socket's token expires.
    async fn alarm_by(&self, at: i64) -> Result<()> {
        let storage = self.state.storage();
        match storage.get_alarm().await? {
            Some(set) if set <= at => Ok(()),
            _ => storage.set_alarm(at_time(at)).await,
        }
    }

    /// Numbers the events in arrival order and sends each to the sockets that follow its
    /// conversation.
    async fn fan_out(&self, mut req: Request) -> Result<Response> {
        if self.fault_delay_ms > 0 {
            Delay::from(std::time::Duration::from_millis(self.fault_delay_ms)).await;
        }
        // Read as text: the payloads stay raw JSON and are never parsed into JS objects.
        let Ok(publish) = serde_json::from_str::<PublishRequest>(&req.text().await?) else {
            return Response::error("expected {\"events\":[…]}", 400);
        };
        let sockets = self.state.get_websockets();
        if sockets.is_empty() {
            // Nobody to number events for: tell publishers to stop coming.
            self.lower_presence().await;
            return Response::from_json(
                &serde_json::json!({"seq": self.current_seq()?, "delivered": 0}),
            );
        }
        let last = self.advance_seq(publish.events.len() as u64)?;
        let first = last + 1 - publish.events.len() as u64;

        // Each frame becomes a JS string once; sending it to a thousand sockets then copies
        // nothing more.
        let frames: Vec<(&str, JsString)> = publish
            .events
            .iter()
            .zip(first..)
            .filter_map(|(event, seq)| {
                stamp(seq, &event.payload).map(|frame| {
                    (
                        event.conversation_id.as_str(),
                        JsString::from(frame.as_str()),
                    )
                })
            })
            .collect();
        let mut delivered = 0usize;
        for ws in sockets {
            let subscription: Subscription = ws
                .deserialize_attachment()
                .ok()
                .flatten()
                .unwrap_or_default();
            for (conversation_id, frame) in &frames {
                // A socket that is closing cannot take more; the others must still get theirs.
                if subscription.wants(conversation_id) && send_js_string(ws.as_ref(), frame).is_ok()
                {
                    delivered += 1;
                }
            }
        }
        Response::from_json(&serde_json::json!({"seq": last, "delivered": delivered}))
    }
}

#[wasm_bindgen]
extern "C" {
    /// The runtime's WebSocket, for a `send` that takes a string already living in JS.
    type RawSocket;
    #[wasm_bindgen(method, catch, js_name = send)]
    fn send(this: &RawSocket, data: &JsString) -> std::result::Result<(), JsValue>;
}

fn send_js_string(
    ws: &worker::web_sys::WebSocket,
    frame: &JsString,
) -> std::result::Result<(), JsValue> {
    ws.unchecked_ref::<RawSocket>().send(frame)
}

/// An absolute time for an alarm: the runtime's `i64` conversion is an offset from now.
fn at_time(unix_ms: i64) -> ScheduledTime {
    ScheduledTime::new(worker::js_sys::Date::new(&JsValue::from_f64(
        unix_ms as f64,
    )))
}

fn send_error(ws: &WebSocket, detail: &str) -> Result<()> {
    ws.send_with_str(serde_json::json!({"type": "error", "detail": detail}).to_string())
}
